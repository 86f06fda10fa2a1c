//! The one error type every service's handlers return, and its one mapping to
//! `tonic::Status`.
//!
//! Services add no error enums of their own: a domain rule returns [`FieldViolation`]s (or
//! a single [`ApiError::rule`]), the store returns [`ApiError::Db`], and this mapping decides
//! the code and the details in one place, after quickwit's `ServiceError` and qdrant's
//! `From<StorageError> for Status`:
//!
//! | variant | code | details |
//! |---|---|---|
//! | `Invalid` | INVALID_ARGUMENT | `BadRequest`, every field |
//! | `Rule` | FAILED_PRECONDITION | `PreconditionFailure`, one violation per breach, `type` = the stable rule id |
//! | `NotFound` | NOT_FOUND | `ResourceInfo` |
//! | `AlreadyExists` | ALREADY_EXISTS | `ResourceInfo`, the colliding field in the message |
//! | `Stale` | ABORTED | `ResourceInfo` |
//! | `Db` | UNAVAILABLE / ABORTED (retried) / INVALID_ARGUMENT (NUL text) / INTERNAL, see [`crate::errors::db_status`] |
//! | `Status` | as made by the runtime (idempotency, paging, transactions) |
//!
//! Rule ids are SCREAMING_SNAKE_CASE and stable: clients switch on them. Each service
//! lists its own in the header of its proto file.

use sea_orm::DbErr;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, PreconditionViolation, StatusExt};

use crate::errors::{self as st, Violations};
use crate::violation::{FieldViolation, ViolationKind};

/// One broken rule: which rule, what it concerns, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// Stable SCREAMING_SNAKE_CASE rule id (the `type` of the precondition violation).
    pub rule: &'static str,
    /// What the rule was applied to: a request field path or a resource name.
    pub subject: String,
    /// What is wrong and what would satisfy the rule, for people.
    pub description: String,
}

/// Everything a service call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed input: INVALID_ARGUMENT with every field named.
    #[error("invalid request")]
    Invalid(Violations),
    /// Rules the request breaks given the stored state: FAILED_PRECONDITION, every breach
    /// with its rule id.
    #[error("{}", .0.first().map_or("rule broken", |b| b.description.as_str()))]
    Rule(Vec<Breach>),
    /// The named resource does not exist.
    #[error("{what} {name} not found")]
    NotFound {
        /// Resource type, so the caller knows which id was wrong.
        what: &'static str,
        /// Its name (never a whole resident id).
        name: String,
    },
    /// The resource (or a person in it) exists already.
    #[error("{what} {name} already exists")]
    AlreadyExists {
        /// Resource type.
        what: &'static str,
        /// Its name (masked for people).
        name: String,
        /// The request field that collides, so a batch error points at the record.
        field: String,
    },
    /// The etag sent is not the current one: ABORTED; re-read and retry.
    #[error("stale etag")]
    Stale {
        /// Resource type.
        what: &'static str,
        /// Its name.
        name: String,
        /// What the caller sent.
        sent: String,
        /// What is stored, so the caller can tell how far behind it is.
        current: String,
    },
    /// The database failed (never a caller's code unless the caller's text caused it).
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A status made by the runtime (idempotency, transactions, paging).
    #[error("{0}")]
    Status(#[from] Status),
}

impl From<Violations> for ApiError {
    fn from(v: Violations) -> Self {
        ApiError::Invalid(v)
    }
}

/// A required message field of a request, or INVALID_ARGUMENT naming it (the one wording
/// every service answers a missing message with).
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::invalid(field, "required"))
}

impl ApiError {
    /// One broken rule.
    pub fn rule(
        rule: &'static str,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        ApiError::Rule(vec![Breach {
            rule,
            subject: subject.into(),
            description: description.into(),
        }])
    }

    /// NOT_FOUND for `what` named `name`.
    pub fn not_found(what: &'static str, name: impl Into<String>) -> Self {
        ApiError::NotFound {
            what,
            name: name.into(),
        }
    }

    /// INVALID_ARGUMENT for one field.
    pub fn invalid(field: impl Into<String>, description: impl std::fmt::Display) -> Self {
        let mut v = Violations::new();
        v.add(field, description);
        ApiError::Invalid(v)
    }

    /// The error for a list of domain violations, with `prefix` before every field path
    /// (`"household."`, `"batch[2].records[5]."`): malformed values win (INVALID_ARGUMENT
    /// listing only those, since a request must be well-formed before its rules are worth
    /// discussing), else every rule breach. `None` for an empty list.
    pub fn from_violations(prefix: &str, violations: Vec<FieldViolation>) -> Option<Self> {
        match ViolationKind::overall(&violations)? {
            ViolationKind::InvalidArgument => {
                let mut v = Violations::new();
                for x in violations
                    .into_iter()
                    .filter(|x| x.kind == ViolationKind::InvalidArgument)
                {
                    v.add(format!("{prefix}{}", x.field), x.description);
                }
                Some(ApiError::Invalid(v))
            }
            ViolationKind::FailedPrecondition => Some(ApiError::Rule(
                violations
                    .into_iter()
                    .map(|x| Breach {
                        rule: x.rule,
                        subject: format!("{prefix}{}", x.field),
                        description: x.description,
                    })
                    .collect(),
            )),
        }
    }

    /// `Ok(())` for no violations, else [`ApiError::from_violations`].
    pub fn check(prefix: &str, violations: Vec<FieldViolation>) -> Result<(), Self> {
        match Self::from_violations(prefix, violations) {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    /// Merges the errors of several records of one batch into one, so the caller hears
    /// about every bad record at once: malformed values first (every one), else every
    /// rule breach, else the first other error.
    pub fn merge(errors: Vec<ApiError>) -> Option<Self> {
        let mut invalid = Violations::new();
        let mut breaches = Vec::new();
        let mut other = None;
        for e in errors {
            match e {
                ApiError::Invalid(v) => invalid.extend_prefixed("", v),
                ApiError::Rule(b) => breaches.extend(b),
                e => {
                    other.get_or_insert(e);
                }
            }
        }
        if !invalid.is_empty() {
            Some(ApiError::Invalid(invalid))
        } else if !breaches.is_empty() {
            Some(ApiError::Rule(breaches))
        } else {
            other
        }
    }
}

/// FAILED_PRECONDITION naming every breach.
fn rule_status(breaches: Vec<Breach>) -> Status {
    let message = match breaches.as_slice() {
        [one] => one.description.clone(),
        many => format!(
            "{} rules broken, first {}: {}",
            many.len(),
            many.first().map_or("", |b| b.subject.as_str()),
            many.first().map_or("", |b| b.description.as_str())
        ),
    };
    let details: Vec<PreconditionViolation> = breaches
        .into_iter()
        .map(|b| PreconditionViolation::new(b.rule, b.subject, b.description))
        .collect();
    Status::with_error_details(
        Code::FailedPrecondition,
        message,
        ErrorDetails::with_precondition_failure(details),
    )
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        match e {
            ApiError::Invalid(v) => v.into_status(),
            ApiError::Rule(breaches) => rule_status(breaches),
            ApiError::NotFound { what, name } => st::not_found(what, &name),
            ApiError::AlreadyExists { what, name, field } => {
                st::already_exists(what, &name, &format!("exists already (field {field})"))
            }
            ApiError::Stale {
                what,
                name,
                sent,
                current,
            } => st::stale_etag(what, &name, &sent, &current),
            ApiError::Db(e) => st::db_status(e),
            ApiError::Status(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_code() {
        let cases: Vec<(ApiError, Code)> = vec![
            (ApiError::invalid("a", "bad"), Code::InvalidArgument),
            (ApiError::rule("R", "s", "d"), Code::FailedPrecondition),
            (ApiError::not_found("household", "x"), Code::NotFound),
            (
                ApiError::AlreadyExists {
                    what: "household",
                    name: "x".into(),
                    field: "household.household_id".into(),
                },
                Code::AlreadyExists,
            ),
            (
                ApiError::Stale {
                    what: "student",
                    name: "x".into(),
                    sent: "1".into(),
                    current: "2".into(),
                },
                Code::Aborted,
            ),
            (ApiError::Db(DbErr::Custom("boom".into())), Code::Internal),
            (Status::unavailable("x").into(), Code::Unavailable),
        ];
        for (e, code) in cases {
            assert_eq!(Status::from(e).code(), code);
        }
    }

    #[test]
    fn breaches_carry_their_rule_ids_and_subjects() {
        let s = Status::from(
            ApiError::from_violations(
                "batch[1].",
                vec![
                    FieldViolation::rule("DEBT_CAP", "debt_fen", "over the cap"),
                    FieldViolation::rule("AREA_RED_LINE", "area_centi_m2", "too big"),
                ],
            )
            .unwrap(),
        );
        assert_eq!(s.code(), Code::FailedPrecondition);
        let pf = s.get_details_precondition_failure().unwrap();
        let got: Vec<(&str, &str)> = pf
            .violations
            .iter()
            .map(|v| (v.r#type.as_str(), v.subject.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("DEBT_CAP", "batch[1].debt_fen"),
                ("AREA_RED_LINE", "batch[1].area_centi_m2")
            ]
        );
        assert!(
            s.message()
                .starts_with("2 rules broken, first batch[1].debt_fen")
        );
    }

    #[test]
    fn malformed_values_win_over_rules() {
        let e = ApiError::from_violations(
            "x.",
            vec![
                FieldViolation::rule("R", "a", "rule"),
                FieldViolation::invalid("b", "malformed"),
            ],
        )
        .unwrap();
        let s = Status::from(e);
        assert_eq!(s.code(), Code::InvalidArgument);
        let fields: Vec<String> = s
            .get_details_bad_request()
            .unwrap()
            .field_violations
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["x.b"]);
        assert!(ApiError::from_violations("", vec![]).is_none());
        assert!(ApiError::check("", vec![]).is_ok());
    }

    #[test]
    fn merge_prefers_invalid_then_rules() {
        let merged = ApiError::merge(vec![
            ApiError::rule("R", "a", "d"),
            ApiError::invalid("b", "bad"),
            ApiError::invalid("c", "bad"),
        ])
        .unwrap();
        let ApiError::Invalid(v) = merged else {
            panic!("expected Invalid, got {merged:?}")
        };
        assert_eq!(v.items().len(), 2);
        let merged = ApiError::merge(vec![
            ApiError::not_found("x", "1"),
            ApiError::rule("R", "a", "d"),
            ApiError::rule("S", "b", "e"),
        ])
        .unwrap();
        assert!(matches!(merged, ApiError::Rule(ref b) if b.len() == 2));
        assert!(ApiError::merge(vec![]).is_none());
    }

    #[test]
    fn already_exists_names_the_field() {
        let s = Status::from(ApiError::AlreadyExists {
            what: "person",
            name: "420625********123X".into(),
            field: "household.members[1].resident_id".into(),
        });
        assert!(s.message().contains("household.members[1].resident_id"));
        assert!(s.message().contains("420625********123X"));
    }
}

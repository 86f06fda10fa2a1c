//! The housing service's error type and its one exhaustive mapping to `tonic::Status`.
//!
//! Domain [`FieldViolation`]s arrive through [`HousingError::from_domain`]: malformed
//! values become INVALID_ARGUMENT with a `BadRequest` naming each field; rule breaches
//! become FAILED_PRECONDITION with a `PreconditionFailure` naming each field.

use sea_orm::DbErr;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, PreconditionViolation, StatusExt};
use xk_runtime::Violations;
use xk_runtime::errors as st;

use crate::domain::{FieldViolation, ViolationKind};

/// Everything a housing call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum HousingError {
    /// Malformed input: INVALID_ARGUMENT with every field named.
    #[error("invalid request")]
    Invalid(Violations),
    /// Rules the request breaks: FAILED_PRECONDITION, each with the field it concerns.
    #[error("{}", .0.first().map(|v| v.description.as_str()).unwrap_or("rule violated"))]
    Rule(Vec<FieldViolation>),
    /// The named resource does not exist.
    #[error("{what} {name} not found")]
    NotFound {
        /// Resource type, so the caller knows which id was wrong.
        what: &'static str,
        /// Its id (never a resident id or a name).
        name: String,
    },
    /// The resource exists already.
    #[error("{what} {name} already exists")]
    AlreadyExists {
        /// Resource type.
        what: &'static str,
        /// Its id.
        name: String,
        /// The request field that collides, so a batch error points at the record.
        field: String,
    },
    /// The etag sent is not the current one: ABORTED.
    #[error("stale etag")]
    Stale {
        /// Resource type.
        what: &'static str,
        /// Its id.
        name: String,
        /// What the caller sent.
        sent: String,
        /// What is stored, so the caller can tell how far behind it is.
        current: String,
    },
    /// The database failed (UNAVAILABLE or INTERNAL, never a caller's code).
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A status made by the runtime (idempotency, transactions, paging).
    #[error("{0}")]
    Status(#[from] Status),
}

impl From<Violations> for HousingError {
    fn from(v: Violations) -> Self {
        HousingError::Invalid(v)
    }
}

impl HousingError {
    /// A single rule breach on `field`.
    pub fn rule(field: impl Into<String>, description: impl Into<String>) -> Self {
        HousingError::Rule(vec![FieldViolation::precondition(field, description)])
    }

    /// Maps domain violations (field paths already in wire form) to one error: malformed
    /// values win (INVALID_ARGUMENT, only those listed), else FAILED_PRECONDITION.
    pub fn from_domain(violations: Vec<FieldViolation>) -> Self {
        match ViolationKind::overall(&violations) {
            Some(ViolationKind::InvalidArgument) => {
                let mut v = Violations::new();
                for x in violations
                    .into_iter()
                    .filter(|x| x.kind == ViolationKind::InvalidArgument)
                {
                    v.add(x.field, x.description);
                }
                HousingError::Invalid(v)
            }
            _ => HousingError::Rule(violations),
        }
    }
}

/// The stable rule identifier of a precondition on `field`, for clients to switch on.
fn rule_type(field: &str) -> &'static str {
    if field.ends_with("area_centi_m2") {
        "AREA_RED_LINE"
    } else if field.ends_with("debt_fen") {
        "DEBT_CAP"
    } else if field.contains("milestones.") || field.ends_with("acceptance") {
        "MILESTONE_ORDER"
    } else if field.contains("site") {
        "SITE"
    } else if field.contains("appraisal") || field.contains("renovation") {
        "APPRAISAL"
    } else {
        "HOUSING_RULE"
    }
}

fn rule_status(violations: Vec<FieldViolation>) -> Status {
    let message = match violations.as_slice() {
        [one] => format!("{}: {}", one.field, one.description),
        many => format!(
            "{} rules broken, first {}: {}",
            many.len(),
            many.first().map_or("", |v| v.field.as_str()),
            many.first().map_or("", |v| v.description.as_str())
        ),
    };
    let details: Vec<PreconditionViolation> = violations
        .into_iter()
        .map(|v| PreconditionViolation::new(rule_type(&v.field), v.field, v.description))
        .collect();
    Status::with_error_details(
        Code::FailedPrecondition,
        message,
        ErrorDetails::with_precondition_failure(details),
    )
}

impl From<HousingError> for Status {
    fn from(e: HousingError) -> Status {
        match e {
            HousingError::Invalid(v) => v.into_status(),
            HousingError::Rule(v) => rule_status(v),
            HousingError::NotFound { what, name } => st::not_found(what, &name),
            HousingError::AlreadyExists { what, name, field } => {
                st::already_exists(what, &name, &format!("registered already (field {field})"))
            }
            HousingError::Stale {
                what,
                name,
                sent,
                current,
            } => st::stale_etag(what, &name, &sent, &current),
            HousingError::Db(e) => st::db_status(e),
            HousingError::Status(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_code() {
        let cases: Vec<(HousingError, Code)> = vec![
            (
                HousingError::Invalid(Violations::new()),
                Code::InvalidArgument,
            ),
            (
                HousingError::rule("milestones.moved_in", "x"),
                Code::FailedPrecondition,
            ),
            (
                HousingError::NotFound {
                    what: "relocation",
                    name: "x".into(),
                },
                Code::NotFound,
            ),
            (
                HousingError::AlreadyExists {
                    what: "relocation",
                    name: "x".into(),
                    field: "relocation.household_id".into(),
                },
                Code::AlreadyExists,
            ),
            (
                HousingError::Stale {
                    what: "site",
                    name: "x".into(),
                    sent: "1".into(),
                    current: "2".into(),
                },
                Code::Aborted,
            ),
            (
                HousingError::Db(DbErr::Custom("boom".into())),
                Code::Internal,
            ),
            (Status::unavailable("x").into(), Code::Unavailable),
        ];
        for (e, code) in cases {
            assert_eq!(Status::from(e).code(), code);
        }
    }

    #[test]
    fn domain_violations_pick_the_status_and_name_fields() {
        let mixed = vec![
            FieldViolation::precondition("milestones.moved_in", "order"),
            FieldViolation::invalid("housing.debt_fen", "negative"),
        ];
        let s = Status::from(HousingError::from_domain(mixed));
        assert_eq!(s.code(), Code::InvalidArgument);
        let br = s.get_details_bad_request().expect("bad request");
        assert_eq!(br.field_violations.len(), 1);
        assert_eq!(br.field_violations[0].field, "housing.debt_fen");
        let s = Status::from(HousingError::from_domain(vec![
            FieldViolation::precondition("relocation.housing.area_centi_m2", "over"),
        ]));
        assert_eq!(s.code(), Code::FailedPrecondition);
        let pf = s.get_details_precondition_failure().expect("precondition");
        assert_eq!(pf.violations[0].subject, "relocation.housing.area_centi_m2");
        assert_eq!(pf.violations[0].r#type, "AREA_RED_LINE");
    }
}

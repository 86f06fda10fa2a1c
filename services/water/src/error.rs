//! The water service's error type and its one exhaustive mapping to `tonic::Status`.

use sea_orm::DbErr;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, PreconditionViolation, StatusExt};
use xk_runtime::Violations;
use xk_runtime::errors as st;

use crate::domain::{FieldViolation, ViolationKind};

/// Everything a water call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WaterError {
    /// Bad input or a broken rule, each naming its (full, prefixed) field path: malformed
    /// input makes the whole list INVALID_ARGUMENT; rules alone make FAILED_PRECONDITION.
    #[error("{} violation(s)", .0.len())]
    Fields(Vec<FieldViolation>),
    /// The named resource does not exist.
    #[error("{what} {name} not found")]
    NotFound {
        /// Resource type.
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// The resource is registered already.
    #[error("{what} {name} already exists")]
    AlreadyExists {
        /// Resource type.
        what: &'static str,
        /// Its name.
        name: String,
        /// The request field that collides.
        field: String,
    },
    /// The etag sent is not the current one.
    #[error("stale etag")]
    Stale {
        /// Which scheme.
        name: String,
        /// What the caller sent.
        sent: String,
        /// What is stored.
        current: String,
    },
    /// A rule the stored state breaks (e.g. deleting a scheme still referred to).
    #[error("{description}")]
    Precondition {
        /// Stable SCREAMING_SNAKE_CASE identifier clients can switch on.
        rule: &'static str,
        /// What it applies to.
        subject: String,
        /// What is wrong, for people.
        description: String,
    },
    /// A concurrent write to the same household won; the caller retries.
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A status made by the runtime (idempotency, transactions).
    #[error("{0}")]
    Status(#[from] Status),
}

/// The PreconditionFailure type of a rule violation, by the field it names.
fn rule_of(field: &str) -> &'static str {
    if field.ends_with("scheme_id") {
        "UNKNOWN_SCHEME"
    } else if field.ends_with("quality") {
        "LAB_REPORT_REQUIRED"
    } else if field.ends_with("assessed_on") {
        "NO_POLICY_YEAR"
    } else {
        "WATER_RULE"
    }
}

/// Maps field violations to one status: any malformed field gives INVALID_ARGUMENT with a
/// BadRequest listing every violation (rules included, so nothing is hidden); rules alone
/// give FAILED_PRECONDITION with a PreconditionFailure per violation.
pub fn fields_status(violations: Vec<FieldViolation>) -> Status {
    match ViolationKind::overall(&violations) {
        None => Status::internal("an empty violation list was reported"),
        Some(ViolationKind::InvalidArgument) => {
            let mut v = Violations::new();
            for f in violations {
                v.add(f.field, f.description);
            }
            v.into_status()
        }
        Some(ViolationKind::FailedPrecondition) => {
            let message = match violations.as_slice() {
                [one] => one.to_string(),
                many => format!(
                    "{} rules broken, first {}",
                    many.len(),
                    many.first().map(|f| f.to_string()).unwrap_or_default()
                ),
            };
            let details: Vec<PreconditionViolation> = violations
                .into_iter()
                .map(|f| PreconditionViolation::new(rule_of(&f.field), f.field, f.description))
                .collect();
            Status::with_error_details(
                Code::FailedPrecondition,
                message,
                ErrorDetails::with_precondition_failure(details),
            )
        }
    }
}

impl From<WaterError> for Status {
    fn from(e: WaterError) -> Status {
        match e {
            WaterError::Fields(v) => fields_status(v),
            WaterError::NotFound { what, name } => st::not_found(what, &name),
            WaterError::AlreadyExists { what, name, field } => {
                st::already_exists(what, &name, &format!("registered already (field {field})"))
            }
            WaterError::Stale {
                name,
                sent,
                current,
            } => st::stale_etag("scheme", &name, &sent, &current),
            WaterError::Precondition {
                rule,
                subject,
                description,
            } => st::failed_precondition(rule, &subject, description),
            WaterError::Conflict(msg) => st::conflict_retry(msg),
            WaterError::Db(e) => st::db_status(e),
            WaterError::Status(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_code() {
        let cases: Vec<(WaterError, Code)> = vec![
            (
                WaterError::Fields(vec![FieldViolation::invalid("a", "b")]),
                Code::InvalidArgument,
            ),
            (
                WaterError::Fields(vec![FieldViolation::precondition("quality", "b")]),
                Code::FailedPrecondition,
            ),
            (
                WaterError::NotFound {
                    what: "scheme",
                    name: "x".into(),
                },
                Code::NotFound,
            ),
            (
                WaterError::AlreadyExists {
                    what: "scheme",
                    name: "x".into(),
                    field: "scheme.scheme_id".into(),
                },
                Code::AlreadyExists,
            ),
            (
                WaterError::Stale {
                    name: "x".into(),
                    sent: "1".into(),
                    current: "2".into(),
                },
                Code::Aborted,
            ),
            (
                WaterError::Precondition {
                    rule: "R",
                    subject: "s".into(),
                    description: "d".into(),
                },
                Code::FailedPrecondition,
            ),
            (WaterError::Conflict("x".into()), Code::Aborted),
            (WaterError::Db(DbErr::Custom("boom".into())), Code::Internal),
            (Status::unavailable("x").into(), Code::Unavailable),
        ];
        for (e, code) in cases {
            assert_eq!(Status::from(e).code(), code);
        }
    }

    #[test]
    fn mixed_kinds_are_invalid_argument_naming_every_field() {
        let s = fields_status(vec![
            FieldViolation::precondition("assessment.quality", "needs a lab report"),
            FieldViolation::invalid("assessment.people", "must be at least 1"),
        ]);
        assert_eq!(s.code(), Code::InvalidArgument);
        let br = s.get_details_bad_request().expect("bad request");
        let fields: Vec<&str> = br
            .field_violations
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["assessment.quality", "assessment.people"]);
    }

    #[test]
    fn rules_alone_are_a_precondition_failure_with_subjects() {
        let s = fields_status(vec![FieldViolation::precondition(
            "batch[0].assessments[2].supply.centralized.scheme_id",
            "not registered",
        )]);
        assert_eq!(s.code(), Code::FailedPrecondition);
        let pf = s.get_details_precondition_failure().expect("detail");
        assert_eq!(pf.violations[0].r#type, "UNKNOWN_SCHEME");
        assert_eq!(
            pf.violations[0].subject,
            "batch[0].assessments[2].supply.centralized.scheme_id"
        );
    }
}

//! The health service's error type and its one exhaustive mapping to `tonic::Status`.
//!
//! Engine errors are mapped here too: a bad case amount is INVALID_ARGUMENT naming the
//! request field; a corrupt year-to-date state or an invalid policy is the service's
//! fault (INTERNAL, logged), never blamed on the caller.

use sea_orm::DbErr;
use tonic::Status;
use xk_runtime::Violations;
use xk_runtime::errors as st;

use crate::domain::{ReverseError, SettleError};

/// Everything a health call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// Malformed input: INVALID_ARGUMENT with every field named.
    #[error("invalid request")]
    Invalid(Violations),
    /// A rule the request breaks given the stored state: FAILED_PRECONDITION.
    #[error("{description}")]
    Precondition {
        /// SCREAMING_SNAKE_CASE rule id clients can switch on.
        rule: &'static str,
        /// The request field (or resource) it applies to.
        subject: String,
        /// What is wrong, naming the field.
        description: String,
    },
    /// The named resource does not exist.
    #[error("{what} {name} not found")]
    NotFound {
        /// Resource type.
        what: &'static str,
        /// Its name (masked for people).
        name: String,
    },
    /// The resource exists already.
    #[error("{what} {name} already exists")]
    AlreadyExists {
        /// Resource type.
        what: &'static str,
        /// Its name (masked for people).
        name: String,
        /// The request field that collides.
        field: String,
    },
    /// The settlement engine refused a case; `field` prefixes the case's field names.
    #[error("settlement refused: {source}")]
    Settle {
        /// Path of the case in the request (e.g. `hospital_case.`).
        prefix: &'static str,
        /// The engine's error.
        source: SettleError,
    },
    /// The stored state is inconsistent (a bug or tampering): INTERNAL, logged.
    #[error("stored state is inconsistent: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A status made by the runtime (idempotency, transactions).
    #[error("{0}")]
    Status(#[from] Status),
}

impl From<Violations> for HealthError {
    fn from(v: Violations) -> Self {
        HealthError::Invalid(v)
    }
}

impl From<ReverseError> for HealthError {
    fn from(e: ReverseError) -> Self {
        HealthError::Corrupt(e.to_string())
    }
}

impl HealthError {
    /// FAILED_PRECONDITION for `rule` on `subject`.
    pub fn pre(rule: &'static str, subject: &str, description: impl Into<String>) -> Self {
        HealthError::Precondition {
            rule,
            subject: subject.to_string(),
            description: description.into(),
        }
    }
}

impl From<HealthError> for Status {
    fn from(e: HealthError) -> Status {
        match e {
            HealthError::Invalid(v) => v.into_status(),
            HealthError::Precondition {
                rule,
                subject,
                description,
            } => st::failed_precondition(rule, &subject, description),
            HealthError::NotFound { what, name } => st::not_found(what, &name),
            HealthError::AlreadyExists { what, name, field } => {
                st::already_exists(what, &name, &format!("exists already (field {field})"))
            }
            HealthError::Settle { prefix, source } => match source.case_field() {
                Some(field) => st::invalid(format!("{prefix}{field}"), &source),
                None => {
                    tracing::error!(error = %source, "settlement engine refused stored state or policy");
                    Status::internal(
                        "settlement state or policy is inconsistent; the operators have the details",
                    )
                }
            },
            HealthError::Corrupt(what) => {
                tracing::error!(error = %what, "inconsistent stored state");
                Status::internal("stored state is inconsistent; the operators have the details")
            }
            HealthError::Db(e) => st::db_status(e),
            HealthError::Status(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn every_variant_has_its_code() {
        let cases: Vec<(HealthError, Code)> = vec![
            (
                HealthError::Invalid(Violations::new()),
                Code::InvalidArgument,
            ),
            (
                HealthError::pre("NOT_ENROLLED", "hospital_case.resident_id", "d"),
                Code::FailedPrecondition,
            ),
            (
                HealthError::NotFound {
                    what: "case",
                    name: "1".into(),
                },
                Code::NotFound,
            ),
            (
                HealthError::AlreadyExists {
                    what: "enrolment",
                    name: "x".into(),
                    field: "enrolment.resident_id".into(),
                },
                Code::AlreadyExists,
            ),
            (
                HealthError::Settle {
                    prefix: "hospital_case.",
                    source: SettleError::NegativeAmount {
                        field: "total_fen",
                        value: -1,
                    },
                },
                Code::InvalidArgument,
            ),
            (
                HealthError::Settle {
                    prefix: "hospital_case.",
                    source: SettleError::Overflow {
                        field: "serious_burden_fen",
                    },
                },
                Code::Internal,
            ),
            (HealthError::Corrupt("x".into()), Code::Internal),
            (
                HealthError::Db(DbErr::Custom("boom".into())),
                Code::Internal,
            ),
            (Status::unavailable("x").into(), Code::Unavailable),
        ];
        for (e, code) in cases {
            assert_eq!(Status::from(e).code(), code);
        }
    }

    #[test]
    fn engine_errors_name_the_request_field() {
        let s = Status::from(HealthError::Settle {
            prefix: "hospital_case.",
            source: SettleError::OutOfPolicyExceedsTotal {
                out_of_policy_fen: 2,
                total_fen: 1,
            },
        });
        assert!(
            s.message().contains("hospital_case.out_of_policy_fen"),
            "{}",
            s.message()
        );
    }
}

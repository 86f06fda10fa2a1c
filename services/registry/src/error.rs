//! The registry's error type and its one exhaustive mapping to `tonic::Status`.

use sea_orm::DbErr;
use tonic::Status;
use xk_runtime::Violations;
use xk_runtime::errors as st;

use crate::domain::RuleError;

/// Everything a registry call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Malformed input: INVALID_ARGUMENT with every field named.
    #[error("invalid request")]
    Invalid(Violations),
    /// A rule the request breaks: FAILED_PRECONDITION (or NOT_FOUND for a missing member).
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The named resource does not exist.
    #[error("{what} {name} not found")]
    NotFound {
        /// Resource type.
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// The resource (or a person in it) is registered already.
    #[error("{what} {name} already exists")]
    AlreadyExists {
        /// Resource type.
        what: &'static str,
        /// Its name (masked for people).
        name: String,
        /// The request field that collides.
        field: String,
    },
    /// The etag sent is not the current one.
    #[error("stale etag")]
    Stale {
        /// Which household.
        name: String,
        /// What the caller sent.
        sent: String,
        /// What is stored.
        current: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A status made by the runtime (idempotency, transactions).
    #[error("{0}")]
    Status(#[from] Status),
}

impl From<Violations> for RegistryError {
    fn from(v: Violations) -> Self {
        RegistryError::Invalid(v)
    }
}

impl From<RegistryError> for Status {
    fn from(e: RegistryError) -> Status {
        match e {
            RegistryError::Invalid(v) => v.into_status(),
            RegistryError::Rule(RuleError::Precondition {
                rule,
                subject,
                description,
            }) => st::failed_precondition(rule, &subject, description),
            RegistryError::Rule(RuleError::NotFound { what, name }) => st::not_found(what, &name),
            RegistryError::NotFound { what, name } => st::not_found(what, &name),
            RegistryError::AlreadyExists { what, name, field } => {
                st::already_exists(what, &name, &format!("registered already (field {field})"))
            }
            RegistryError::Stale {
                name,
                sent,
                current,
            } => st::stale_etag("household", &name, &sent, &current),
            RegistryError::Db(e) => st::db_status(e),
            RegistryError::Status(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn every_variant_has_its_code() {
        let cases: Vec<(RegistryError, Code)> = vec![
            (
                RegistryError::Invalid(Violations::new()),
                Code::InvalidArgument,
            ),
            (
                RuleError::pre("R", "s", "d").into(),
                Code::FailedPrecondition,
            ),
            (
                RuleError::NotFound {
                    what: "member",
                    name: "x".into(),
                }
                .into(),
                Code::NotFound,
            ),
            (
                RegistryError::NotFound {
                    what: "household",
                    name: "x".into(),
                },
                Code::NotFound,
            ),
            (
                RegistryError::AlreadyExists {
                    what: "household",
                    name: "x".into(),
                    field: "household.household_id".into(),
                },
                Code::AlreadyExists,
            ),
            (
                RegistryError::Stale {
                    name: "x".into(),
                    sent: "1".into(),
                    current: "2".into(),
                },
                Code::Aborted,
            ),
            (
                RegistryError::Db(DbErr::Custom("boom".into())),
                Code::Internal,
            ),
            (Status::unavailable("x").into(), Code::Unavailable),
        ];
        for (e, code) in cases {
            assert_eq!(Status::from(e).code(), code);
        }
    }

    #[test]
    fn already_exists_names_the_field() {
        let s = Status::from(RegistryError::AlreadyExists {
            what: "person",
            name: "420625********123X".into(),
            field: "household.members[1].resident_id".into(),
        });
        assert!(s.message().contains("household.members[1].resident_id"));
        assert!(s.message().contains("420625********123X"));
    }
}

//! The education service's error type and its one exhaustive mapping to `tonic::Status`.

use sea_orm::DbErr;
use tonic::Status;
use xk_runtime::Violations;
use xk_runtime::errors as st;

use crate::domain::{FieldViolation, ViolationKind};

/// Everything an education call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EducationError {
    /// Malformed input: INVALID_ARGUMENT with every field named.
    #[error("invalid request")]
    Invalid(Violations),
    /// A rule the request breaks given the stored state: FAILED_PRECONDITION.
    #[error("{description}")]
    Precondition {
        /// SCREAMING_SNAKE_CASE rule id clients can switch on.
        rule: &'static str,
        /// The field path (or resource) the rule applies to.
        subject: String,
        /// What is wrong and how to fix it.
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
    /// The resource is recorded already.
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
        /// Which student (masked).
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

impl From<Violations> for EducationError {
    fn from(v: Violations) -> Self {
        EducationError::Invalid(v)
    }
}

impl EducationError {
    /// Maps the domain's violations: any malformed field makes the whole request
    /// INVALID_ARGUMENT (every field listed, with `prefix` before each path); otherwise the
    /// first broken rule is FAILED_PRECONDITION naming its field, and the description
    /// lists all of them.
    pub fn from_domain(prefix: &str, violations: Vec<FieldViolation>) -> EducationError {
        match ViolationKind::overall(&violations) {
            None => EducationError::Invalid(Violations::new()),
            Some(ViolationKind::InvalidArgument) => {
                let mut v = Violations::new();
                for f in violations {
                    v.add(format!("{prefix}{}", f.field), f.description);
                }
                EducationError::Invalid(v)
            }
            Some(ViolationKind::FailedPrecondition) => {
                let subject = violations
                    .first()
                    .map(|f| format!("{prefix}{}", f.field))
                    .unwrap_or_default();
                let description = violations
                    .iter()
                    .map(|f| format!("{prefix}{}: {}", f.field, f.description))
                    .collect::<Vec<_>>()
                    .join("; ");
                EducationError::Precondition {
                    rule: "EDUCATION_RULE",
                    subject,
                    description,
                }
            }
        }
    }

    /// A FAILED_PRECONDITION with a named rule.
    pub fn rule(
        rule: &'static str,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        EducationError::Precondition {
            rule,
            subject: subject.into(),
            description: description.into(),
        }
    }
}

impl From<EducationError> for Status {
    fn from(e: EducationError) -> Status {
        match e {
            EducationError::Invalid(v) => v.into_status(),
            EducationError::Precondition {
                rule,
                subject,
                description,
            } => st::failed_precondition(rule, &subject, description),
            EducationError::NotFound { what, name } => st::not_found(what, &name),
            EducationError::AlreadyExists { what, name, field } => {
                st::already_exists(what, &name, &format!("recorded already (field {field})"))
            }
            EducationError::Stale {
                name,
                sent,
                current,
            } => st::stale_etag("student", &name, &sent, &current),
            EducationError::Db(e) => st::db_status(e),
            EducationError::Status(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn every_variant_has_its_code() {
        let cases: Vec<(EducationError, Code)> = vec![
            (
                EducationError::Invalid(Violations::new()),
                Code::InvalidArgument,
            ),
            (
                EducationError::rule("R", "s", "d"),
                Code::FailedPrecondition,
            ),
            (
                EducationError::NotFound {
                    what: "student",
                    name: "x".into(),
                },
                Code::NotFound,
            ),
            (
                EducationError::AlreadyExists {
                    what: "student",
                    name: "x".into(),
                    field: "student.resident_id".into(),
                },
                Code::AlreadyExists,
            ),
            (
                EducationError::Stale {
                    name: "x".into(),
                    sent: "1".into(),
                    current: "2".into(),
                },
                Code::Aborted,
            ),
            (
                EducationError::Db(DbErr::Custom("boom".into())),
                Code::Internal,
            ),
            (Status::unavailable("x").into(), Code::Unavailable),
        ];
        for (e, code) in cases {
            assert_eq!(Status::from(e).code(), code);
        }
    }

    #[test]
    fn domain_violations_pick_the_code_and_prefix_fields() {
        let e = EducationError::from_domain(
            "student.",
            vec![
                FieldViolation::precondition("deferral.expires_on", "too long"),
                FieldViolation::invalid("deferral.approval_ref", "blank"),
            ],
        );
        let s = Status::from(e);
        assert_eq!(s.code(), Code::InvalidArgument);
        assert!(s.message().contains("student.deferral"), "{}", s.message());
        let e = EducationError::from_domain(
            "student.",
            vec![FieldViolation::precondition(
                "deferral.expires_on",
                "too long",
            )],
        );
        let s = Status::from(e);
        assert_eq!(s.code(), Code::FailedPrecondition);
        assert!(s.message().contains("student.deferral.expires_on"));
    }
}

//! The pure domain core of the education service: rules and value types, no I/O.
//!
//! Validation helpers return *every* violation they find, not just the first, so a caller
//! can fix a request in one round trip. Each violation carries a [`ViolationKind`]:
//!
//! - [`ViolationKind::InvalidArgument`]: the value is malformed on its own (blank, negative,
//!   in the future, an impossible period). Maps to `INVALID_ARGUMENT`.
//! - [`ViolationKind::FailedPrecondition`]: well-formed values that break a policy rule or
//!   do not fit the child's current state (a deferral longer than the maximum, a visit for
//!   a child not in home teaching, a child outside the compulsory age range). Maps to
//!   `FAILED_PRECONDITION`.

pub mod cases;
pub mod home_teaching;
pub mod letters;
pub mod policy;
pub mod scope;
pub mod status;
pub mod subsidy;

use std::fmt;

/// Which gRPC status a violation calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViolationKind {
    /// The value is malformed by itself; `INVALID_ARGUMENT`.
    InvalidArgument,
    /// The value breaks a rule or conflicts with the current state; `FAILED_PRECONDITION`.
    FailedPrecondition,
}

impl ViolationKind {
    /// The status for a whole list of violations: malformed input wins, because a request
    /// must be well-formed before its rules are worth discussing. `None` for an empty list.
    pub fn overall(violations: &[FieldViolation]) -> Option<ViolationKind> {
        if violations.is_empty() {
            None
        } else if violations
            .iter()
            .any(|v| v.kind == ViolationKind::InvalidArgument)
        {
            Some(ViolationKind::InvalidArgument)
        } else {
            Some(ViolationKind::FailedPrecondition)
        }
    }
}

/// One problem with one field of a request, in the shape of `google.rpc.BadRequest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the offending field (snake_case, dot-separated), so the caller can point at it.
    pub field: String,
    /// Human-readable explanation, including the limit that was broken, so the caller can fix it.
    pub description: String,
    /// Whether the field is malformed or breaks a rule; selects the gRPC status code.
    pub kind: ViolationKind,
}

impl FieldViolation {
    /// A malformed-value violation.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        FieldViolation {
            field: field.into(),
            description: description.into(),
            kind: ViolationKind::InvalidArgument,
        }
    }

    /// A rule or state violation.
    pub fn precondition(field: impl Into<String>, description: impl Into<String>) -> Self {
        FieldViolation {
            field: field.into(),
            description: description.into(),
            kind: ViolationKind::FailedPrecondition,
        }
    }

    /// The same violation with `prefix.` in front of its field path, for nested messages.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.field = format!("{prefix}.{}", self.field);
        self
    }
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// `Ok(())` for no violations, otherwise all of them.
pub fn into_result(violations: Vec<FieldViolation>) -> Result<(), Vec<FieldViolation>> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// True when the text is empty or only whitespace (a required field left blank).
pub(crate) fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overall_kind_prefers_invalid_argument() {
        assert_eq!(ViolationKind::overall(&[]), None);
        let p = FieldViolation::precondition("a", "rule");
        let i = FieldViolation::invalid("b", "bad");
        assert_eq!(
            ViolationKind::overall(std::slice::from_ref(&p)),
            Some(ViolationKind::FailedPrecondition)
        );
        assert_eq!(
            ViolationKind::overall(&[p, i]),
            Some(ViolationKind::InvalidArgument)
        );
    }

    #[test]
    fn prefixed_and_display() {
        let v = FieldViolation::invalid("hours", "must be positive").prefixed("visit");
        assert_eq!(v.field, "visit.hours");
        assert_eq!(v.to_string(), "visit.hours: must be positive");
    }

    #[test]
    fn into_result_empty_is_ok() {
        assert_eq!(into_result(vec![]), Ok(()));
        let v = vec![FieldViolation::invalid("x", "y")];
        assert_eq!(into_result(v.clone()), Err(v));
    }

    #[test]
    fn blank_detection() {
        assert!(is_blank(""));
        assert!(is_blank("  \t"));
        assert!(!is_blank(" 教 "));
    }
}

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
pub mod expenses;
pub mod home_teaching;
pub mod letters;
pub mod policy;
pub mod scope;
pub mod status;
pub mod subsidy;

pub use xk_runtime::violation::{FieldViolation, ViolationKind, into_result};

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

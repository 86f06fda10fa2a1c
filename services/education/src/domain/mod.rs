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
//!   `FAILED_PRECONDITION`, with the stable id of the rule from [`rules`].
//!
//! The modules use each other in one direction: [`rules`] and [`policy`] are leaves;
//! [`status`], [`scope`], [`letters`], [`subsidy`] and [`expenses`] use only those;
//! [`home_teaching`] also checks a [`status::StudentStatus`]; [`guarantee`] judges a status
//! with the letters and the home-teaching log; [`cases`] closes only on a guarantee.

pub mod cases;
pub mod expenses;
pub mod guarantee;
pub mod home_teaching;
pub mod letters;
pub mod policy;
pub mod rules;
pub mod scope;
pub mod status;
pub mod subsidy;
#[cfg(test)]
pub(crate) mod testing;

pub(crate) use xk_runtime::violation::is_blank;
pub use xk_runtime::violation::{FieldViolation, ViolationKind, into_result};

/// A required text: a malformed-value violation of `field` saying `missing` when it is
/// blank.
pub(crate) fn require_text(v: &mut Vec<FieldViolation>, field: &str, text: &str, missing: &str) {
    if is_blank(text) {
        v.push(FieldViolation::invalid(field, missing));
    }
}

/// A date that must not be after `today`: a malformed-value violation of `field`
/// ("`what` date … is in the future") when it is.
pub(crate) fn not_in_future(
    v: &mut Vec<FieldViolation>,
    field: &str,
    what: &str,
    date: chrono::NaiveDate,
    today: chrono::NaiveDate,
) {
    if date > today {
        v.push(FieldViolation::invalid(
            field,
            format!("{what} date {date} is in the future"),
        ));
    }
}

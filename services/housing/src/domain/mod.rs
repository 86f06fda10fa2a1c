//! The pure domain core of the housing service: rules and value types, no I/O.
//!
//! Validation helpers return *every* violation they find, not just the first, so a caller
//! can fix a request in one round trip. Each violation carries a [`ViolationKind`]:
//!
//! - [`ViolationKind::InvalidArgument`]: the value is malformed on its own (blank, negative,
//!   zero where a count is needed, a date in the future, an implausible size, funding that
//!   does not add up). Maps to `INVALID_ARGUMENT`.
//! - [`ViolationKind::FailedPrecondition`]: well-formed values that break a rule: milestones
//!   out of order, area over the red line without a reason, debt at or over the cap,
//!   reclamation without demolition. Maps to `FAILED_PRECONDITION`, each with the stable
//!   id of its rule from [`rules`], given where the rule is broken.
//!
//! Some rule breaches are also [`ExceptionKind`]s: records that exist (imported, or
//! recorded before a rule applied) and that the county summary must count and chase.

pub mod appraisal;
pub mod milestones;
pub mod policy;
pub mod relocation;
pub mod rules;
pub mod site;
pub mod support;
#[cfg(test)]
mod testing;

use chrono::NaiveDate;

pub(crate) use xk_runtime::violation::is_blank;
pub use xk_runtime::violation::{FieldViolation, ViolationKind, into_result};

/// A malformed value on `field` when `date` (described as `what`) is after `today`:
/// nothing is on record before it happens.
pub(crate) fn in_future(
    field: &str,
    what: &str,
    date: NaiveDate,
    today: NaiveDate,
) -> Option<FieldViolation> {
    (date > today)
        .then(|| FieldViolation::invalid(field, format!("{what} {date} is in the future")))
}

/// A condition the county summary counts as a housing exception and the office must chase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExceptionKind {
    /// Relocated household not (yet) moved in by the move-in rule of its site type.
    NotMovedIn,
    /// Moved in, demolition required, old house still standing after the grace months.
    NotDemolishedAfterGrace,
    /// Household with labour but no member employed.
    NoEmployment,
    /// House larger than the red line for its members and no exception reason recorded.
    OverAreaWithoutReason,
    /// Household debt from relocation at or above the cap.
    DebtAtOrOverCap,
    /// Moved in but no follow-up support measure recorded.
    NoFollowUpSupport,
    /// House appraised C or D and not renovated.
    DangerousNotRenovated,
}

impl ExceptionKind {
    /// Stable snake_case name, for messages and mapping to the contract.
    pub fn name(self) -> &'static str {
        match self {
            ExceptionKind::NotMovedIn => "not_moved_in",
            ExceptionKind::NotDemolishedAfterGrace => "not_demolished_after_grace",
            ExceptionKind::NoEmployment => "no_employment",
            ExceptionKind::OverAreaWithoutReason => "over_area_without_reason",
            ExceptionKind::DebtAtOrOverCap => "debt_at_or_over_cap",
            ExceptionKind::NoFollowUpSupport => "no_follow_up_support",
            ExceptionKind::DangerousNotRenovated => "dangerous_not_renovated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_names_are_distinct() {
        let all = [
            ExceptionKind::NotMovedIn,
            ExceptionKind::NotDemolishedAfterGrace,
            ExceptionKind::NoEmployment,
            ExceptionKind::OverAreaWithoutReason,
            ExceptionKind::DebtAtOrOverCap,
            ExceptionKind::NoFollowUpSupport,
            ExceptionKind::DangerousNotRenovated,
        ];
        let names: std::collections::BTreeSet<&str> = all.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(ExceptionKind::NotMovedIn.name(), "not_moved_in");
    }
}

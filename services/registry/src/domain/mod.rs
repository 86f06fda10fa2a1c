//! The registry's rules, as pure functions over the household record. No I/O.
//!
//! The record is the contract's `Household` message: the store keeps exactly what clients
//! read, so a read is one lookup with no mapping. These functions check new records and
//! apply status changes to them; the api layer maps their errors to status codes.
//!
//! - [`validate`]: a new or replaced household is well formed (ids, codes, head, years).
//! - [`rules`]: exit, monitoring lifecycle, member removal, alerts.
//! - [`expenses`]: a disaster-expense figure is well formed (year, fen).

pub mod expenses;
pub mod rules;
pub mod validate;

use chrono::NaiveDate;

/// A rule the request breaks given the stored state (FAILED_PRECONDITION), or a conflict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A business rule; `rule` is a stable SCREAMING_SNAKE_CASE identifier.
    #[error("{description}")]
    Precondition {
        /// Stable identifier clients can switch on.
        rule: &'static str,
        /// What it applies to (a field path).
        subject: String,
        /// What is wrong, for people.
        description: String,
    },
    /// Something named in the request does not exist in the record.
    #[error("{what} {name} not found")]
    NotFound {
        /// Resource type.
        what: &'static str,
        /// Its name (never a whole resident id).
        name: String,
    },
}

impl RuleError {
    pub(crate) fn pre(rule: &'static str, subject: &str, description: impl Into<String>) -> Self {
        RuleError::Precondition {
            rule,
            subject: subject.to_string(),
            description: description.into(),
        }
    }
}

/// Today's date in the county's time zone (UTC+8), for "not in the future" checks.
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

//! The education policy in force on a day, from the domain's versioned book
//! (`policy.toml`, or the operator's `--policy-file`).

use chrono::{Datelike, NaiveDate};

use crate::domain::policy::{Policy, PolicyBook, PolicyError};
use crate::domain::scope::school_year;

/// Parses and validates a policy book; `None` means the embedded default.
pub fn load(text: Option<&str>) -> Result<PolicyBook, PolicyError> {
    match text {
        None => Ok(PolicyBook::embedded().clone()),
        Some(t) => PolicyBook::from_toml_str(t),
    }
}

/// The policy of the school year containing `on`: the policy year is the calendar year the
/// school year starts in. Days before the book starts use its earliest entry, so an old
/// date is judged by the oldest known rules rather than refused.
pub fn policy_on(book: &PolicyBook, on: NaiveDate) -> &Policy {
    let year_policy = policy_for_year(book, on.year());
    let start_year = school_year(on, year_policy).start.year();
    policy_for_year(book, start_year)
}

/// The entry for a policy year, falling back to the earliest entry.
pub fn policy_for_year(book: &PolicyBook, year: i32) -> &Policy {
    book.for_year(year)
        .or_else(|| book.years.values().next())
        .or_else(|| PolicyBook::embedded().years.values().next())
        // A validated book is never empty (PolicyBook::validate), nor is the embedded one.
        .expect("a validated policy book has an entry")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_year_picks_the_policy_year() {
        let mut book = load(None).unwrap();
        let mut p = book.years[&2014].clone();
        p.letter_reply_days = 45;
        book.years.insert(2020, p);
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // June 2020 belongs to school year 2019/20: the 2014 entry.
        assert_eq!(policy_on(&book, d(2020, 6, 1)).letter_reply_days, 30);
        assert_eq!(policy_on(&book, d(2020, 9, 1)).letter_reply_days, 45);
        assert_eq!(policy_on(&book, d(2000, 1, 1)).letter_reply_days, 30);
    }
}

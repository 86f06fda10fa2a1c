//! Which entry of the policy book (`policy.toml`, or the operator's `--policy-file`) applies
//! on a day: the entry of the school year containing it, named by the calendar year the
//! school year starts in.
//!
//! A day whose school year starts before the book has no policy: the request that sent it
//! is INVALID_ARGUMENT naming the field, rather than judged by rules made later. The
//! built-in book starts with the school year 2013/14, so every day of the archive is
//! covered; a book loaded by [`load`] must cover the current school year, so "today" always
//! has a policy.

use chrono::{Datelike, NaiveDate};
use xk_runtime::ApiError;
use xk_runtime::policy::{PolicyBook, PolicyError};

use crate::domain::policy::{Policy, embedded, from_toml};
use crate::domain::scope::school_year;

/// Parses and checks a policy book (`None`: the built-in one). Refuses a book that starts
/// after the school year containing `today`, which would leave every request without rules.
pub fn load(text: Option<&str>, today: NaiveDate) -> Result<PolicyBook<Policy>, PolicyError> {
    let book = match text {
        None => embedded().clone(),
        Some(t) => from_toml(t)?,
    };
    if policy_on(&book, today, "today").is_err() {
        return Err(PolicyError::Invalid {
            year: book.first_year(),
            reason: format!(
                "the book starts after the school year containing today ({today}); \
                 add an entry for that school year or earlier"
            ),
        });
    }
    Ok(book)
}

/// The policy of the school year containing `on`, or INVALID_ARGUMENT naming `field` (the
/// request field that carried `on`) when that school year starts before the book.
pub fn policy_on<'b>(
    book: &'b PolicyBook<Policy>,
    on: NaiveDate,
    field: &str,
) -> Result<&'b Policy, ApiError> {
    // The calendar year's entry says when its school year starts; the school year's own
    // entry (its starting calendar year) holds the figures.
    let calendar = book.require(on.year(), field)?;
    book.require(school_year(on, calendar).start.year(), field)
}

/// The built-in book's policy for the school year containing `on`, for the tools that plan
/// records as the service will judge them (the demo, the bench, the tests).
pub fn built_in_on(on: NaiveDate) -> Result<&'static Policy, ApiError> {
    policy_on(embedded(), on, "on")
}

/// The school year containing `on`, named by its starting calendar year; INVALID_ARGUMENT
/// naming `field` when the book does not cover it.
pub fn school_year_of(
    book: &PolicyBook<Policy>,
    on: NaiveDate,
    field: &str,
) -> Result<i32, ApiError> {
    Ok(school_year(on, policy_on(book, on, field)?).start.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::DEFAULT_POLICY_TOML;
    use crate::domain::testing::book_with_year;
    use tonic::{Code, Status};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_school_year_picks_the_policy_year() {
        let book = book_with_year(2020, "letter_reply_days = 30", "letter_reply_days = 45");
        let days = |on| policy_on(&book, on, "as_of").map(|p| p.letter_reply_days);
        // June 2020 belongs to school year 2019/20: the 2013 entry.
        assert_eq!(days(d(2020, 6, 1)).ok(), Some(30));
        assert_eq!(days(d(2020, 9, 1)).ok(), Some(45));
        assert_eq!(school_year_of(&book, d(2020, 6, 1), "x").ok(), Some(2019));
        // The archive's first school year is covered from its first day.
        assert_eq!(days(d(2013, 9, 1)).ok(), Some(30));
    }

    #[test]
    fn a_day_before_the_book_is_invalid_argument_naming_its_field() {
        let book = embedded();
        for on in [d(2013, 8, 31), d(2000, 1, 1), NaiveDate::MIN] {
            let err = policy_on(book, on, "visit.date").unwrap_err();
            let s = Status::from(err);
            assert_eq!(s.code(), Code::InvalidArgument, "{on}");
            assert!(s.message().contains("visit.date"), "{}", s.message());
        }
    }

    #[test]
    fn a_book_that_starts_after_today_is_refused() {
        let text = DEFAULT_POLICY_TOML.replace("[2013", "[2030");
        let today = d(2026, 12, 6);
        assert!(matches!(
            load(Some(&text), today),
            Err(PolicyError::Invalid { year: 2030, .. })
        ));
        assert_eq!(load(Some(&text), d(2030, 9, 1)).unwrap().first_year(), 2030);
        assert_eq!(load(None, today).unwrap().first_year(), 2013);
    }
}

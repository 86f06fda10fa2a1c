//! What the domain's unit tests share: dates, the day they judge on, and violations as
//! (field, rule id) pairs or as their fields alone.

use chrono::NaiveDate;

use super::FieldViolation;

/// The date `y`-`m`-`day`.
pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The day the household tests are judged on.
pub(crate) fn fixed_day() -> NaiveDate {
    d(2020, 6, 30)
}

/// Each violation as (field, rule id); a malformed value has no rule id ("").
pub(crate) fn breaches(violations: &[FieldViolation]) -> Vec<(&str, &str)> {
    violations
        .iter()
        .map(|v| (v.field.as_str(), v.rule))
        .collect()
}

/// The field of each violation, in the order reported.
pub(crate) fn fields(violations: &[FieldViolation]) -> Vec<&str> {
    violations.iter().map(|v| v.field.as_str()).collect()
}

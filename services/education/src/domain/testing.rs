//! What the domain's unit tests share: a day by its numbers, the built-in policy of 2019,
//! the built-in book with a later year, the violation kinds, violations as (field, kind) pairs, and proptest. Each test module
//! starts with `use crate::domain::testing::*;`.

pub(crate) use super::ViolationKind;
pub(crate) use proptest::prelude::*;

use chrono::NaiveDate;

use super::FieldViolation;
use super::policy::{DEFAULT_POLICY_TOML, Policy, embedded, from_toml};
use xk_runtime::policy::PolicyBook;

/// The day `y-m-day`.
pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The built-in policy of 2019, the year most tests are set in.
pub(crate) fn test_policy() -> Policy {
    embedded()
        .for_year(2019)
        .expect("embedded book covers 2019")
        .clone()
}

/// The built-in book with an entry for `year` added: a copy of the first (2013) entry with
/// `from` replaced by `to`, so a test can tell which entry a day is judged by.
pub(crate) fn book_with_year(year: i32, from: &str, to: &str) -> PolicyBook<Policy> {
    let later = DEFAULT_POLICY_TOML
        .replace("[2013", &format!("[{year}"))
        .replace(from, to);
    from_toml(&format!("{DEFAULT_POLICY_TOML}\n{later}")).expect("a valid book")
}

/// Each violation as (field, kind), in the order reported.
pub(crate) fn field_kinds(violations: &[FieldViolation]) -> Vec<(&str, ViolationKind)> {
    violations
        .iter()
        .map(|v| (v.field.as_str(), v.kind))
        .collect()
}

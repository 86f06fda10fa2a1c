//! The health service's per-village running totals (issue 16): what SummarizeByRegion
//! reads instead of every enrolment and person-year when the rollups can answer.
//!
//! Two rollups, one per table the summary groups ([`super::summary::summarize`]); both are
//! scoped by (coverage year, village code), the unit the summary filters and groups by (a
//! write's deltas are merged per village-year). Designated institutions are few and
//! read directly on both paths; the latest enrolled year is one MAX over an index.
//!
//! - `enrolments_rollup` serves the insured, registered-poor insured, premium and the
//!   two payers' shares. Key `registered_poor`: the registered-poor count tests it.
//! - `person_years_rollup` serves the cases, people with cases, the four layers' and the
//!   personal payments, and the people over the cap. Two keys:
//!   - `with_cases` (`cases > 0` as 1 or 0): the summary's "people with cases" tests it
//!     on the rollups (`with_cases = 1`) and `cases > 0` on the rows. Not the summed
//!     `cases` itself: on PostgreSQL a summary also adds the deltas still pending, and the
//!     delta that takes away a person-year with cases (n = −1, cases = −3) must fall under
//!     the same condition as the row it cancels. (A key named `cases` would clash with the
//!     summed `cases`.)
//!   - `in_county_personal_fen` ([`OverCap`]): `cap + 1` for a person-year over the cap of
//!     its coverage year, else 0, so the summary's condition `in_county_personal_fen >
//!     cap` has the same truth on both tables when the request's cap is the baked one.
//!
//! No figure compares a date, so the floor never makes a summary scan the rows; only the
//! cap does ([`OverCap::baked_in`]): a book other than the one the rollups were built
//! with changes the key's SQL, hence the definition's fingerprint, and the rollup is
//! rebuilt at the next start.

use chrono::NaiveDate;
use sea_orm::DbBackend;
use xk_runtime::rollup::Rollup;

use crate::domain::PolicyBook;

/// The person-year rollup's table.
pub const PERSON_YEARS_ROLLUP: &str = "person_years_rollup";
/// The enrolment rollup's table.
pub const ENROLMENTS_ROLLUP: &str = "enrolments_rollup";
/// The over-cap key's column: named after the column the summary's condition tests.
const OVER_CAP_KEY: &str = "in_county_personal_fen";

/// The annual personal caps of a policy book by coverage year, as the summary judges "over
/// the cap": the cap of the policy in force in the row's coverage year, 0 before the book
/// starts (the handler's `cap_for`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverCap {
    /// (first coverage year, cap in fen) per book entry, latest first.
    bands: Vec<(i32, i64)>,
}

impl OverCap {
    /// The caps of `book`.
    pub fn of_book(book: &PolicyBook) -> Self {
        let mut bands: Vec<(i32, i64)> = book
            .iter()
            .map(|(year, p)| (*year, p.supplementary.annual_personal_cap_fen))
            .collect();
        bands.reverse();
        OverCap { bands }
    }

    /// The cap of coverage year `year` (0 before the book starts, as the handler judges).
    pub fn cap_for(&self, year: i32) -> i64 {
        self.bands
            .iter()
            .find(|(from, _)| *from <= year)
            .map_or(0, |(_, cap)| *cap)
    }

    /// The key's SQL over a person-year row: `cap + 1` when `in_county_personal_fen`
    /// exceeds its coverage year's cap, else 0. One value per side keeps the rollup one or
    /// two rows per village-year however the payments are spread.
    pub fn key_sql(&self) -> String {
        let over = |cap: i64| {
            format!(
                "CASE WHEN in_county_personal_fen > {cap} THEN {} ELSE 0 END",
                cap.saturating_add(1)
            )
        };
        let mut sql = String::from("CAST(CASE");
        for (from, cap) in &self.bands {
            sql.push_str(&format!(
                " WHEN coverage_year >= {from} THEN {}",
                over(*cap)
            ));
        }
        sql.push_str(&format!(" ELSE {} END AS BIGINT)", over(0)));
        sql
    }

    /// Whether `defs` (the rollups kept) judge "over the cap" by these caps: only then does
    /// the person-year rollup answer a summary judged by them.
    pub fn baked_in(&self, defs: &[Rollup]) -> bool {
        let want = self.key_sql();
        defs.iter()
            .filter(|d| d.table == PERSON_YEARS_ROLLUP)
            .any(|d| {
                d.keys
                    .iter()
                    .any(|(name, expr)| *name == OVER_CAP_KEY && *expr == want)
            })
    }
}

/// The health rollups, over `over_cap`'s caps. They compare no date, so `floor` and
/// `backend` change nothing (the runtime passes them to every service's definitions).
pub fn definitions(_floor: NaiveDate, _backend: DbBackend, over_cap: &OverCap) -> Vec<Rollup> {
    let scope = ["coverage_year", "village_code"];
    vec![
        Rollup::new(ENROLMENTS_ROLLUP, "enrolments", &scope)
            .key("registered_poor")
            .sum("premium_fen")
            .sum("government_paid_fen")
            .sum("personal_paid_fen"),
        Rollup::new(PERSON_YEARS_ROLLUP, "person_years", &scope)
            .key_as("with_cases", "CASE WHEN cases > 0 THEN 1 ELSE 0 END")
            .key_as(OVER_CAP_KEY, over_cap.key_sql())
            .sum("cases")
            .sum("total_fen")
            .sum("basic_fen")
            .sum("serious_fen")
            .sum("assistance_fen")
            .sum("supplementary_fen")
            .sum("personal_in_policy_fen")
            .sum("personal_total_fen"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{book_from_toml, embedded_book};

    fn floor() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
    }

    #[test]
    fn caps_follow_the_book_and_are_zero_before_it() {
        let caps = OverCap::of_book(&embedded_book().unwrap());
        assert_eq!(caps.cap_for(2018), 0);
        assert_eq!(caps.cap_for(2019), 500_000);
        assert_eq!(
            caps.cap_for(2035),
            500_000,
            "the latest entry stays in force"
        );
        let sql = caps.key_sql();
        // Latest band first, so a year takes the entry in force in it.
        let at = |s: &str| sql.find(s).unwrap();
        assert!(at("coverage_year >= 2021") < at("coverage_year >= 2020"));
        assert!(at("coverage_year >= 2020") < at("coverage_year >= 2019"));
        assert!(sql.contains("> 500000 THEN 500001 ELSE 0"));
        assert!(sql.ends_with(
            "ELSE CASE WHEN in_county_personal_fen > 0 THEN 1 ELSE 0 END END AS BIGINT)"
        ));
    }

    #[test]
    fn another_cap_changes_the_definition_and_is_not_baked_in() {
        let book = embedded_book().unwrap();
        let text = crate::domain::DEFAULT_POLICY_TOML.replace(
            "annual_personal_cap_fen = 500000    #",
            "annual_personal_cap_fen = 400000    #",
        );
        let other = book_from_toml(&text).unwrap();
        let (ours, theirs) = (OverCap::of_book(&book), OverCap::of_book(&other));
        assert_eq!(theirs.cap_for(2019), 400_000);
        assert_eq!(theirs.cap_for(2020), 500_000);
        let defs = definitions(floor(), DbBackend::Sqlite, &ours);
        assert!(ours.baked_in(&defs));
        assert!(!theirs.baked_in(&defs));
        assert_ne!(defs, definitions(floor(), DbBackend::Sqlite, &theirs));
    }

    #[test]
    fn every_figure_column_is_kept_under_its_source_name() {
        let defs = definitions(
            floor(),
            DbBackend::Postgres,
            &OverCap::of_book(&embedded_book().unwrap()),
        );
        let names = |d: &Rollup| -> Vec<&str> {
            d.keys.iter().chain(&d.measures).map(|(n, _)| *n).collect()
        };
        assert_eq!(
            names(&defs[0]),
            [
                "registered_poor",
                "premium_fen",
                "government_paid_fen",
                "personal_paid_fen"
            ]
        );
        assert_eq!(
            names(&defs[1]),
            [
                "with_cases",
                "in_county_personal_fen",
                "cases",
                "total_fen",
                "basic_fen",
                "serious_fen",
                "assistance_fen",
                "supplementary_fen",
                "personal_in_policy_fen",
                "personal_total_fen"
            ]
        );
        assert!(
            defs.iter()
                .all(|d| d.scope == ["coverage_year", "village_code"])
        );
    }
}

//! The registry's policy numbers, per effective year (see `policy.toml`), in the runtime's
//! [`PolicyBook`].

use serde::Deserialize;
use xk_runtime::policy::{PolicyBook, PolicyError};

/// The built-in book; an operator replaces it with `--policy-file`.
pub const DEFAULT_POLICY: &str = include_str!("../policy.toml");

/// The first year a request may name as an exit or summary year. The built-in book starts
/// no later, so every such year has a policy.
pub const FIRST_YEAR: i32 = 2000;

/// The last year a request may name as an exit or summary year (a typo guard).
pub const LAST_YEAR: i32 = 2100;

/// One year's registry policy.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RegistryPolicy {
    /// Per-capita net income a year (fen) a household must reach to exit poverty.
    pub poverty_line_fen: i64,
    /// Per-capita income (fen) below which a non-poor household is monitored.
    pub monitoring_line_fen: i64,
    /// Days at stage "identified" without help before a monitoring case is an alert.
    pub monitoring_alert_days: i64,
    /// Collective operating income (fen a year) each poor village must reach.
    pub poor_village_collective_income_fen: i64,
    /// First year sudden-hardship cases exist.
    pub sudden_hardship_from_year: i32,
    /// Earliest identified year accepted.
    pub earliest_identified_year: i32,
}

impl RegistryPolicy {
    /// What one year's numbers must satisfy for the rules to make sense.
    fn check(&self) -> Result<(), String> {
        if self.poverty_line_fen <= 0 || self.monitoring_line_fen < self.poverty_line_fen {
            return Err(
                "poverty line must be positive and the monitoring line at least the poverty line"
                    .into(),
            );
        }
        if self.monitoring_alert_days <= 0 || self.poor_village_collective_income_fen < 0 {
            return Err("alert days must be positive, income threshold non-negative".into());
        }
        Ok(())
    }
}

/// Parses and checks a policy book (the built-in one when `text` is `None`).
pub fn load(text: Option<&str>) -> Result<PolicyBook<RegistryPolicy>, PolicyError> {
    PolicyBook::from_toml_checked(text.unwrap_or(DEFAULT_POLICY), RegistryPolicy::check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_book_has_the_published_lines() {
        let b = load(None).unwrap();
        assert_eq!(b.for_year(2019).unwrap().poverty_line_fen, 321_800);
        assert_eq!(b.for_year(2020).unwrap().monitoring_line_fen, 600_000);
        assert_eq!(
            b.for_year(2019).unwrap().poor_village_collective_income_fen,
            5_000_000
        );
    }

    /// A year the validation accepts but the book does not cover would turn a valid
    /// request into INVALID_ARGUMENT: the book starts at the first exit or summary year,
    /// and no entry accepts an identified year before the book.
    #[test]
    fn every_year_the_validation_accepts_has_a_policy() {
        let b = load(None).unwrap();
        assert!(
            b.first_year() <= FIRST_YEAR,
            "book starts {}",
            b.first_year()
        );
        for (year, p) in b.iter() {
            assert!(
                p.earliest_identified_year >= b.first_year(),
                "{year}: identified years from {} are accepted",
                p.earliest_identified_year
            );
        }
        // 2013 pilots are accepted, and judged by the archive's first figures.
        let pilot = b.require(2013, "household.identified_year").unwrap();
        assert_eq!(pilot, b.for_year(2014).unwrap());
        assert_eq!(pilot.earliest_identified_year, 2013);
        assert!(b.require(FIRST_YEAR - 1, "exit_year").is_err());
    }

    #[test]
    fn rejects_a_monitoring_line_below_the_poverty_line() {
        let bad = DEFAULT_POLICY.replace("monitoring_line_fen = 600000", "monitoring_line_fen = 1");
        let err = load(Some(&bad)).unwrap_err();
        assert!(
            matches!(err, PolicyError::Invalid { year: 2020, .. }),
            "{err}"
        );
    }
}

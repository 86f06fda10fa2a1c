//! The registry's policy numbers, per effective year (see `policy.toml`).

use serde::Deserialize;
use xk_runtime::policy::{PolicyBook, PolicyError};

/// The built-in book; an operator replaces it with `--policy-file`.
pub const DEFAULT_POLICY: &str = include_str!("../policy.toml");

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

/// Parses and checks a policy book.
pub fn load(text: Option<&str>) -> Result<PolicyBook<RegistryPolicy>, PolicyError> {
    let book = PolicyBook::<RegistryPolicy>::from_toml(text.unwrap_or(DEFAULT_POLICY))?;
    for (year, p) in book.iter() {
        if p.poverty_line_fen <= 0 || p.monitoring_line_fen < p.poverty_line_fen {
            return Err(PolicyError::Parse(format!(
                "{year}: poverty line must be positive and the monitoring line at least the poverty line"
            )));
        }
        if p.monitoring_alert_days <= 0 || p.poor_village_collective_income_fen < 0 {
            return Err(PolicyError::Parse(format!(
                "{year}: alert days must be positive, income threshold non-negative"
            )));
        }
    }
    Ok(book)
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

    #[test]
    fn rejects_a_monitoring_line_below_the_poverty_line() {
        let bad = DEFAULT_POLICY.replace("monitoring_line_fen = 600000", "monitoring_line_fen = 1");
        assert!(load(Some(&bad)).is_err());
    }
}

//! The aggregator's own policy numbers, per effective year (`policy.toml`): the
//! monitoring triggers ListAtRiskHouseholds applies (DOMAIN.md §3).

use serde::Deserialize;
use xk_runtime::policy::{PolicyBook, PolicyError};

/// The built-in book; an operator replaces it with `--policy-file`.
pub const DEFAULT_POLICY: &str = include_str!("../policy.toml");

/// One year's monitoring triggers.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RiskPolicy {
    /// Per-capita net income a year (fen) below which a household is at risk: 1.5 x the
    /// poverty line in 2019 and 2020, 6,000 yuan from 2021 (local).
    pub monitoring_line_fen: i64,
    /// A fall of per-capita income from the previous year by more than this percent is a
    /// trigger (30, local).
    pub income_fall_percent: i64,
    /// A person's personal medical payment in the year above this (fen) is a trigger
    /// (5,000 yuan, local).
    pub large_medical_payment_fen: i64,
}

/// Parses and checks a policy book (the built-in one when `text` is `None`).
pub fn load(text: Option<&str>) -> Result<PolicyBook<RiskPolicy>, PolicyError> {
    let book = PolicyBook::<RiskPolicy>::from_toml(text.unwrap_or(DEFAULT_POLICY))?;
    for (year, p) in book.iter() {
        if p.monitoring_line_fen <= 0 || p.large_medical_payment_fen <= 0 {
            return Err(PolicyError::Parse(format!(
                "{year}: the monitoring line and the large-payment threshold must be positive"
            )));
        }
        if !(1..=99).contains(&p.income_fall_percent) {
            return Err(PolicyError::Parse(format!(
                "{year}: income_fall_percent must be 1-99, got {}",
                p.income_fall_percent
            )));
        }
    }
    Ok(book)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_book_has_the_domain_lines() {
        let b = load(None).unwrap();
        // 1.5 x 3,218 yuan in 2019; 1.5 x 4,000 in 2020; 6,000 (local) in 2021.
        assert_eq!(
            b.for_year(2019).unwrap().monitoring_line_fen,
            321_800 * 3 / 2
        );
        assert_eq!(
            b.for_year(2020).unwrap().monitoring_line_fen,
            400_000 * 3 / 2
        );
        assert_eq!(b.for_year(2021).unwrap().monitoring_line_fen, 600_000);
        assert_eq!(b.for_year(2019).unwrap().income_fall_percent, 30);
        assert_eq!(b.for_year(2025).unwrap().large_medical_payment_fen, 500_000);
    }

    #[test]
    fn rejects_nonsense() {
        let bad = DEFAULT_POLICY.replace("income_fall_percent = 30", "income_fall_percent = 0");
        assert!(load(Some(&bad)).is_err());
        let bad =
            DEFAULT_POLICY.replace("monitoring_line_fen = 600000", "monitoring_line_fen = -1");
        assert!(load(Some(&bad)).is_err());
    }
}

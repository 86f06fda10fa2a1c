//! The housing policy book: every threshold the rules use, keyed by policy year.
//!
//! Policy figures change, so they live in versioned configuration (`policy.toml`, embedded
//! as the default) and never as literals in the rules. [`PolicyBook::for_year`] returns
//! the entry of the latest year not after the one asked.
//!
//! Units are integers so that comparisons at a limit are exact: area in 0.01 m², land in
//! 0.01 mu, money in fen.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The default policy book shipped with the service (`policy.toml` in the crate root).
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../policy.toml");

/// One mu (亩) in 0.01 m²: 1 mu = 10,000/15 m² = 666.67 m² (rounded to the 0.01 m² unit).
/// A fixed definition of the unit, not a policy figure.
pub const CENTI_M2_PER_MU: i64 = 66_667;

/// Convert land in 0.01 mu to 0.01 m² (rounded half up; exact for whole mu).
pub fn centi_mu_to_centi_m2(centi_mu: i64) -> i64 {
    // centi_mu/100 mu × CENTI_M2_PER_MU; i128 so no input can overflow the product.
    let product = i128::from(centi_mu) * i128::from(CENTI_M2_PER_MU);
    let rounded = (product + product.signum() * 50) / 100;
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

static EMBEDDED: LazyLock<PolicyBook> = LazyLock::new(|| {
    PolicyBook::from_toml_str(DEFAULT_POLICY_TOML)
        .unwrap_or_else(|e| panic!("embedded policy.toml is invalid: {e}"))
});

/// One policy year's figures. Construct through [`PolicyBook`] so it is validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Housing area red line per person, 0.01 m²; a house may be at most this × members
    /// unless an exception reason is recorded.
    pub area_red_line_centi_m2_per_person: i64,
    /// Household debt from relocation must stay strictly below this, in fen.
    pub debt_cap_fen: i64,
    /// Largest plausible reclaimed old-homestead area for one household, 0.01 mu; more is
    /// treated as a data-entry error (usually a unit mistake).
    pub max_reclaimed_centi_mu_per_household: i64,
    /// Months after move-in by which a required demolition must be done.
    pub demolition_grace_months: u32,
}

impl Policy {
    /// Every problem with this entry, as human-readable lines; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, v) in [
            (
                "area_red_line_centi_m2_per_person",
                self.area_red_line_centi_m2_per_person,
            ),
            ("debt_cap_fen", self.debt_cap_fen),
            (
                "max_reclaimed_centi_mu_per_household",
                self.max_reclaimed_centi_mu_per_household,
            ),
        ] {
            if v <= 0 {
                out.push(format!("{name} must be positive"));
            }
        }
        out
    }
}

/// Why a policy book could not be loaded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    /// The text is not valid TOML for a policy book (syntax, missing or unknown field).
    #[error("policy book does not parse: {0}")]
    Parse(String),
    /// The book has no year at all, so nothing could be checked.
    #[error("policy book has no policy year")]
    Empty,
    /// One year's figures are inconsistent.
    #[error("policy year {year} is invalid: {}", problems.join("; "))]
    Invalid {
        /// The offending policy year, so the operator knows which table to fix.
        year: i32,
        /// Every problem found in that year.
        problems: Vec<String>,
    },
}

/// All policy years; each entry applies from its year until the next entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBook {
    /// Policy per first year of application (the relocation batch year).
    pub years: BTreeMap<i32, Policy>,
}

impl PolicyBook {
    /// Parse and validate a book from TOML text (the format of `policy.toml`).
    pub fn from_toml_str(text: &str) -> Result<PolicyBook, PolicyError> {
        let book: PolicyBook =
            toml::from_str(text).map_err(|e| PolicyError::Parse(e.message().to_string()))?;
        book.validate()?;
        Ok(book)
    }

    /// The book embedded in the binary (`policy.toml`), parsed once.
    pub fn embedded() -> &'static PolicyBook {
        &EMBEDDED
    }

    /// Check every year; the first invalid year is reported with all its problems.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.years.is_empty() {
            return Err(PolicyError::Empty);
        }
        for (year, policy) in &self.years {
            let problems = policy.problems();
            if !problems.is_empty() {
                return Err(PolicyError::Invalid {
                    year: *year,
                    problems,
                });
            }
        }
        Ok(())
    }

    /// The policy in force in year `y`: the latest entry whose year is `<= y`.
    /// `None` when `y` is before the first entry.
    pub fn for_year(&self, y: i32) -> Option<&Policy> {
        self.years.range(..=y).next_back().map(|(_, p)| p)
    }
}

#[cfg(test)]
pub(crate) fn test_policy() -> Policy {
    PolicyBook::embedded()
        .for_year(2019)
        .expect("embedded book covers 2019")
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_book_has_domain_defaults() {
        let p = test_policy();
        assert_eq!(p.area_red_line_centi_m2_per_person, 2_500);
        assert_eq!(p.debt_cap_fen, 1_000_000);
        assert_eq!(p.max_reclaimed_centi_mu_per_household, 200);
        assert_eq!(p.demolition_grace_months, 12);
        assert_eq!(p.problems(), Vec::<String>::new());
    }

    #[test]
    fn for_year_picks_latest_not_after() {
        let mut book = PolicyBook::embedded().clone();
        let mut p2020 = test_policy();
        p2020.debt_cap_fen = 2_000_000;
        book.years.insert(2020, p2020);
        assert!(book.for_year(2015).is_none());
        assert_eq!(book.for_year(2016).map(|p| p.debt_cap_fen), Some(1_000_000));
        assert_eq!(book.for_year(2019).map(|p| p.debt_cap_fen), Some(1_000_000));
        assert_eq!(book.for_year(2020).map(|p| p.debt_cap_fen), Some(2_000_000));
        assert_eq!(book.for_year(2099).map(|p| p.debt_cap_fen), Some(2_000_000));
    }

    #[test]
    fn toml_round_trip_keeps_book() {
        let book = PolicyBook::embedded();
        let text = toml::to_string(book).expect("serializes");
        assert_eq!(PolicyBook::from_toml_str(&text).as_ref(), Ok(book));
    }

    #[test]
    fn bad_books_are_rejected() {
        assert_eq!(
            PolicyBook::from_toml_str("[years]\n"),
            Err(PolicyError::Empty)
        );
        let unknown = DEFAULT_POLICY_TOML.replace(
            "debt_cap_fen = 1000000",
            "debt_cap_fen = 1000000\ndebt_cap_yuan = 10000",
        );
        assert!(matches!(
            PolicyBook::from_toml_str(&unknown),
            Err(PolicyError::Parse(_))
        ));
        let invalid = DEFAULT_POLICY_TOML
            .replace("debt_cap_fen = 1000000", "debt_cap_fen = 0")
            .replace(
                "area_red_line_centi_m2_per_person = 2500",
                "area_red_line_centi_m2_per_person = -1",
            )
            .replace(
                "max_reclaimed_centi_mu_per_household = 200",
                "max_reclaimed_centi_mu_per_household = 0",
            );
        match PolicyBook::from_toml_str(&invalid) {
            Err(PolicyError::Invalid { year, problems }) => {
                assert_eq!(year, 2016);
                assert_eq!(problems.len(), 3, "{problems:?}");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn mu_conversion() {
        assert_eq!(CENTI_M2_PER_MU, 66_667);
        assert_eq!(centi_mu_to_centi_m2(100), 66_667); // 1 mu = 666.67 m²
        assert_eq!(centi_mu_to_centi_m2(200), 133_334);
        assert_eq!(centi_mu_to_centi_m2(1), 667); // 0.01 mu = 6.6667 m² -> 6.67 m²
        assert_eq!(centi_mu_to_centi_m2(0), 0);
        assert_eq!(centi_mu_to_centi_m2(-1), -667);
        // The published 1,800 mu reclaimed.
        assert_eq!(centi_mu_to_centi_m2(180_000), 120_000_600);
        assert_eq!(centi_mu_to_centi_m2(i64::MAX), i64::MAX);
    }
}

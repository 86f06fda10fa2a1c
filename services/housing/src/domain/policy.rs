//! The housing policy: every threshold the rules use, one [`Policy`] per policy year in the
//! runtime's [`PolicyBook`], keyed by the relocation batch year.
//!
//! Policy figures change, so they live in versioned configuration (`policy.toml`, embedded
//! as the default) and never as literals in the rules. The entry of the latest year not
//! after the batch year applies; a batch year before the book's first entry has no policy
//! and is refused.
//!
//! Units are integers so that comparisons at a limit are exact: area in 0.01 m², land in
//! 0.01 mu, money in fen.

use serde::Deserialize;
use xk_runtime::policy::{PolicyBook, PolicyError};

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

/// One policy year's figures. Read through [`load`] so they are checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

/// Parses a policy book (the format of `policy.toml`) and checks every year's figures
/// ([`Policy::problems`]), so a bad policy file stops the service at start-up rather than
/// judging households by it.
pub fn load(text: &str) -> Result<PolicyBook<Policy>, PolicyError> {
    PolicyBook::from_toml_checked(text, |policy: &Policy| {
        let problems = policy.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    })
}

#[cfg(test)]
pub(crate) fn test_policy() -> Policy {
    load(DEFAULT_POLICY_TOML)
        .expect("the built-in book is valid")
        .for_year(2019)
        .expect("the built-in book covers 2019")
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use xk_runtime::policy::testing::{assert_invalid, edited};

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
    fn the_built_in_book_starts_with_the_programme_in_2016() {
        let book = load(DEFAULT_POLICY_TOML).unwrap();
        assert_eq!(book.first_year(), 2016);
        assert!(
            book.for_year(2015).is_none(),
            "no policy before the programme"
        );
        assert_eq!(book.for_year(2030), Some(&test_policy()));
    }

    #[test]
    fn bad_books_are_rejected() {
        assert!(matches!(load(""), Err(PolicyError::Empty)));
        let unknown = DEFAULT_POLICY_TOML.replace(
            "debt_cap_fen = 1000000",
            "debt_cap_fen = 1000000\ndebt_cap_yuan = 10000",
        );
        assert!(matches!(load(&unknown), Err(PolicyError::Parse(_))));
        let invalid = edited(
            DEFAULT_POLICY_TOML,
            &[
                ("debt_cap_fen = 1000000", "debt_cap_fen = 0"),
                (
                    "area_red_line_centi_m2_per_person = 2500",
                    "area_red_line_centi_m2_per_person = -1",
                ),
                (
                    "max_reclaimed_centi_mu_per_household = 200",
                    "max_reclaimed_centi_mu_per_household = 0",
                ),
            ],
        );
        let fields = [
            "area_red_line_centi_m2_per_person",
            "debt_cap_fen",
            "max_reclaimed_centi_mu_per_household",
        ];
        assert_invalid(load(&invalid), 2016, &fields);
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

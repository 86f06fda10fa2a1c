//! GetPolicy: the entry of the registry's policy book in force in a year, so callers (the
//! aggregator's CheckExitEligibility) judge with the book this registry was started with
//! rather than a copy of the built-in one.

use tonic::Status;
use xk_contracts::pb::registry::v1::{GetPolicyRequest, GetPolicyResponse, Policy};
use xk_runtime::errors::invalid;

use super::RegistryApi;

/// The years a caller may ask about: any calendar year a date can name.
const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

impl RegistryApi {
    /// The entry in force in the year; a year before the book's first entry has none and is
    /// INVALID_ARGUMENT naming `year`, as everywhere a policy year is asked for
    /// (`PolicyBook::require`).
    pub(super) fn get_policy_impl(
        &self,
        req: GetPolicyRequest,
    ) -> Result<GetPolicyResponse, Status> {
        if !YEARS.contains(&req.year) {
            return Err(invalid("year", format!("must be 1-9999, got {}", req.year)));
        }
        let p = self.policy.require(req.year, "year")?;
        let effective_year = self.policy.effective_year(req.year).unwrap_or(req.year);
        Ok(GetPolicyResponse {
            effective_year,
            policy: Some(Policy {
                poverty_line_fen: p.poverty_line_fen,
                monitoring_line_fen: p.monitoring_line_fen,
                monitoring_alert_days: p.monitoring_alert_days,
                poor_village_collective_income_fen: p.poor_village_collective_income_fen,
                sudden_hardship_from_year: p.sudden_hardship_from_year,
                earliest_identified_year: p.earliest_identified_year,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_latest_entry_not_after_the_year_is_in_force_and_none_before_the_first() {
        let book = crate::policy::load(None).unwrap();
        let entry = |y| {
            book.effective_year(y)
                .zip(book.for_year(y).map(|p| p.poverty_line_fen))
        };
        assert_eq!(entry(2019), Some((2019, 321_800)));
        assert_eq!(entry(2018), Some((2014, 280_000)));
        assert_eq!(book.effective_year(2040), Some(2021));
        assert_eq!(entry(2013), Some((2000, 280_000)));
        assert!(entry(1999).is_none());
    }
}

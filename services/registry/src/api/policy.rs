//! GetPolicy: the entry of the registry's policy book in force in a year, so callers (the
//! aggregator's CheckExitEligibility) judge with the book this registry was started with
//! rather than a copy of the built-in one.

use tonic::Status;
use xk_contracts::pb::registry::v1::{GetPolicyRequest, GetPolicyResponse, Policy};
use xk_runtime::errors::{failed_precondition, invalid};
use xk_runtime::policy::PolicyBook;

use super::RegistryApi;
use crate::policy::RegistryPolicy;

/// The rule id of a year before the book's first entry.
pub const POLICY_NOT_IN_FORCE: &str = "POLICY_NOT_IN_FORCE";

/// The years a caller may ask about: any calendar year a date can name.
const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// The entry in force in `year` with the year it took effect: the latest one not after
/// `year`. `None` before the first entry — unlike `PolicyBook::for_year`, which falls back
/// to the earliest entry, a caller asking through the contract is told there is none.
fn entry_in_force(book: &PolicyBook<RegistryPolicy>, year: i32) -> Option<(i32, &RegistryPolicy)> {
    book.iter()
        .take_while(|(effective, _)| **effective <= year)
        .last()
        .map(|(effective, p)| (*effective, p))
}

impl RegistryApi {
    pub(super) fn get_policy_impl(
        &self,
        req: GetPolicyRequest,
    ) -> Result<GetPolicyResponse, Status> {
        if !YEARS.contains(&req.year) {
            return Err(invalid("year", format!("must be 1-9999, got {}", req.year)));
        }
        let Some((effective_year, p)) = entry_in_force(&self.policy, req.year) else {
            let first = self.policy.iter().next().map_or(0, |(y, _)| *y);
            return Err(failed_precondition(
                POLICY_NOT_IN_FORCE,
                "year",
                format!(
                    "no registry policy is in force in {}: the book starts in {first}",
                    req.year
                ),
            ));
        };
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
    use super::*;

    #[test]
    fn the_latest_entry_not_after_the_year_is_in_force_and_none_before_the_first() {
        let book = crate::policy::load(None).unwrap();
        assert_eq!(
            entry_in_force(&book, 2019).map(|(y, p)| (y, p.poverty_line_fen)),
            Some((2019, 321_800))
        );
        assert_eq!(
            entry_in_force(&book, 2018).map(|(y, p)| (y, p.poverty_line_fen)),
            Some((2014, 280_000))
        );
        assert_eq!(entry_in_force(&book, 2040).map(|(y, _)| y), Some(2021));
        assert!(entry_in_force(&book, 2013).is_none());
    }
}

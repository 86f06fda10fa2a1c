//! RecordIncome and RecordExit: a household's per-capita income by year, and its exit
//! from poverty judged against the exit year's policy. Both are changes to one household
//! ([`HouseholdChange`]).

use chrono::{Datelike, NaiveDate};
use xk_contracts::pb::registry::v1::{Household, Income, RecordExitRequest, RecordIncomeRequest};
use xk_contracts::types::figure_year;
use xk_runtime::ApiError;

use super::RegistryApi;
use super::changes::{HouseholdChange, Rule};
use super::fields::DatedChange;
use crate::domain::exit::{record_exit, record_income};
use crate::policy::{FIRST_YEAR, LAST_YEAR};

/// RecordIncome: sets (or replaces) a year's per-capita net income. It has no date: the
/// change's date is unused.
impl HouseholdChange for RecordIncomeRequest {
    type Fields = Option<Income>;

    fn check(self, change: &mut DatedChange) -> Option<Income> {
        let Some(income) = self.income else {
            change.v.add("income", "required");
            return None;
        };
        let this_year = change.today.year();
        change
            .v
            .check("income.year", figure_year(income.year, this_year));
        if income.per_capita_net_income_fen < 0 {
            change
                .v
                .add("income.per_capita_net_income_fen", "must not be negative");
        }
        Some(income)
    }

    fn rule(
        income: Option<Income>,
        _on: NaiveDate,
        _api: &RegistryApi,
    ) -> Result<Rule<'_>, ApiError> {
        let income = income.unwrap_or_default();
        Ok(Box::new(move |h: &mut Household| {
            record_income(h, income);
            Ok(())
        }))
    }
}

/// RecordExit: a poor household exits in a year whose income reaches the line.
impl HouseholdChange for RecordExitRequest {
    type Fields = i32;

    fn check(self, change: &mut DatedChange) -> i32 {
        change.on("exited_on", self.exited_on.as_ref());
        let year = self.exit_year;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            change
                .v
                .add("exit_year", format!("must be a year, got {year}"));
        }
        year
    }

    fn rule(year: i32, on: NaiveDate, api: &RegistryApi) -> Result<Rule<'_>, ApiError> {
        let policy = api.policy.require(year, "exit_year")?;
        Ok(Box::new(move |h: &mut Household| {
            record_exit(h, year, on, policy)
        }))
    }
}

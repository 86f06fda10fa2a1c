//! RecordIncome and RecordExit: a household's per-capita income by year, and its exit
//! from poverty judged against the exit year's policy.

use chrono::Datelike;
use xk_contracts::pb::registry::v1::{
    RecordExitRequest, RecordExitResponse, RecordIncomeRequest, RecordIncomeResponse,
};
use xk_contracts::types::figure_year;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{ApiError, Violations, clock};

use super::RegistryApi;
use super::fields::{DatedChange, household_id};
use crate::domain::exit::{record_exit, record_income};
use crate::policy::{FIRST_YEAR, LAST_YEAR};

impl RegistryApi {
    /// RecordIncome: sets (or replaces) a year's per-capita net income.
    pub(super) async fn record_income(
        &self,
        idem: Idempotent,
        req: RecordIncomeRequest,
    ) -> Result<RecordIncomeResponse, ApiError> {
        let mut v = Violations::new();
        let id = household_id(&mut v, "household_id", &req.household_id);
        let this_year = clock::today().year();
        let Some(income) = req.income else {
            v.add("income", "required");
            return Err(v.into());
        };
        v.check("income.year", figure_year(income.year, this_year));
        if income.per_capita_net_income_fen < 0 {
            v.add("income.per_capita_net_income_fen", "must not be negative");
        }
        v.into_result()?;
        let id = id.unwrap_or_default();
        self.change_household(&idem, &id, None, |h| {
            record_income(h, income);
            Ok(())
        })
        .await
    }

    /// RecordExit: a poor household exits in a year whose income reaches the line.
    pub(super) async fn record_exit(
        &self,
        idem: Idempotent,
        req: RecordExitRequest,
    ) -> Result<RecordExitResponse, ApiError> {
        let mut change = DatedChange::new(&req.household_id);
        change.on("exited_on", req.exited_on.as_ref());
        let year = req.exit_year;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            change
                .v
                .add("exit_year", format!("must be a year, got {year}"));
        }
        let (id, on) = change.checked()?;
        let policy = self.policy.require(year, "exit_year")?;
        let exit = |h: &mut _| record_exit(h, year, on, policy);
        self.change_household(&idem, &id, None, exit).await
    }
}

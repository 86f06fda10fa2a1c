//! RecordDisasterExpense and ListDisasterExpenses: the registry's part of the rigid
//! expenses the aggregator's monitoring trigger adds up. The write is the same sequence as
//! every other write (validate -> [`xk_runtime::Db::write`]); the read is paged by
//! household id under a required region prefix.

use chrono::Datelike;
use xk_contracts::pb::registry::v1::*;
use xk_contracts::types::HouseholdId;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::write::Audit;
use xk_runtime::{ApiError, Violations, clock, paging};

use super::RegistryApi;
use crate::domain::expenses::{FIRST_EXPENSE_YEAR, check_disaster_expense};
use crate::store::{self, expenses};

impl RegistryApi {
    /// RecordDisasterExpense: a registered household's figure for a year, replacing the
    /// one recorded before.
    pub(super) async fn record_disaster_expense(
        &self,
        idem: Idempotent,
        req: RecordDisasterExpenseRequest,
    ) -> Result<RecordDisasterExpenseResponse, ApiError> {
        let mut v = Violations::new();
        let id = v.check("household_id", HouseholdId::parse(&req.household_id));
        let this_year = clock::today().year();
        v.extend_prefixed(
            "",
            check_disaster_expense(req.year, req.amount_fen, this_year),
        );
        v.into_result()?;
        let Some(id) = id else {
            return Err(ApiError::invalid("household_id", "required"));
        };
        let (year, amount_fen) = (req.year, req.amount_fen);
        self.db
            .write(&idem, async |txn| {
                // NOT_FOUND for a household the archive does not hold; its village is the
                // answer's.
                let household = store::get(&**txn, id.as_str(), self.lookup()).await?;
                expenses::upsert(&**txn, id.as_str(), year, amount_fen).await?;
                let expense = DisasterExpense {
                    household_id: household.household_id,
                    village_code: household.village_code,
                    year,
                    amount_fen,
                };
                let detail = format!("{amount_fen} fen disaster losses in {year}");
                let audit = Audit::new(id.as_str(), detail);
                let expense = Some(expense);
                Ok((RecordDisasterExpenseResponse { expense }, audit))
            })
            .await
    }

    /// ListDisasterExpenses: one year's figures under a region prefix, a page at a time.
    pub(super) async fn list_disaster_expenses(
        &self,
        req: ListDisasterExpensesRequest,
    ) -> Result<ListDisasterExpensesResponse, ApiError> {
        let mut v = Violations::new();
        let page = paging::year_region_list(&mut v, "disaster-expenses", &req, FIRST_EXPENSE_YEAR);
        v.into_result()?;
        let after = page.after.as_deref();
        let rows =
            expenses::list(self.db.conn(), req.year, &page.prefix, after, page.fetch()).await?;
        Ok(page.answer(rows, |e| &e.household_id))
    }
}

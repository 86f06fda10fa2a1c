//! RecordSchoolingExpense and ListSchoolingExpenses: the schooling part of the rigid
//! expenses the aggregator's monitoring trigger adds up. The write replaces the figure of
//! the same household, student and year; the read is paged by (household id, resident id)
//! under a required region prefix.

use chrono::Datelike;
use xk_contracts::pb::education::v1::{
    ListSchoolingExpensesRequest, ListSchoolingExpensesResponse, RecordSchoolingExpenseRequest,
    RecordSchoolingExpenseResponse, SchoolingExpense,
};
use xk_contracts::types::{HouseholdId, RegionCode};
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{ApiError, Audit, Violations, clock, paging};

use super::EducationApi;
use super::fields::{required, resident_id};
use super::rpc::Write;
use crate::domain::FieldViolation;
use crate::domain::expenses::{FIRST_EXPENSE_YEAR, check_expense};
use crate::store::{expenses, mask};

/// The page-token key of an expense: household id and resident id, which never contain
/// `/` (household ids are letters, digits, `-` and `_`).
fn page_key(e: &SchoolingExpense) -> String {
    format!("{}/{}", e.household_id, e.resident_id)
}

/// Records (or replaces) one year's schooling cost of a household or student.
impl Write for RecordSchoolingExpenseRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let mut e = required(self.expense, "expense")?;
        let today = clock::today();
        let mut v: Vec<FieldViolation> = Vec::new();
        if let Err(err) = HouseholdId::parse(&e.household_id) {
            v.push(FieldViolation::invalid("household_id", err.to_string()));
        }
        if let Err(err) = RegionCode::parse(&e.village_code) {
            v.push(FieldViolation::invalid("village_code", err.to_string()));
        }
        if !e.resident_id.is_empty()
            && let Some(id) = resident_id(&mut v, "resident_id", &e.resident_id, today)
        {
            e.resident_id = id.as_str().to_string();
        }
        v.extend(check_expense(e.year, e.out_of_pocket_fen, today.year()));
        ApiError::check("expense.", v)?;
        let target = if e.resident_id.is_empty() {
            format!("household {}", e.household_id)
        } else {
            format!(
                "household {} student {}",
                e.household_id,
                mask(&e.resident_id)
            )
        };
        let detail = format!("{} fen schooling cost in {}", e.out_of_pocket_fen, e.year);
        api.db
            .write(&idem, async move |txn| {
                expenses::upsert(&**txn, &e).await?;
                let total = expenses::household_year_total(&**txn, &e.household_id, e.year).await?;
                let resp = RecordSchoolingExpenseResponse {
                    expense: Some(e),
                    household_year_total_fen: total,
                };
                Ok((resp, Audit::new(target, detail)))
            })
            .await
    }
}

/// One page of a year's expenses under a region prefix.
pub(super) async fn list_schooling_expenses(
    api: &EducationApi,
    req: ListSchoolingExpensesRequest,
) -> Result<ListSchoolingExpensesResponse, ApiError> {
    let mut v = Violations::new();
    let page = paging::year_region_list(&mut v, "schooling-expenses", &req, FIRST_EXPENSE_YEAR);
    let after = page.after_parsed(&mut v, |k| k.rsplit_once('/'));
    v.into_result()?;
    let rows = expenses::list(api.db.conn(), req.year, &page.prefix, after, page.fetch()).await?;
    Ok(page.answer_built(rows, page_key))
}

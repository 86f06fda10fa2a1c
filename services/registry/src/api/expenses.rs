//! RecordDisasterExpense and ListDisasterExpenses: the registry's part of the rigid
//! expenses the aggregator's monitoring trigger adds up. The write is the same sequence as
//! every other write (validate -> one transaction with the idempotency claim and the audit
//! row); the read is paged by household id under a required region prefix.

use chrono::Datelike;
use tonic::Status;
use xk_contracts::pb::registry::v1::*;
use xk_contracts::types::HouseholdId;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{Principal, Violations, paging};

use super::RegistryApi;
use crate::domain::expenses::{FIRST_EXPENSE_YEAR, check_disaster_expense};
use crate::domain::today;
use crate::store::{self, expenses};

/// Latest year a read may name (a typo guard, as for health's coverage years).
const LAST_LIST_YEAR: i32 = 2100;

impl RegistryApi {
    pub(super) async fn record_disaster_expense_impl(
        &self,
        principal: Principal,
        req: RecordDisasterExpenseRequest,
    ) -> Result<RecordDisasterExpenseResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "RecordDisasterExpense",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let mut v = Violations::new();
        let id = v.check("household_id", HouseholdId::parse(&req.household_id));
        v.extend_prefixed(
            "",
            check_disaster_expense(req.year, req.amount_fen, today().year()),
        );
        v.into_result()?;
        let Some(id) = id else {
            return Err(xk_runtime::errors::invalid("household_id", "required"));
        };
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<RecordDisasterExpenseResponse>(&txn).await? {
            return Ok(r);
        }
        // NOT_FOUND for a household the archive does not hold; its village is the answer's.
        let household = store::get(&*txn, id.as_str()).await?;
        expenses::upsert(&*txn, id.as_str(), req.year, req.amount_fen).await?;
        let resp = RecordDisasterExpenseResponse {
            expense: Some(DisasterExpense {
                household_id: household.household_id,
                village_code: household.village_code,
                year: req.year,
                amount_fen: req.amount_fen,
            }),
        };
        let detail = format!("{} fen disaster losses in {}", req.amount_fen, req.year);
        idem.finish(&txn, &resp, id.as_str(), &detail).await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn list_disaster_expenses_impl(
        &self,
        req: ListDisasterExpensesRequest,
    ) -> Result<ListDisasterExpensesResponse, Status> {
        let mut v = Violations::new();
        let page = paging::year_region_page(
            &mut v,
            "disaster-expenses",
            req.year,
            FIRST_EXPENSE_YEAR..=LAST_LIST_YEAR,
            &req.region_prefix,
            req.page_size,
            &req.page_token,
        );
        v.into_result()?;
        let size = page.size;
        let mut rows = expenses::list(
            self.db.conn(),
            req.year,
            &page.prefix,
            page.after.as_deref(),
            size + 1,
        )
        .await?;
        let next_page_token = if rows.len() as u64 > size {
            rows.truncate(size as usize);
            rows.last()
                .map(|e| paging::encode_token(&page.filter, &e.household_id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ListDisasterExpensesResponse {
            expenses: rows,
            next_page_token,
        })
    }
}

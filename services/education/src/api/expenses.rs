//! RecordSchoolingExpense and ListSchoolingExpenses: the schooling part of the rigid
//! expenses the aggregator's monitoring trigger adds up. The write is the same sequence as
//! every other write (validate -> one transaction with the idempotency claim and the audit
//! row); the read is paged by (household id, resident id) under a required region prefix.

use chrono::Datelike;
use tonic::Status;
use xk_contracts::pb::education::v1::*;
use xk_contracts::types::{HouseholdId, RegionCode};
use xk_runtime::errors::invalid;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{Principal, Violations, paging};

use super::convert::resident_id;
use super::{EducationApi, today};
use crate::domain::FieldViolation;
use crate::domain::expenses::{FIRST_EXPENSE_YEAR, check_expense};
use crate::error::EducationError;
use crate::store::{expenses, mask};

/// Latest year a read may name (a typo guard, as for health's coverage years).
const LAST_LIST_YEAR: i32 = 2100;

/// The page-token key of an expense: household id and resident id, which never contain
/// `/` (household ids are letters, digits, `-` and `_`).
fn page_key(e: &SchoolingExpense) -> String {
    format!("{}/{}", e.household_id, e.resident_id)
}

impl EducationApi {
    pub(super) async fn record_schooling_expense_impl(
        &self,
        principal: Principal,
        req: RecordSchoolingExpenseRequest,
    ) -> Result<RecordSchoolingExpenseResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "RecordSchoolingExpense",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let Some(mut e) = req.expense else {
            return Err(invalid("expense", "required"));
        };
        let today = today();
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
        if !v.is_empty() {
            return Err(EducationError::from_domain("expense.", v).into());
        }
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<RecordSchoolingExpenseResponse>(&txn).await? {
            return Ok(r);
        }
        expenses::upsert(&*txn, &e).await?;
        let total = expenses::household_year_total(&*txn, &e.household_id, e.year).await?;
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
        let resp = RecordSchoolingExpenseResponse {
            expense: Some(e),
            household_year_total_fen: total,
        };
        idem.finish(&txn, &resp, &target, &detail).await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn list_schooling_expenses_impl(
        &self,
        req: ListSchoolingExpensesRequest,
    ) -> Result<ListSchoolingExpensesResponse, Status> {
        let mut v = Violations::new();
        let page = paging::year_region_page(
            &mut v,
            "schooling-expenses",
            req.year,
            FIRST_EXPENSE_YEAR..=LAST_LIST_YEAR,
            &req.region_prefix,
            req.page_size,
            &req.page_token,
        );
        let after = match page.after.as_deref().map(|k| k.rsplit_once('/')) {
            None => None,
            Some(Some((household, resident))) => Some((household, resident)),
            Some(None) => {
                v.add("page_token", "not a token this service issued");
                None
            }
        };
        v.into_result()?;
        let size = page.size;
        let mut rows =
            expenses::list(self.db.conn(), req.year, &page.prefix, after, size + 1).await?;
        let next_page_token = if rows.len() as u64 > size {
            rows.truncate(size as usize);
            rows.last()
                .map(|e| paging::encode_token(&page.filter, &page_key(e)))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ListSchoolingExpensesResponse {
            expenses: rows,
            next_page_token,
        })
    }
}

//! SettleCase's bill rule: one live settlement per institution and bill number (see
//! [`crate::domain::bill`]). Checked in the write transaction after the person-year lock,
//! so a retry of the same bill for the same person sees the first one committed; the
//! unique bill index catches the remaining race (the same bill sent for two people at
//! once on PostgreSQL).

use tonic::Status;
use xk_runtime::db::WriteTxn;
use xk_runtime::errors::{already_exists, is_unique_violation};

use super::HealthApi;
use crate::domain::{BillState, bill_state};
use crate::error::HealthError;
use crate::store::{self, entities::case};

/// The request field a duplicate bill is blamed on.
const FIELD: &str = "hospital_case.bill_number";

/// ALREADY_EXISTS for a bill whose settlement `case_id` is live (ResourceInfo names the
/// bill as `<institution>/<bill number>`).
fn bill_settled(institution: &str, bill_number: &str, case_id: i64) -> Status {
    already_exists(
        "bill",
        &format!("{institution}/{bill_number}"),
        &format!(
            "settled as case {case_id}; a bill settles once (field {FIELD}); \
             reverse that case to settle the bill again"
        ),
    )
}

/// Which settlement of the bill a new one would be, or ALREADY_EXISTS when a settlement
/// of it is live.
pub(super) async fn open_bill(
    txn: &WriteTxn,
    institution: &str,
    bill_number: &str,
) -> Result<i32, Status> {
    let rows = store::bills::bill_rows(&**txn, institution, bill_number).await?;
    match bill_state(&rows) {
        BillState::Open { next_settlement } => Ok(next_settlement),
        BillState::Settled { case_id } => Err(bill_settled(institution, bill_number, case_id)),
    }
}

impl HealthApi {
    /// Inserts a settlement row and returns its id. A unique violation (only the bill
    /// index can raise one: a concurrent settlement of the same bill committed first)
    /// becomes ALREADY_EXISTS, found after the rollback; the transaction is then gone.
    pub(super) async fn insert_settlement(
        &self,
        txn: WriteTxn,
        row: case::ActiveModel,
        institution: &str,
        bill_number: &str,
    ) -> Result<(WriteTxn, i64), Status> {
        match store::insert_case(&*txn, row).await {
            Ok(id) => Ok((txn, id)),
            Err(HealthError::Db(db)) if is_unique_violation(&db) => {
                drop(txn);
                let rows =
                    store::bills::bill_rows(self.db.conn(), institution, bill_number).await?;
                match bill_state(&rows) {
                    BillState::Settled { case_id } => {
                        Err(bill_settled(institution, bill_number, case_id))
                    }
                    BillState::Open { .. } => Err(Status::aborted(
                        "a concurrent write settled or reversed the same bill; retry",
                    )),
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}

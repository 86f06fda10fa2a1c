//! SettleCase's bill rule: one live settlement per institution and bill number (see
//! [`crate::domain::bill`]). Checked in the write transaction after the person-year lock,
//! so a retry of the same bill for the same person sees the first one committed; the
//! unique bill index catches the remaining race (the same bill sent for two people at
//! once on PostgreSQL), which [`name_the_live_settlement`] explains after the rollback.

use tonic::Status;
use xk_runtime::db::WriteTxn;
use xk_runtime::errors::{already_exists, is_unique_violation};
use xk_runtime::{ApiError, Db};

use crate::domain::{BillState, bill_state};
use crate::store;

/// The request field a duplicate bill is blamed on.
const FIELD: &str = "hospital_case.bill_number";

/// ALREADY_EXISTS for a bill whose settlement `case_id` is live (ResourceInfo names the
/// bill as `<institution>/<bill number>`). Built here rather than as
/// [`ApiError::AlreadyExists`] because the message also names the live case: the one the
/// caller has to reverse before the bill may be settled again.
fn bill_settled(institution: &str, bill_number: &str, case_id: i64) -> ApiError {
    ApiError::Status(already_exists(
        "bill",
        &format!("{institution}/{bill_number}"),
        &format!(
            "settled as case {case_id}; a bill settles once (field {FIELD}); \
             reverse that case to settle the bill again"
        ),
    ))
}

/// Which settlement of the bill a new one would be, or ALREADY_EXISTS when a settlement
/// of it is live.
pub(super) async fn open_bill(
    txn: &WriteTxn,
    institution: &str,
    bill_number: &str,
) -> Result<i32, ApiError> {
    let rows = store::bills::bill_rows(&**txn, institution, bill_number).await?;
    match bill_state(&rows) {
        BillState::Open { next_settlement } => Ok(next_settlement),
        BillState::Settled { case_id } => Err(bill_settled(institution, bill_number, case_id)),
    }
}

/// After a failed settlement (rolled back): a unique violation, which only the bill index
/// can raise (a concurrent settlement of the same bill committed first), becomes
/// ALREADY_EXISTS naming the live settlement, or ABORTED when that one was reversed in
/// the meantime; anything else is returned as it is.
pub(super) async fn name_the_live_settlement(
    db: &Db,
    error: ApiError,
    institution: &str,
    bill_number: &str,
) -> ApiError {
    let ApiError::Db(e) = &error else {
        return error;
    };
    if !is_unique_violation(e) {
        return error;
    }
    match store::bills::bill_rows(db.conn(), institution, bill_number).await {
        Ok(rows) => match bill_state(&rows) {
            BillState::Settled { case_id } => bill_settled(institution, bill_number, case_id),
            BillState::Open { .. } => ApiError::Status(Status::aborted(
                "a concurrent write settled or reversed the same bill; retry",
            )),
        },
        Err(e) => e,
    }
}

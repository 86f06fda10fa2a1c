//! Reads of a bill's case rows (the unique bill index serves them).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::KIND_REVERSAL;
use super::entities::case;
use crate::domain::BillRow;
use xk_runtime::ApiError;

/// Every case row (settlements and reversals) of the bill `bill_number` of `institution`.
pub async fn bill_rows<C: ConnectionTrait>(
    conn: &C,
    institution: &str,
    bill_number: &str,
) -> Result<Vec<BillRow>, ApiError> {
    let rows = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .column(case::Column::Kind)
        .column(case::Column::ReversesId)
        .column(case::Column::BillSettlement)
        .filter(case::Column::InstitutionCode.eq(institution))
        .filter(case::Column::BillNumber.eq(bill_number))
        .into_tuple::<(i64, i32, i64, i32)>()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(case_id, kind, reverses_id, bill_settlement)| BillRow {
            case_id,
            reversal: kind == KIND_REVERSAL,
            reverses_id,
            bill_settlement,
        })
        .collect())
}

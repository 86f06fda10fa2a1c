//! The query shapes the education tables share: a region prefix as an index range on the
//! village code, a student's rows in date order. A leaf of the store.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use xk_runtime::ApiError;
pub use xk_runtime::query::{prefix_range, under_prefix};

/// Every row of one table about student `id` (its `student` column), oldest first: in
/// `order`, ties in `tie` order.
pub async fn rows_of_student<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    student: E::Column,
    id: &str,
    [order, tie]: [E::Column; 2],
) -> Result<Vec<E::Model>, ApiError> {
    Ok(E::find()
        .filter(student.eq(id))
        .order_by_asc(order)
        .order_by_asc(tie)
        .all(conn)
        .await?)
}

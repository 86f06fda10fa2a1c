//! The query shapes the education tables share: a region prefix as an index range on the
//! village code, a keyset page, a student's rows in date order. A leaf of the store.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use xk_runtime::ApiError;

/// Lowest and highest 12-digit codes under a prefix (an index range scan in both databases).
pub fn prefix_range(prefix: &str) -> (String, String) {
    (format!("{prefix:0<12}"), format!("{prefix:9<12}"))
}

/// `select` narrowed to rows whose village code (`column`) is under `prefix`; an empty
/// prefix narrows nothing.
pub fn under_prefix<E: EntityTrait>(
    select: Select<E>,
    column: E::Column,
    prefix: &str,
) -> Select<E> {
    if prefix.is_empty() {
        return select;
    }
    let (lo, hi) = prefix_range(prefix);
    select.filter(column.gte(lo)).filter(column.lte(hi))
}

/// A keyset page of `select`: up to `limit` rows in `key` order, after `after` when given.
pub fn keyset_page<E: EntityTrait>(
    select: Select<E>,
    key: E::Column,
    after: Option<&str>,
    limit: u64,
) -> Select<E> {
    let select = match after {
        Some(a) => select.filter(key.gt(a)),
        None => select,
    };
    select.order_by_asc(key).limit(limit)
}

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

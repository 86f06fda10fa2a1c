//! The query shapes every service's store repeats, written once: a region prefix as an
//! index range on a 12-digit code, a keyset page, a point lookup that answers NOT_FOUND,
//! which of many keys are stored, and (in [`grouped`]) SummarizeByRegion's grouped
//! counts. Each service keeps its own tables, conditions and messages; these only shape
//! the statements, so the SQL each service runs is what it ran before.

pub mod grouped;

use std::collections::HashSet;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, Iterable,
    PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect, Select, UpdateMany, Value,
};

use crate::ApiError;

/// Digits of a whole region code (a village); shorter prefixes name a county or township.
const CODE_LEN: usize = 12;

/// Lowest and highest 12-digit codes under a prefix (an index range scan in both databases).
pub fn prefix_range(prefix: &str) -> (String, String) {
    (format!("{prefix:0<12}"), format!("{prefix:9<12}"))
}

/// `select` narrowed to rows whose 12-digit code in `column` is under `prefix`; an empty
/// prefix narrows nothing (every region). A whole code (one village) is an equality, not
/// a range of one value: PostgreSQL's planner treats `code >= v AND code <= v` as a
/// range, so an index on (code, key) cannot give a page of one village in key order
/// without a sort of the village's every row, where `code = v` reads just the page.
pub fn under_prefix<Q: QueryFilter>(select: Q, column: impl ColumnTrait, prefix: &str) -> Q {
    if prefix.is_empty() {
        return select;
    }
    if prefix.len() == CODE_LEN {
        return select.filter(column.eq(prefix));
    }
    let (lo, hi) = prefix_range(prefix);
    select.filter(column.gte(lo)).filter(column.lte(hi))
}

/// A keyset page of `select`: up to `limit` rows in `key` order, after the key `after`
/// when given (the last key of the page before, from a page token).
pub fn keyset_page<Q, K>(select: Q, key: impl ColumnTrait, after: Option<K>, limit: u64) -> Q
where
    Q: QueryFilter + QueryOrder + QuerySelect,
    K: Into<Value>,
{
    let select = match after {
        Some(after) => select.filter(key.gt(after)),
        None => select,
    };
    select.order_by_asc(key).limit(limit)
}

/// The rows one page of a list reads, in key order: those whose region code lies under
/// `region_prefix` (every row for an empty prefix) and whose key comes after `after`, at
/// most `limit` of them. One value, so every list in the store takes its page alike.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keyset<'a> {
    /// A 6-, 9- or 12-digit region prefix, or empty for all.
    pub region_prefix: &'a str,
    /// The last key of the page before, if any.
    pub after: Option<&'a str>,
    /// How many rows at most.
    pub limit: u64,
}

impl<'a> Keyset<'a> {
    /// What to read for a checked list page whose region prefix a filter carries: one row
    /// more than the page ([`crate::paging::Page::fetch`]), which tells whether another
    /// page follows.
    pub fn under(region_prefix: &'a str, page: &'a crate::paging::Page) -> Self {
        Keyset {
            region_prefix,
            after: page.after.as_deref(),
            limit: page.fetch(),
        }
    }

    /// `select` narrowed to this page's keys (not its region): for a list whose region
    /// lives in another table.
    pub fn keys<Q: QueryFilter + QueryOrder + QuerySelect>(
        &self,
        select: Q,
        key: impl ColumnTrait,
    ) -> Q {
        keyset_page(select, key, self.after, self.limit)
    }

    /// `select` narrowed to this page, `code` being its region column and `key` its order.
    pub fn of<Q: QueryFilter + QueryOrder + QuerySelect>(
        &self,
        select: Q,
        code: impl ColumnTrait,
        key: impl ColumnTrait,
    ) -> Q {
        self.keys(under_prefix(select, code, self.region_prefix), key)
    }

    /// The rows of `select` on this page, `code` being their region column and `key` their
    /// order.
    pub async fn rows<E: EntityTrait, C: ConnectionTrait>(
        &self,
        conn: &C,
        select: Select<E>,
        (code, key): (E::Column, E::Column),
    ) -> Result<Vec<E::Model>, ApiError> {
        Ok(self.of(select, code, key).all(conn).await?)
    }
}

impl<'a> From<&'a crate::paging::Page> for Keyset<'a> {
    /// What to read for a checked list page under its own region prefix.
    fn from(page: &'a crate::paging::Page) -> Self {
        Keyset::under(&page.prefix, page)
    }
}

/// The row `select` finds, or NOT_FOUND naming the resource `what` and its `name` (which
/// the caller masks where the key is personal).
pub async fn one_or_not_found<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    select: Select<E>,
    what: &'static str,
    name: impl Into<String>,
) -> Result<E::Model, ApiError> {
    select
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::not_found(what, name))
}

/// The row of `E` whose primary key is `id`, if there is one (a read that may find
/// nothing; see [`one_or_not_found`] for one that must).
pub async fn by_id<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    id: impl Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
) -> Result<Option<E::Model>, ApiError> {
    Ok(E::find_by_id(id).one(conn).await?)
}

/// ALREADY_EXISTS naming `what`, its `name` and the request `field` when `select` finds a
/// row: the check before inserting a record whose key the caller chose.
pub async fn refuse_existing<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    select: Select<E>,
    what: &'static str,
    (name, field): (&str, &str),
) -> Result<(), ApiError> {
    match select.one(conn).await? {
        Some(_) => Err(ApiError::AlreadyExists {
            what,
            name: name.to_string(),
            field: field.to_string(),
        }),
        None => Ok(()),
    }
}

/// Inserts `rows` in multi-row statements of `chunk` rows each, so a batch stays under
/// the databases' bound-parameter limits.
pub async fn insert_chunks<A, C>(conn: &C, rows: Vec<A>, chunk: usize) -> Result<(), ApiError>
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let part: Vec<A> = rows.by_ref().take(chunk.max(1)).collect();
        A::Entity::insert_many(part)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Inserts `row`, or on a conflict over the `key` columns replaces every other column of
/// the stored row: a record replaced whole when it is recorded again.
pub async fn upsert<A, C>(
    conn: &C,
    row: A,
    key: impl IntoIterator<Item = <A::Entity as EntityTrait>::Column>,
) -> Result<(), ApiError>
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    let key: Vec<_> = key.into_iter().collect();
    let is_key =
        |c: &<A::Entity as EntityTrait>::Column| key.iter().any(|k| k.as_str() == c.as_str());
    let others: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
        .filter(|c| !is_key(c))
        .collect();
    upsert_columns(conn, row, key, others).await
}

/// Inserts `row`, or on a conflict over the `key` columns replaces only the `update`
/// columns of the stored row.
pub async fn upsert_columns<A, C>(
    conn: &C,
    row: A,
    key: impl IntoIterator<Item = <A::Entity as EntityTrait>::Column>,
    update: impl IntoIterator<Item = <A::Entity as EntityTrait>::Column>,
) -> Result<(), ApiError>
where
    A: ActiveModelTrait,
    C: ConnectionTrait,
{
    A::Entity::insert(row)
        .on_conflict(OnConflict::columns(key).update_columns(update).to_owned())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The error for a stored record that does not decode: logged with its kind and key at
/// the server, INTERNAL to the caller (never the record's content).
pub fn unreadable(what: &str, key: &str, error: impl std::fmt::Display) -> ApiError {
    tracing::error!(what, key, error = %error, "stored record does not decode");
    ApiError::Db(sea_orm::DbErr::Custom(format!(
        "stored {what} record is unreadable"
    )))
}

/// Which of `keys` are stored in `column` of `E`, looked up `chunk` keys at a time so an
/// `IN (...)` list stays under the databases' bound-parameter limits.
pub async fn stored_keys<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    column: E::Column,
    keys: &[&str],
    chunk: usize,
) -> Result<HashSet<String>, ApiError> {
    let mut stored = HashSet::new();
    for part in keys.chunks(chunk.max(1)) {
        let found = E::find()
            .select_only()
            .column(column)
            .filter(column.is_in(part.iter().copied()))
            .into_tuple::<String>()
            .all(conn)
            .await?;
        stored.extend(found);
    }
    Ok(stored)
}

/// Runs `update` on the one row whose `key` column is `id` and whose `version` column is
/// still `expected` (optimistic concurrency); whether it changed that row. `false` means
/// another writer changed the record first (or it is gone): the caller answers stale.
pub async fn update_at_version<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    update: UpdateMany<E>,
    (key, id): (E::Column, &str),
    (version, expected): (E::Column, i64),
) -> Result<bool, ApiError> {
    let updated = update
        .filter(key.eq(id))
        .filter(version.eq(expected))
        .exec(conn)
        .await?;
    Ok(updated.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_cover_exactly_the_prefix() {
        for (prefix, lo, hi) in [
            ("420625", "420625000000", "420625999999"),
            ("420625100", "420625100000", "420625100999"),
            ("420625100201", "420625100201", "420625100201"),
        ] {
            assert_eq!(prefix_range(prefix), (lo.to_string(), hi.to_string()));
        }
    }

    crate::entities! {
        /// `places`: a table with a key and a region code, to render statements.
        pub mod place = "places" {
            key {
                /// The key.
                pub household_id: String,
            }
            /// 12-digit village code.
            pub village_code: String,
        }
    }

    /// The SQL `under_prefix` and a keyset page make of `prefix`, for PostgreSQL.
    fn page_sql(prefix: &str) -> String {
        use sea_orm::QueryTrait;
        let q = under_prefix(place::Entity::find(), place::Column::VillageCode, prefix);
        keyset_page(q, place::Column::HouseholdId, Some("H1"), 100)
            .build(sea_orm::DbBackend::Postgres)
            .to_string()
    }

    #[test]
    fn a_village_is_an_equality_and_a_shorter_prefix_a_range() {
        let village = page_sql("420625100201");
        assert!(
            village.contains(r#""village_code" = '420625100201'"#),
            "{village}"
        );
        assert!(!village.contains(">="), "{village}");
        let township = page_sql("420625100");
        assert!(
            township.contains(r#""village_code" >= '420625100000'"#)
                && township.contains(r#""village_code" <= '420625100999'"#),
            "{township}"
        );
        let everywhere = page_sql("");
        assert!(
            !everywhere.contains(r#""village_code" ="#)
                && !everywhere.contains(r#""village_code" >="#),
            "{everywhere}"
        );
    }
}

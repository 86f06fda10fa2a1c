//! The housing service's I/O: sites, relocation records with their derived columns, and
//! appraisals. No rules here: callers pass records the domain has checked, and the derived
//! columns are computed from the checked facts in the same transaction as the record.

pub mod appraisals;
pub mod entities;
pub mod exceptions;
pub mod gauges;
pub mod migration;
pub mod relocations;
pub mod sites;
pub mod summary;

use sea_orm::{ConnectionTrait, EntityTrait, PrimaryKeyTrait, Select};
use xk_runtime::ApiError;
use xk_runtime::db::WriteTxn;
pub use xk_runtime::query::prefix_range;
use xk_runtime::query::{keyset_page, one_or_not_found, under_prefix};

/// Rows per multi-row INSERT (and ids per `IN` list): 20 columns a row stays under
/// SQLite's bound-parameter limit.
const INSERT_CHUNK: usize = 500;

/// The rows of one page of a list in key order: those whose region code lies under
/// `region_prefix` (every row for an empty prefix) and whose key comes after `after`, at
/// most `limit` of them.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// A 6-, 9- or 12-digit region prefix, or empty for all.
    pub region_prefix: &'a str,
    /// The last key of the page before, if any.
    pub after: Option<&'a str>,
    /// How many rows at most.
    pub limit: u64,
}

impl Page<'_> {
    /// The rows of `select` on this page, `code` being their region column and `key` their
    /// order.
    async fn rows<E: EntityTrait, C: ConnectionTrait>(
        &self,
        conn: &C,
        select: Select<E>,
        (code, key): (E::Column, E::Column),
    ) -> Result<Vec<E::Model>, ApiError> {
        Ok(self.of(select, code, key).all(conn).await?)
    }

    /// `select` narrowed to this page.
    fn of<E: EntityTrait>(&self, select: Select<E>, code: E::Column, key: E::Column) -> Select<E> {
        let select = under_prefix(select, code, self.region_prefix);
        keyset_page(select, key, self.after, self.limit)
    }
}

/// The row of `E` whose primary key is `id`, locked until the transaction ends
/// ([`xk_runtime::db::for_update`]) so concurrent writers of one record queue; NOT_FOUND
/// naming `what` when there is none.
async fn lock<E>(txn: &WriteTxn, what: &'static str, id: &str) -> Result<E::Model, ApiError>
where
    E: EntityTrait,
    String: Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
{
    let select = xk_runtime::db::for_update(E::find_by_id(id.to_string()));
    one_or_not_found(&**txn, select, what, id).await
}

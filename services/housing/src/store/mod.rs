//! The housing service's I/O: sites, relocation records with their derived columns, and
//! appraisals. No rules here: callers pass records the domain has checked, and the derived
//! columns are computed from the checked facts in the same transaction as the record.

pub mod appraisals;
pub mod entities;
pub mod exceptions;
pub mod gauges;
pub mod migration;
pub mod relocations;
pub mod rollups;
pub mod sites;
pub mod summary;

use sea_orm::{EntityTrait, PrimaryKeyTrait};
use xk_runtime::ApiError;
use xk_runtime::db::WriteTxn;
use xk_runtime::query::one_or_not_found;
pub use xk_runtime::query::prefix_range;

/// Rows per multi-row INSERT (and ids per `IN` list): 20 columns a row stays under
/// SQLite's bound-parameter limit.
const INSERT_CHUNK: usize = 500;

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

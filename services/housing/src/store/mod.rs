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

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

/// Rows per multi-row INSERT (and ids per `IN` list): 20 columns a row stays under
/// SQLite's bound-parameter limit.
const INSERT_CHUNK: usize = 500;

/// Lowest and highest 12-digit codes under a prefix (an index range scan in both databases).
pub fn prefix_range(prefix: &str) -> (String, String) {
    (format!("{prefix:0<12}"), format!("{prefix:9<12}"))
}

/// One page of a list in key order: `select` narrowed to the rows whose `code` lies under
/// `region_prefix` (every row for an empty prefix) and whose `key` comes after `after`, at
/// most `limit` of them.
fn page<E: EntityTrait>(
    select: Select<E>,
    code: E::Column,
    region_prefix: &str,
    key: E::Column,
    after: Option<&str>,
    limit: u64,
) -> Select<E> {
    let mut select = select;
    if !region_prefix.is_empty() {
        let (lo, hi) = prefix_range(region_prefix);
        select = select.filter(code.gte(lo)).filter(code.lte(hi));
    }
    if let Some(after) = after {
        select = select.filter(key.gt(after));
    }
    select.order_by_asc(key).limit(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_cover_exactly_the_prefix() {
        assert_eq!(
            prefix_range("420625"),
            ("420625000000".to_string(), "420625999999".to_string())
        );
        let (lo, hi) = prefix_range("420625100201");
        assert_eq!(lo, hi);
    }
}

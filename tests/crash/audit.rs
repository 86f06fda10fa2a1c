//! What the database holds after the kills: one audit row and one idempotency key per
//! acknowledged request_id, and no other.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, Statement};

use super::writes::Op;

/// The database URL a second connection (the test's own, for the audit tables) uses.
pub(crate) fn plain_url(url: &str) -> String {
    url.replace("?mode=rwc", "")
}

/// `request_id -> rows` of a table with a `request_id` column.
pub(crate) async fn rows_per_request_id(db_url: &str, table: &str) -> BTreeMap<String, i64> {
    let db = sea_orm::Database::connect(plain_url(db_url)).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT request_id, CAST(COUNT(*) AS BIGINT) FROM {table} GROUP BY request_id"),
        ))
        .await
        .unwrap();
    let out = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index::<String>(0).unwrap(),
                r.try_get_by_index::<i64>(1).unwrap(),
            )
        })
        .collect();
    db.close().await.unwrap();
    out
}

/// Every request_id of `ops` has exactly one audit row and one idempotency key, and
/// there is no other.
pub(crate) async fn check_one_row_per_request_id(db_url: &str, ops: &[Op], seed: u64) {
    let want: BTreeSet<String> = ops.iter().flat_map(Op::request_ids).collect();
    for table in ["audit_log", "idempotency_keys"] {
        let got = rows_per_request_id(db_url, table).await;
        let dup: Vec<_> = got.iter().filter(|(_, n)| **n != 1).collect();
        assert!(dup.is_empty(), "seed {seed}: {table} duplicates: {dup:?}");
        let keys: BTreeSet<String> = got.into_keys().collect();
        assert_eq!(keys, want, "seed {seed}: {table} request_ids");
    }
}

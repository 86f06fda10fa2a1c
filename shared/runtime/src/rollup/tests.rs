//! The rollup machinery: built from existing rows, kept by writes in the same transaction,
//! folded dates, verification that finds a tampered total. On SQLite, and on PostgreSQL
//! too when `XK_TEST_DATABASE=postgres` (a fresh database on `XK_TEST_PG_URL`, dropped
//! after). The pending deltas of concurrent PostgreSQL writers and the background merger
//! are in [`pending`].

use chrono::NaiveDate;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};

use super::*;

mod pending;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn on_postgres() -> bool {
    matches!(
        std::env::var("XK_TEST_DATABASE").as_deref(),
        Ok("postgres") | Ok("postgresql")
    )
}

fn backend() -> DbBackend {
    if on_postgres() {
        DbBackend::Postgres
    } else {
        DbBackend::Sqlite
    }
}

/// The server URL of `XK_TEST_PG_URL` with database `name` (its query kept).
fn pg_url(name: &str) -> String {
    let base = std::env::var("XK_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let (server, query) = base
        .split_once('?')
        .map_or((base.as_str(), String::new()), |(s, q)| {
            (s, format!("?{q}"))
        });
    format!("{}/{name}{query}", server.trim_end_matches('/'))
}

/// An empty database: SQLite in memory, or a fresh PostgreSQL database (dropped at exit of
/// the test by [`Scratch`]).
async fn empty() -> (DatabaseConnection, Option<Scratch>) {
    if !on_postgres() {
        return (Database::connect("sqlite::memory:").await.unwrap(), None);
    }
    let name = format!("xk_rollup_{}", rand::random::<u32>());
    let admin = Database::connect(pg_url("postgres")).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let conn = Database::connect(pg_url(&name)).await.unwrap();
    (conn, Some(Scratch { admin, name }))
}

/// A PostgreSQL test database to drop.
struct Scratch {
    admin: DatabaseConnection,
    name: String,
}

impl Scratch {
    async fn drop_now(self, conn: DatabaseConnection) {
        conn.close().await.unwrap();
        self.admin
            .execute_unprepared(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .await
            .unwrap();
    }
}

/// A source table of people by village with a status, a date and an amount.
async fn source() -> (DatabaseConnection, Option<Scratch>) {
    let (conn, scratch) = empty().await;
    let (id, date) = match backend() {
        DbBackend::Postgres => ("id SERIAL PRIMARY KEY", "DATE"),
        _ => ("id INTEGER PRIMARY KEY", "TEXT"),
    };
    conn.execute_unprepared(&format!(
        "CREATE TABLE people ({id}, village_code TEXT NOT NULL, \
         status INTEGER NOT NULL, seen_on {date}, fen BIGINT NOT NULL, note TEXT)"
    ))
    .await
    .unwrap();
    conn.execute_unprepared("CREATE INDEX people_village ON people (village_code)")
        .await
        .unwrap();
    conn.execute_unprepared(
        "INSERT INTO people (village_code, status, seen_on, fen) VALUES \
         ('420625100201', 1, '2019-01-05', 100), ('420625100201', 1, NULL, 50), \
         ('420625100201', 2, '2026-11-20', 7), ('420625101202', 1, '2026-10-02', 1)",
    )
    .await
    .unwrap();
    (conn, scratch)
}

fn defs(floor: NaiveDate) -> Vec<Rollup> {
    vec![
        Rollup::new("people_rollup", "people", &["village_code"])
            .key("status")
            .date_key("seen_on", floor, backend())
            .sum("fen"),
    ]
}

/// (village, n, fen) rows whose status is 1 and seen by `by` (or never), as a summary
/// condition reads them.
async fn seen_by<C: ConnectionTrait>(conn: &C, table: &str, by: &str) -> Vec<(String, i64, i64)> {
    let one = if table == "people" { "1" } else { "n" };
    let sql = format!(
        "SELECT village_code AS v, CAST(SUM({one}) AS BIGINT) AS n, CAST(SUM(fen) AS BIGINT) AS f \
         FROM {table} WHERE status = 1 AND (seen_on IS NULL OR seen_on <= '{by}') \
         GROUP BY village_code ORDER BY village_code"
    );
    conn.query_all_raw(Statement::from_string(backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.try_get("", "v").unwrap(),
                r.try_get("", "n").unwrap(),
                r.try_get("", "f").unwrap(),
            )
        })
        .collect()
}

/// The delta rows of `village` that a new transaction sees (committed, not merged). SQLite
/// has none: its triggers add into the totals in place, and it keeps no delta table.
async fn pending<C: ConnectionTrait>(conn: &C, village: &str) -> i64 {
    if !on_postgres() {
        let sql = "SELECT COUNT(*) AS c FROM sqlite_master WHERE name = 'people_rollup_delta'";
        let tables: i64 = conn
            .query_one_raw(Statement::from_string(backend(), sql.to_string()))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "c")
            .unwrap();
        assert_eq!(tables, 0, "a delta table on SQLite");
        return 0;
    }
    let sql =
        format!("SELECT COUNT(*) AS c FROM people_rollup_delta WHERE village_code = '{village}'");
    conn.query_one_raw(Statement::from_string(backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "c")
        .unwrap()
}

/// Every rollup row as text (village, status, date, n, fen), in order.
async fn totals<C: ConnectionTrait>(conn: &C) -> Vec<String> {
    let sql = "SELECT village_code || '/' || CAST(status AS TEXT) || '/' || \
               COALESCE(CAST(seen_on AS TEXT), '-') || '/' || CAST(n AS TEXT) || '/' || \
               CAST(fen AS TEXT) AS r FROM people_rollup ORDER BY 1";
    conn.query_all_raw(Statement::from_string(backend(), sql.to_string()))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "r").unwrap())
        .collect()
}

#[test]
fn the_default_floor_is_the_first_of_the_month_two_months_back() {
    assert_eq!(default_floor(day("2026-12-06")), day("2026-10-01"));
    assert_eq!(default_floor(day("2026-01-31")), day("2025-11-01"));
}

#[tokio::test]
async fn built_from_existing_rows_and_exact_for_dates_from_the_floor_on() {
    let (conn, scratch) = source().await;
    let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    assert_eq!(rollups.built_floor(), day("2026-10-01"));
    assert!(rollups.verify(&conn).await.unwrap().is_empty());
    // 2019-01-05 folds into 2026-09-30: three rollup rows hold four people.
    let rows = conn
        .query_all_raw(Statement::from_string(
            backend(),
            "SELECT seen_on FROM people_rollup WHERE status = 1 ORDER BY village_code, seen_on"
                .to_string(),
        ))
        .await
        .unwrap();
    let mut seen: Vec<Option<NaiveDate>> = rows
        .iter()
        .map(|r| r.try_get("", "seen_on").unwrap())
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![None, Some(day("2026-09-30")), Some(day("2026-10-02"))]
    );
    for by in ["2026-10-01", "2026-10-02", "2026-11-30", "2027-01-01"] {
        assert_eq!(
            seen_by(&conn, "people_rollup", by).await,
            seen_by(&conn, "people", by).await,
            "as of {by}"
        );
    }
    // Before the floor the folded day answers differently: those dates need the rows.
    assert_ne!(
        seen_by(&conn, "people_rollup", "2019-06-01").await,
        seen_by(&conn, "people", "2019-06-01").await
    );
    assert_eq!(rollups.floor(&conn).await.unwrap(), day("2026-10-01"));
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}

#[tokio::test]
async fn writes_are_totalled_when_their_transaction_commits_and_not_before() {
    let (conn, scratch) = source().await;
    let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    let before = totals(&conn).await;
    let txn = conn.begin().await.unwrap();
    // A column no figure reads: its update changes no total and leaves no delta.
    txn.execute_unprepared("UPDATE people SET note = 'seen'")
        .await
        .unwrap();
    assert_eq!(totals(&txn).await, before);
    assert_eq!(pending(&txn, "420625100201").await, 0);
    txn.execute_unprepared(
        "INSERT INTO people (village_code, status, seen_on, fen) VALUES \
         ('420625102203', 1, NULL, 9), ('420625100201', 1, NULL, 5)",
    )
    .await
    .unwrap();
    txn.execute_unprepared("UPDATE people SET village_code = '420625101202' WHERE fen = 100")
        .await
        .unwrap();
    txn.execute_unprepared("DELETE FROM people WHERE fen = 7")
        .await
        .unwrap();
    rollups.refresh(&txn).await.unwrap();
    txn.commit().await.unwrap();
    assert!(rollups.verify(&conn).await.unwrap().is_empty());
    assert_eq!(
        seen_by(&conn, "people_rollup", "2026-12-06").await,
        vec![
            // Added into the existing group with no date (NULL keys merge as values).
            ("420625100201".into(), 2, 55),
            ("420625101202".into(), 2, 101),
            ("420625102203".into(), 1, 9)
        ]
    );
    // The deltas were cleared with the merge.
    for village in ["420625100201", "420625101202", "420625102203"] {
        assert_eq!(pending(&conn, village).await, 0);
    }
    if !on_postgres() {
        // An update within its group adds its sums' difference to the group's row in
        // place; one that moves the row takes it out of one group and into another.
        let rowid = |village: &'static str| {
            let conn = conn.clone();
            async move {
                let sql = format!(
                    "SELECT rowid AS r FROM people_rollup WHERE village_code = '{village}'"
                );
                conn.query_one_raw(Statement::from_string(backend(), sql))
                    .await
                    .unwrap()
                    .map(|row| row.try_get::<i64>("", "r").unwrap())
            }
        };
        let kept = rowid("420625102203").await;
        conn.execute_unprepared("UPDATE people SET fen = 10 WHERE village_code = '420625102203'")
            .await
            .unwrap();
        assert_eq!(rowid("420625102203").await, kept, "updated in place");
        conn.execute_unprepared(
            "UPDATE people SET village_code = '420625103204' WHERE village_code = '420625102203'",
        )
        .await
        .unwrap();
        assert_eq!(
            rowid("420625102203").await,
            None,
            "the emptied group is gone"
        );
        assert!(rowid("420625103204").await.is_some());
        assert!(rollups.verify(&conn).await.unwrap().is_empty());
        conn.execute_unprepared(
            "UPDATE people SET village_code = '420625102203', fen = 9 WHERE fen = 10",
        )
        .await
        .unwrap();
    }
    // A rolled-back write leaves neither rows nor totals nor deltas. (On SQLite its
    // triggers emptied the totals in place, every group's row going with its last row.)
    let txn = conn.begin().await.unwrap();
    txn.execute_unprepared("DELETE FROM people").await.unwrap();
    if !on_postgres() {
        assert_eq!(totals(&txn).await, Vec::<String>::new());
    }
    drop(txn);
    assert!(rollups.verify(&conn).await.unwrap().is_empty());
    assert_eq!(seen_by(&conn, "people_rollup", "2026-12-06").await.len(), 3);
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}

#[tokio::test]
async fn verify_names_the_village_whose_totals_differ() {
    let (conn, scratch) = source().await;
    let rollups = ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    conn.execute_unprepared(
        "UPDATE people_rollup SET fen = fen + 1 WHERE village_code = '420625101202'",
    )
    .await
    .unwrap();
    let found = rollups.verify(&conn).await.unwrap();
    assert_eq!(
        found,
        vec![Mismatch {
            table: "people_rollup",
            scope: "420625101202".into()
        }]
    );
    // A write outside a write transaction counts all the same: on SQLite its triggers
    // added it into the totals in place; on PostgreSQL it left deltas pending (one out and
    // one in per row), which verify merges.
    conn.execute_unprepared(
        "UPDATE people_rollup SET fen = fen - 1 WHERE village_code = '420625101202'",
    )
    .await
    .unwrap();
    conn.execute_unprepared("UPDATE people SET fen = fen + 1 WHERE village_code = '420625100201'")
        .await
        .unwrap();
    let left = if on_postgres() { 6 } else { 0 };
    assert_eq!(pending(&conn, "420625100201").await, left);
    assert!(rollups.verify(&conn).await.unwrap().is_empty());
    assert_eq!(pending(&conn, "420625100201").await, 0);
    assert_eq!(
        seen_by(&conn, "people_rollup", "2026-12-06").await,
        seen_by(&conn, "people", "2026-12-06").await
    );
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}

#[tokio::test]
async fn a_changed_definition_rebuilds_and_an_unchanged_one_keeps_its_floor() {
    let (conn, scratch) = source().await;
    ensure(&conn, day("2026-12-06"), false, defs).await.unwrap();
    // A month later, same definition: the floor stays, nothing is rebuilt.
    let kept = ensure(&conn, day("2027-01-10"), false, defs).await.unwrap();
    assert_eq!(kept.built_floor(), day("2026-10-01"));
    // A rebuild on request moves it.
    let rebuilt = ensure(&conn, day("2027-01-10"), true, defs).await.unwrap();
    assert_eq!(rebuilt.built_floor(), day("2026-11-01"));
    assert!(rebuilt.verify(&conn).await.unwrap().is_empty());
    // A new measure changes the fingerprint: rebuilt with the kept floor.
    let wider = |floor| vec![defs(floor).remove(0).sum_as("fen2", "fen * 2")];
    let changed = ensure(&conn, day("2027-01-10"), false, wider)
        .await
        .unwrap();
    assert_eq!(changed.built_floor(), day("2026-11-01"));
    assert!(changed.verify(&conn).await.unwrap().is_empty());
    let row = conn
        .query_one_raw(Statement::from_string(
            backend(),
            "SELECT CAST(SUM(fen2) AS BIGINT) AS f FROM people_rollup".to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "f").unwrap(), 316);
    if let Some(scratch) = scratch {
        scratch.drop_now(conn).await;
    }
}

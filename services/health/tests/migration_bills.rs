//! The bill migration over cases stored before it: every old row gets a distinct bill
//! number (a reversal its settlement's), so the unique bill index can be built. Runs on
//! SQLite, or on PostgreSQL with XK_TEST_DATABASE=postgres (XK_TEST_PG_URL, default
//! postgres://postgres@127.0.0.1:5432).

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;
use xk_health::store::migration::Migrator;

/// The runtime's tables and the first health migration: the schema before bills.
const STEPS_BEFORE_BILLS: u32 = 2;

fn pg_base() -> String {
    std::env::var("XK_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Runs `statements` on the PostgreSQL server's own database (to create and drop the
/// test's database).
async fn on_server(statements: &[String]) {
    let admin = Database::connect(format!("{}/postgres", pg_base()))
        .await
        .unwrap();
    for sql in statements {
        admin.execute_unprepared(sql).await.unwrap();
    }
    admin.close().await.unwrap();
}

/// A fresh empty database and, for PostgreSQL, its name to drop afterwards.
async fn fresh(dir: &tempfile::TempDir) -> (DatabaseConnection, Option<String>) {
    if std::env::var("XK_TEST_DATABASE").is_ok_and(|v| v.starts_with("postgres")) {
        let name = format!("xk_test_health_bills_{}", std::process::id());
        on_server(&[
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{name}\""),
        ])
        .await;
        let conn = Database::connect(format!("{}/{name}", pg_base()))
            .await
            .unwrap();
        (conn, Some(name))
    } else {
        let url = format!("sqlite://{}/health.db?mode=rwc", dir.path().display());
        (Database::connect(url).await.unwrap(), None)
    }
}

/// A case row as the first schema stores it.
fn old_case(kind: i32, reverses_id: i64, sign: i64) -> String {
    format!(
        "INSERT INTO cases (kind, reverses_id, resident_id, coverage_year, village_code, \
         institution_code, institution_level, in_county, one_stop, admission_date, \
         discharge_date, chronic_outpatient, registered_poor, total_fen, out_of_policy_fen, \
         basic_fen, serious_fen, assistance_fen, supplementary_fen, personal_in_policy_fen, \
         personal_out_of_policy_fen, personal_total_fen, d_basic_deductible_used_fen, \
         d_serious_burden_fen, d_assistance_paid_fen, d_in_county_personal_fen, created_at) \
         VALUES ({kind}, {reverses_id}, '11010519491231002X', 2019, '420625100201', 'CTY1', 3, \
         TRUE, TRUE, '2019-03-01', '2019-03-06', FALSE, TRUE, {t}, 0, {t}, 0, 0, 0, 0, 0, 0, \
         0, 0, 0, 0, '2019-03-06 00:00:00+00:00')",
        t = sign * 1000
    )
}

#[tokio::test]
async fn cases_stored_before_bills_get_distinct_legacy_bill_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, pg_name) = fresh(&dir).await;
    Migrator::up(&conn, Some(STEPS_BEFORE_BILLS)).await.unwrap();
    // Two settlements of one institution, the first reversed.
    for sql in [old_case(1, 0, 1), old_case(1, 0, 1), old_case(2, 1, -1)] {
        conn.execute_unprepared(&sql).await.unwrap();
    }
    Migrator::up(&conn, None).await.unwrap();
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT id, bill_number, bill_settlement FROM cases ORDER BY id",
        ))
        .await
        .unwrap();
    let got: Vec<(i64, String, i32)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
                r.try_get_by_index(2).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (1, "legacy-1".to_string(), 1),
            (2, "legacy-2".to_string(), 1),
            (3, "legacy-1".to_string(), 1)
        ]
    );
    // The index is in place: a second live settlement of a legacy bill is refused.
    let dup = conn
        .execute_unprepared(
            &old_case(1, 0, 1)
                .replace(
                    "INSERT INTO cases (kind,",
                    "INSERT INTO cases (bill_number, kind,",
                )
                .replace("VALUES (1,", "VALUES ('legacy-2', 1,"),
        )
        .await;
    let err = dup.expect_err("duplicate bill accepted");
    assert!(
        matches!(
            err.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ),
        "{err}"
    );
    conn.close().await.unwrap();
    if let Some(name) = pg_name {
        on_server(&[format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")]).await;
    }
}

//! Migrations in a scaled deployment: `xiaokang migrate` runs once; replicas started with
//! XK_MIGRATE=false refuse a database with pending migrations, and every service refuses
//! a database migrated by a newer version.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, Statement};
use tokio::net::TcpListener;
use xiaokang::testing::{TestDatabase, test_tokens};
use xk_runtime::{Db, ServeSettings};

async fn host(url: &str, settings: &ServeSettings) -> anyhow::Result<xk_runtime::HostedService> {
    let (table, _) = test_tokens();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    xiaokang::suite::host(
        xk_registry::SPEC,
        url,
        settings,
        Arc::clone(&table),
        listener,
    )
    .await
}

#[tokio::test]
async fn replicas_need_migrate_first_and_refuse_a_newer_schema() {
    let database = TestDatabase::create("migrations").await.unwrap();
    let replica = ServeSettings {
        migrate: false,
        ..Default::default()
    };
    let err = host(&database.url, &replica)
        .await
        .err()
        .expect("pending migrations refused");
    assert!(err.to_string().contains("pending"), "{err:#}");

    // `xiaokang migrate registry`, once.
    let db = Db::connect(&database.url, 1).await.unwrap();
    xiaokang::suite::migrate(xk_registry::SPEC, db.clone(), &ServeSettings::default())
        .await
        .unwrap();
    let svc = host(&database.url, &replica)
        .await
        .expect("a migrated database serves");
    svc.shutdown().await.unwrap();

    // A newer binary migrated the database further: this one refuses to start.
    db.conn()
        .execute_raw(Statement::from_string(
            db.backend(),
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_from_the_future', 0)",
        ))
        .await
        .unwrap();
    db.close().await.unwrap();
    for settings in [ServeSettings::default(), replica] {
        let err = host(&database.url, &settings)
            .await
            .err()
            .expect("newer schema refused");
        assert!(err.to_string().contains("newer version"), "{err:#}");
    }
    database.drop_now().await.unwrap();
}

/// One assessment record as the water service stored it before its measurements had
/// presence: a 0 was not encoded, so it decodes as not measured.
fn old_water_record(n: usize) -> xk_contracts::pb::water::v1::Assessment {
    xk_contracts::pb::water::v1::Assessment {
        household_id: format!("HH{n:06}"),
        litres_per_person_day: Some(40 + n as i64 % 3),
        fetch_round_trip_minutes: None, // sent as 0
        horizontal_distance_m: Some(500),
        vertical_distance_m: None,        // sent as 0
        outage_days_last_12_months: None, // sent as 0
        ..Default::default()
    }
}

#[tokio::test]
async fn water_measurement_columns_are_backfilled_from_the_stored_records() {
    use prost::Message;
    use sea_orm::{TransactionTrait, Value};
    use sea_orm_migration::MigratorTrait;
    use xk_runtime::db::placeholder;
    use xk_water::store::migration::Migrator;

    let database = TestDatabase::create("water_backfill").await.unwrap();
    let db = Db::connect(&database.url, 1).await.unwrap();
    // The runtime's tables and the two water migrations before the measurement columns.
    Migrator::up(db.conn(), Some(3)).await.unwrap();
    // More rows than one backfill page, so paging is exercised.
    const ROWS: usize = 1_005;
    let backend = db.backend();
    let marks: Vec<String> = (1..=6).map(|i| placeholder(backend, i)).collect();
    let insert = format!(
        "INSERT INTO assessments (household_id, seq, village_code, people, assessed_on, \
         seasonal_check, scheme_id, verdict, policy_year, doc, recorded_at) \
         VALUES ({}, {}, '420625100201', 3, {}, FALSE, NULL, 1, 2018, {}, {})",
        marks[0], marks[1], marks[2], marks[3], marks[4]
    );
    let on = chrono::NaiveDate::from_ymd_opt(2019, 6, 1).unwrap();
    let txn = db.conn().begin().await.unwrap();
    for n in 0..ROWS {
        let mut record = old_water_record(n);
        if n == 7 {
            // Nothing but zeros: nothing to copy.
            record.litres_per_person_day = None;
            record.horizontal_distance_m = None;
        }
        let values: Vec<Value> = vec![
            record.household_id.clone().into(),
            1i64.into(),
            on.into(),
            record.encode_to_vec().into(),
            chrono::Utc::now().into(),
        ];
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            insert.clone(),
            values,
        ))
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();

    Migrator::up(db.conn(), None).await.unwrap();
    let count = |condition: &str| {
        Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM assessments WHERE {condition}"),
        )
    };
    let n = |stmt: Statement| {
        let conn = db.conn().clone();
        async move {
            let row = conn.query_one_raw(stmt).await.unwrap().unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    assert_eq!(
        n(count(
            "horizontal_distance_m = 500 AND litres_per_person_day BETWEEN 40 AND 42"
        ))
        .await,
        ROWS as i64 - 1,
        "every non-zero value copied"
    );
    assert_eq!(
        n(count(
            "fetch_round_trip_minutes IS NULL AND vertical_distance_m IS NULL \
             AND outage_days_last_12_months IS NULL"
        ))
        .await,
        ROWS as i64,
        "a zero written before presence reads as not measured"
    );
    assert_eq!(
        n(count("household_id = 'HH000007' AND litres_per_person_day IS NULL AND horizontal_distance_m IS NULL")).await,
        1
    );
    db.close().await.unwrap();
    database.drop_now().await.unwrap();
}

/// `xiaokang ARGS…` against `url`, its exit status and what it printed.
async fn migrate_cli(args: &[&str], url: &str) -> (bool, String) {
    let workdir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_xiaokang"))
        .current_dir(workdir.path())
        .args(args)
        .args(["--database-url", url])
        .env_remove("XK_DATABASE_URL")
        .env_remove("XK_DATABASE_URL_FILE")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), printed)
}

#[tokio::test]
async fn migrate_partitions_the_registry_by_county_on_postgres_only() {
    let registry = TestDatabase::create("partition_cli").await.unwrap();
    // A mistyped county is refused before the database is touched.
    let mistyped = [
        "migrate",
        "registry",
        "--partition-by-county",
        "--county",
        "420625,42062X",
    ];
    let (ok, printed) = migrate_cli(&mistyped, &registry.url).await;
    assert!(!ok, "{printed}");
    assert!(
        printed.contains("--county \"42062X\" is not a county code"),
        "{printed}"
    );
    if let Some(file) = registry.url.strip_prefix("sqlite://") {
        assert!(!std::path::Path::new(file).exists(), "{file} was created");
    }
    let args = [
        "migrate",
        "registry",
        "--partition-by-county",
        "--county",
        "420625,420683",
    ];
    let (ok, printed) = migrate_cli(&args, &registry.url).await;
    if xiaokang::testing::TestDb::from_env() != xiaokang::testing::TestDb::Postgres {
        assert!(!ok, "{printed}");
        assert!(printed.contains("PostgreSQL option"), "{printed}");
        return registry.drop_now().await.unwrap();
    }
    assert!(ok, "{printed}");
    for line in [
        "registry: households is now partitioned by county",
        "registry: members is now partitioned by county",
        "registry: households has a partition for county 420683",
        "registry: members has a partition for county 420625",
        "registry: migrations applied; rollups built",
    ] {
        assert!(printed.contains(line), "{line:?} missing from:\n{printed}");
    }
    // The rollups were built over the partitioned tables, and agree with them.
    let (ok, printed) = migrate_cli(&["verify-rollups", "registry"], &registry.url).await;
    assert!(ok, "{printed}");
    assert!(
        printed.contains("registry: 0 rollup difference(s)"),
        "{printed}"
    );
    // Run again: already partitioned, nothing to add.
    let (ok, printed) = migrate_cli(&args, &registry.url).await;
    assert!(ok, "{printed}");
    assert!(!printed.contains("is now partitioned"), "{printed}");
    assert!(!printed.contains("has a partition"), "{printed}");
    // A service that offers no tables to partition says so, and changes nothing.
    let housing = TestDatabase::create("partition_cli_housing").await.unwrap();
    let (ok, printed) = migrate_cli(
        &["migrate", "housing", "--partition-by-county"],
        &housing.url,
    )
    .await;
    assert!(!ok, "{printed}");
    assert!(
        printed.contains("housing offers no tables to partition"),
        "{printed}"
    );
    registry.drop_now().await.unwrap();
    housing.drop_now().await.unwrap();
}

//! The bulk path (`XK_BULK_LOAD`, `xiaokang bench growth --bulk`): a first load into a
//! service that does not sync and keeps no rollups, then a normal start over the same
//! database, which builds the rollups from the rows and serves durably again.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use xiaokang::testing::TestService;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::registry::v1::*;
use xk_runtime::ServeSettings;
use xk_runtime::rollup::Source;

use crate::common::*;
use crate::{V2, batch};

/// One setting of the connection, as text (SQLite `PRAGMA`, PostgreSQL `SHOW`).
async fn setting(db: &xk_runtime::Db, sqlite: &str, postgres: &str) -> String {
    let conn = db.conn();
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => format!("PRAGMA {sqlite}"),
        _ => format!("SHOW {postgres}"),
    };
    let row = conn
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i32>(0).map(|n| n.to_string()))
        .unwrap()
}

#[tokio::test]
async fn a_bulk_load_then_a_normal_start_serves_rollups_equal_to_the_rows() {
    let bulk = ServeSettings {
        bulk_load: true,
        rollups: false,
        ..ServeSettings::default()
    };
    let svc = TestService::start_with(xk_registry::SPEC, bulk)
        .await
        .unwrap();
    let db = svc.hosted.db();
    let sqlite = db.conn().get_database_backend() == DbBackend::Sqlite;
    assert!(db.rollups().is_none(), "no rollups while loading");
    if sqlite {
        assert_eq!(setting(db, "journal_mode", "").await, "memory");
        assert_eq!(setting(db, "synchronous", "").await, "0", "OFF");
    } else {
        assert_eq!(setting(db, "", "synchronous_commit").await, "off");
    }
    let mut c = client(&svc, OFFICE).await;
    let mut in_v2 = batch("b2", 40..45);
    for h in &mut in_v2.households {
        h.village_code = V2.into();
    }
    let answered = c
        .import_households(futures::stream::iter(vec![
            batch("b0", 0..20),
            batch("b1", 20..40),
            in_v2,
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answered.households_imported, 45, "{answered:?}");

    let svc = svc
        .restart(&ServeSettings::default(), async |_| {})
        .await
        .unwrap();
    let db = svc.hosted.db();
    if sqlite {
        assert_eq!(setting(db, "journal_mode", "").await, "wal");
        assert_eq!(setting(db, "synchronous", "").await, "2", "FULL");
    } else {
        assert_eq!(setting(db, "", "synchronous_commit").await, "on");
    }
    // The rollups were built at start from the rows, and the summary reads them.
    assert_eq!(db.verify_rollups().await.unwrap(), []);
    assert_eq!(db.summary_source(&[]).await.unwrap(), Source::Rollups);
    let mut c = client(&svc, OFFICE).await;
    let summary = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Village as i32,
            year: 2019,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let total = summary.total.unwrap_or_default();
    assert_eq!((total.poor_households, total.poor_people), (45, 90));
    let villages: Vec<_> = summary
        .groups
        .iter()
        .map(|g| (g.region_code.as_str(), g.poor_households))
        .collect();
    assert_eq!(villages, [(crate::V1, 40), (V2, 5)]);
    svc.stop().await.unwrap();
}

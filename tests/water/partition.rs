//! Water partitioned by county (issue 16; PostgreSQL only): the assessment history and the
//! current statuses are both partitioned, a household's history and an exception page read
//! their county's partitions alone through the key tables, an assessment locks and
//! replaces the current row where the key table places it (seq goes on), and a household
//! assessed in another county moves its current row to that county's partition.

use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use xiaokang::testing::{TestDb, locked_relations};
use xk_runtime::partition::Lookup;
use xk_water::store::assessments::{self as store, CurrentFilter, Reads};
use xk_water::store::{ASSESSMENTS, CURRENT, PARTITIONABLE};

use super::*;

/// A village of Zaoyang (420683), another county of Xiangyang.
const ZAOYANG: &str = "420683100201";

/// An assessment one litre under the 基本达标 edge: 不安全.
fn short_of_water(household: &str, village: &str, on: Date) -> Assessment {
    Assessment {
        litres_per_person_day: Some(34),
        ..basic(household, village, 4, on)
    }
}

/// The households whose current row sits in `partition`.
async fn current_in<C: ConnectionTrait>(conn: &C, partition: &str) -> Vec<String> {
    conn.query_all_raw(Statement::from_string(
        DbBackend::Postgres,
        format!("SELECT household_id FROM {partition} ORDER BY 1"),
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get::<String>("", "household_id").unwrap())
    .collect()
}

/// Which of `partitions` the current transaction of `conn` holds a lock on.
async fn touched<C: ConnectionTrait>(conn: &C, partitions: &[&str]) -> Vec<String> {
    let held = locked_relations(conn).await.unwrap();
    partitions
        .iter()
        .filter(|p| held.iter().any(|h| h == *p))
        .map(|p| p.to_string())
        .collect()
}

#[tokio::test]
async fn a_partitioned_water_reads_and_replaces_a_household_in_its_county_partitions() {
    let svc = start().await;
    if TestDb::from_env() != TestDb::Postgres {
        // SQLite: nothing is partitioned, both tables are read directly.
        assert_eq!(Reads::of(svc.hosted.db()), Reads::default());
        return svc.stop().await.unwrap();
    }
    let mut c = client(&svc, BUREAU).await;
    record(&mut c, "p1", basic("HH-P1", V1, 3, date(2019, 3, 1)))
        .await
        .unwrap();
    record(
        &mut c,
        "p2",
        short_of_water("HH-P2", ZAOYANG, date(2019, 3, 1)),
    )
    .await
    .unwrap();
    record(&mut c, "p3", basic("HH-P3", ZAOYANG, 2, date(2019, 3, 1)))
        .await
        .unwrap();

    let (svc, done) = svc.partitioned(PARTITIONABLE).await.unwrap();
    assert_eq!(done.converted, vec![ASSESSMENTS, CURRENT]);
    let db = svc.hosted.db().clone();
    let reads = Reads::of(&db);
    assert_eq!(
        reads,
        Reads {
            history: Lookup::ThroughKeys,
            current: Lookup::ThroughKeys,
        }
    );
    let mut c = client(&svc, BUREAU).await;

    // A newer assessment finds the current row through the key table: the seq goes on
    // (a row missed would give seq 1 again, and collide with the stored one for ever).
    let r = record(
        &mut c,
        "p2b",
        short_of_water("HH-P2", ZAOYANG, date(2019, 6, 1)),
    )
    .await
    .unwrap();
    assert_eq!(r.assessment.unwrap().seq, 2);
    assert!(r.became_current);
    // A household assessed in another county: its current row moves partition.
    let r = record(&mut c, "p3b", basic("HH-P3", V1, 2, date(2019, 6, 1)))
        .await
        .unwrap();
    assert_eq!(r.assessment.unwrap().seq, 2);
    assert!(r.became_current);
    assert_eq!(
        current_in(db.conn(), "water_current_c420625").await,
        ["HH-P1", "HH-P3"]
    );
    assert_eq!(
        current_in(db.conn(), "water_current_c420683").await,
        ["HH-P2"]
    );
    // An older assessment leaves the current row where it is and only adds history.
    let r = record(&mut c, "p3c", basic("HH-P3", ZAOYANG, 2, date(2019, 1, 1)))
        .await
        .unwrap();
    assert_eq!(r.assessment.unwrap().seq, 3);
    assert!(!r.became_current);
    // A new household's two assessments in one import batch.
    let batch = ImportAssessmentsRequest {
        request_id: "p4".into(),
        assessments: vec![
            basic("HH-P4", V1, 5, date(2019, 2, 1)),
            basic("HH-P4", V1, 5, date(2019, 5, 1)),
        ],
    };
    let imported = import(&mut c, vec![batch]).await.unwrap();
    assert_eq!(imported.assessments_imported, 2);

    let w = c
        .get_household_water(GetHouseholdWaterRequest {
            household_id: "HH-P3".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let history: Vec<(i64, &str)> = w
        .history
        .iter()
        .map(|a| (a.seq, a.village_code.as_str()))
        .collect();
    assert_eq!(history, [(2, V1), (1, ZAOYANG), (3, ZAOYANG)]);
    assert_eq!(w.current.unwrap().village_code, V1);
    let w = c
        .get_household_water(GetHouseholdWaterRequest {
            household_id: "HH-P4".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(w.current.unwrap().seq, 2);

    let partitions = [
        "assessments_c420625",
        "assessments_c420683",
        "assessments_default",
        "water_current_c420625",
        "water_current_c420683",
        "water_current_default",
    ];
    // A household's history reads the partitions of its own villages alone.
    let txn = db.conn().begin().await.unwrap();
    let h = store::history(&txn, reads, "HH-P2").await.unwrap();
    assert_eq!(h.iter().map(|a| a.seq).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(touched(&txn, &partitions).await, ["assessments_c420683"]);
    txn.rollback().await.unwrap();
    // An exception page of one county: its current rows and their assessments there.
    let txn = db.conn().begin().await.unwrap();
    let page = store::list_current(&txn, reads, CurrentFilter::Unsafe, "420683", None, 10)
        .await
        .unwrap();
    let page: Vec<(&str, i64)> = page.iter().map(|(h, a)| (h.as_str(), a.seq)).collect();
    assert_eq!(page, [("HH-P2", 2)]);
    assert_eq!(
        touched(&txn, &partitions).await,
        ["assessments_c420683", "water_current_c420683"]
    );
    txn.rollback().await.unwrap();
    // Which households were ever assessed: the key table alone answers.
    let txn = db.conn().begin().await.unwrap();
    let assessed = store::assessed_among(&txn, reads, &["HH-P1", "HH-P3", "HH-NONE"])
        .await
        .unwrap();
    let mut assessed: Vec<String> = assessed.into_iter().collect();
    assessed.sort();
    assert_eq!(assessed, ["HH-P1", "HH-P3"]);
    assert_eq!(touched(&txn, &partitions).await, Vec::<String>::new());
    txn.rollback().await.unwrap();
    // A household nobody assessed reads nothing, and the RPC says NOT_FOUND.
    let missing = c
        .get_household_water(GetHouseholdWaterRequest {
            household_id: "HH-NONE".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // The summary of each county counts its current rows, and the rollups agree.
    let zaoyang = summarize(&mut c, "420683", RegionLevel::Township).await;
    let counts = zaoyang.total.unwrap();
    assert_eq!((counts.households, counts.unsafe_households), (1, 1));
    let gucheng = summarize(&mut c, "420625", RegionLevel::Township).await;
    assert_eq!(gucheng.total.unwrap().households, 3);
    assert_eq!(db.verify_rollups().await.unwrap(), vec![]);
    svc.stop().await.unwrap();
}

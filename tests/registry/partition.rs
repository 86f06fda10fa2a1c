//! Partitioning a province's registry by county (issue 16; PostgreSQL only): a database
//! with households in two counties is partitioned in place, keeps every row, reads a
//! county from its own partition, keeps ids unique across counties, keeps its rollups
//! equal to the rows when a household moves to another county, and takes a new county's
//! partition later, moving that county's rows out of the default partition.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tonic::Code;
use xiaokang::testing::TestDb;
use xk_contracts::pb::registry::v1::*;
use xk_registry::store::PARTITIONABLE;
use xk_runtime::Db;
use xk_runtime::partition::{self, Partitioning};

use crate::common::*;
use crate::{V1, V2, start};

/// A village of Zaoyang (420683), another county of Xiangyang.
const ZAOYANG: &str = "420683100201";
/// A village of Yicheng (420684), a county given its partition only later.
const YICHENG: &str = "420684100201";

/// The household `id` as the registry answers it.
async fn get(c: &mut Client, id: &str) -> Household {
    c.get_household(GetHouseholdRequest {
        household_id: id.into(),
    })
    .await
    .unwrap()
    .into_inner()
    .household
    .unwrap()
}

/// `sql`'s one integer answer.
async fn scalar(db: &Db, sql: &str) -> i64 {
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_string()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// The tables a county's range scan of `table` reads, from its plan.
async fn scanned(db: &Db, table: &str, county: &str) -> String {
    let (low, high) = xk_runtime::query::prefix_range(county);
    let sql = format!(
        "EXPLAIN SELECT COUNT(*) FROM {table} WHERE village_code >= '{low}' AND village_code <= '{high}'"
    );
    let rows = db
        .conn()
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_registry_partitioned_by_county_keeps_its_rows_keys_and_rollups() {
    let svc = start().await;
    let db = svc.hosted.db().clone();
    if TestDb::from_env() != TestDb::Postgres {
        // One SQLite file is one county's database: the option is refused, by name.
        let err = partition::by_county(db.conn(), PARTITIONABLE, &[])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("PostgreSQL option"), "{err}");
        assert!(
            !partition::is_partitioned(db.conn(), "households")
                .await
                .unwrap()
        );
        return svc.stop().await.unwrap();
    }
    let mut c = client(&svc, OFFICE).await;
    for (n, village) in [(1, V1), (2, V2), (3, V1), (4, ZAOYANG), (5, ZAOYANG)] {
        create(
            &mut c,
            &format!("c{n}"),
            household(n, village, 2, ArchiveStatus::Poor),
        )
        .await
        .unwrap();
    }
    let before = get(&mut c, "HH000004").await;

    // The writers stop; the tables are partitioned; the service starts again over them
    // (and rebuilds the rollups, whose update triggers differ over a partitioned table).
    let (svc, done) = svc.partitioned(PARTITIONABLE).await.unwrap();
    assert_eq!(done.converted, vec!["households", "members"]);
    let added: Vec<(&str, &str)> = done
        .partitions_added
        .iter()
        .map(|(t, c)| (*t, c.as_str()))
        .collect();
    assert_eq!(
        added,
        vec![
            ("households", "420625"),
            ("households", "420683"),
            ("members", "420625"),
            ("members", "420683"),
        ]
    );
    assert_eq!(done.rows_moved, 0, "the rows went straight to their county");
    let db = svc.hosted.db().clone();
    // Again: nothing left to do.
    let again = partition::by_county(db.conn(), PARTITIONABLE, &[])
        .await
        .unwrap();
    assert_eq!(again, Partitioning::default());
    assert!(
        partition::is_partitioned(db.conn(), "households")
            .await
            .unwrap()
    );
    // The restarted registry reads a household through the key table's county.
    assert_eq!(db.lookup("households"), partition::Lookup::ThroughKeys);
    assert!(
        partition::is_partitioned(db.conn(), "members")
            .await
            .unwrap()
    );

    // Every row is where it belongs, and the household reads as before.
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM households_c420625").await,
        3
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM households_c420683").await,
        2
    );
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM members_c420683").await, 4);
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM households_default").await,
        0
    );
    let mut c = client(&svc, OFFICE).await;
    let after = get(&mut c, "HH000004").await;
    assert_eq!(after, before);
    assert_eq!(all_ids(&mut c).await.len(), 5);

    // A county's range reads its own partition and no other.
    let plan = scanned(&db, "households", "420625").await;
    assert!(plan.contains("households_c420625"), "{plan}");
    assert!(!plan.contains("households_c420683"), "{plan}");
    assert!(!plan.contains("households_default"), "{plan}");

    // A household id taken in one county cannot be stored again in another, even by a
    // writer that did not look first: the key table refuses it.
    let dup = db
        .conn()
        .execute_unprepared(&format!(
            "INSERT INTO households SELECT household_id, '{ZAOYANG}', status, identified_year, \
             exited_year, people, monitoring_category, monitoring_stage, \
             monitoring_identified_on, version, doc, updated_at \
             FROM households WHERE household_id = 'HH000001'"
        ))
        .await
        .unwrap_err();
    assert!(dup.to_string().contains("households_keys_pkey"), "{dup}");
    let refused = create(&mut c, "dup", household(1, ZAOYANG, 2, ArchiveStatus::Poor))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists);

    // A household moves to another county: its rows change partition, and the rollups
    // follow (a row-level update trigger would not have fired).
    let mut moved = get(&mut c, "HH000001").await;
    moved.village_code = ZAOYANG.into();
    moved.timeline.clear();
    c.update_household(UpdateHouseholdRequest {
        request_id: "move".into(),
        household: Some(moved),
    })
    .await
    .unwrap();
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM households_c420683").await,
        3
    );
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM members_c420683").await, 6);
    // The key tables follow the move, so the lookup through them finds it in its new
    // county's partition.
    let keyed = format!(
        "SELECT COUNT(*) FROM households_keys WHERE household_id = 'HH000001' \
         AND village_code = '{ZAOYANG}'"
    );
    assert_eq!(scalar(&db, &keyed).await, 1);
    let keyed = format!("SELECT COUNT(*) FROM members_keys WHERE village_code = '{ZAOYANG}'");
    assert_eq!(scalar(&db, &keyed).await, 6);
    assert_eq!(get(&mut c, "HH000001").await.village_code, ZAOYANG);
    // Verifying merges what the background merger has not yet.
    assert_eq!(db.verify_rollups().await.unwrap(), vec![]);

    // A county without a partition lands in the default one; partitioning again gives it
    // its own and moves its rows there, the rollups unchanged.
    create(&mut c, "c6", household(6, YICHENG, 3, ArchiveStatus::Poor))
        .await
        .unwrap();
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM households_default").await,
        1
    );
    let later = partition::by_county(db.conn(), PARTITIONABLE, &["420685".to_string()])
        .await
        .unwrap();
    assert_eq!(later.converted, Vec::<&str>::new());
    assert_eq!(
        later.rows_moved,
        1 + 3,
        "one household and its three members"
    );
    assert_eq!(
        partition::counties_of(db.conn(), "households")
            .await
            .unwrap(),
        vec!["420625", "420683", "420684", "420685"]
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM households_default").await,
        0
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM households_c420684").await,
        1
    );
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM households_keys").await, 6);
    assert_eq!(db.verify_rollups().await.unwrap(), vec![]);
    svc.stop().await.unwrap();
}

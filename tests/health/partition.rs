//! Health partitioned by county (issue 16; PostgreSQL only): enrolments and person-years
//! keyed by (resident id, coverage year) are read and locked from their county's partition
//! through the key tables, settlements go on settling cumulatively, and a key table that
//! names the wrong village (a row moved meanwhile) still finds the row.

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use xiaokang::testing::TestDb;
use xk_health::domain;
use xk_health::store::{ENROLMENTS, PARTITIONABLE, PERSON_YEARS};
use xk_runtime::partition::Lookup;

use super::support::*;

/// A village of Zaoyang (420683), another county of Xiangyang.
const ZAOYANG: &str = "420683100201";

/// The relations the current transaction of `conn` holds a lock on, by name.
async fn locked<C: ConnectionTrait>(conn: &C) -> Vec<String> {
    xiaokang::testing::locked_relations(conn).await.unwrap()
}

/// The villages of the rows `statement` returns.
async fn villages<C: ConnectionTrait>(conn: &C, statement: Statement) -> Vec<String> {
    conn.query_all_raw(statement)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "village_code").unwrap())
        .collect()
}

#[tokio::test]
async fn a_partitioned_health_reads_and_settles_a_person_year_in_its_county_partition() {
    let svc = start().await;
    if TestDb::from_env() != TestDb::Postgres {
        // SQLite: nothing is partitioned, every table is read directly.
        assert_eq!(svc.hosted.db().lookup(PERSON_YEARS), Lookup::Direct);
        return svc.stop().await.unwrap();
    }
    let mut c = client(&svc, BUREAU).await;
    enrol_poor(&mut c, [(1, V1), (2, ZAOYANG)]).await;
    upsert(&mut c, county_hospital()).await;
    let first = settle(
        &mut c,
        "s1",
        hospital_case(2, "CTY1", 1_200_000, 100_000, 10),
    )
    .await
    .unwrap();
    assert_eq!(svc.hosted.db().lookup(PERSON_YEARS), Lookup::Direct);

    let (svc, done) = svc.partitioned(PARTITIONABLE).await.unwrap();
    assert_eq!(done.converted, vec![ENROLMENTS, PERSON_YEARS]);
    let db = svc.hosted.db().clone();
    assert_eq!(db.lookup(ENROLMENTS), Lookup::ThroughKeys);
    assert_eq!(db.lookup(PERSON_YEARS), Lookup::ThroughKeys);

    // The second settlement locks the person-year through the key table and saves it by
    // its village: cumulative as before partitioning.
    let mut c = client(&svc, BUREAU).await;
    let second = settle(&mut c, "s2", hospital_case(2, "CTY1", 2_500_000, 0, 120))
        .await
        .unwrap();
    let cases: Vec<domain::Case> = [&first, &second]
        .iter()
        .map(|r| engine_case(r.record.as_ref().unwrap()))
        .collect();
    let (want, ytd) = domain::settle_all(&policy_2019(), &cases).unwrap();
    assert_eq!(second.record.unwrap().layers.unwrap(), layers_of(&want[1]));
    let totals = second.totals.unwrap();
    assert_eq!(totals.cases, 2);
    assert_eq!(totals.in_county_personal_fen, ytd.in_county_personal_fen);
    let py = person_year(&mut c, 2).await;
    assert_eq!(py.enrolment.unwrap().village_code, ZAOYANG);
    assert_eq!(py.cases.len(), 2);

    // The locked read touches the person's county partition and no other.
    let txn = db.conn().begin().await.unwrap();
    let key = || [person_id(2).into(), YEAR.into()];
    let through = Lookup::ThroughKeys
        .statement(PERSON_YEARS, key(), true)
        .unwrap();
    assert_eq!(villages(&txn, through).await, vec![ZAOYANG]);
    let held = locked(&txn).await;
    assert!(
        held.contains(&"person_years_c420683".to_string()),
        "{held:?}"
    );
    assert!(
        !held.contains(&"person_years_c420625".to_string()),
        "{held:?}"
    );
    assert!(
        !held.contains(&"person_years_default".to_string()),
        "{held:?}"
    );
    txn.rollback().await.unwrap();
    // Where the same locked read by key alone takes every partition.
    let txn = db.conn().begin().await.unwrap();
    let direct = xk_runtime::partition::find_by_key::<
        xk_health::store::entities::person_year::Entity,
        _,
    >(&txn, Lookup::Direct, (person_id(2), YEAR), true)
    .await
    .unwrap();
    assert_eq!(direct.unwrap().village_code, ZAOYANG);
    let held = locked(&txn).await;
    assert!(
        held.contains(&"person_years_c420625".to_string()),
        "{held:?}"
    );
    assert!(
        held.contains(&"person_years_default".to_string()),
        "{held:?}"
    );
    txn.rollback().await.unwrap();

    // A key table naming the wrong village (as for a row moved meanwhile) still finds it.
    db.conn()
        .execute_unprepared(&format!(
            "UPDATE enrolments_keys SET village_code = '{V1}' WHERE resident_id = '{}'",
            person_id(2)
        ))
        .await
        .unwrap();
    let through = Lookup::ThroughKeys
        .statement(ENROLMENTS, key(), false)
        .unwrap();
    assert_eq!(villages(db.conn(), through).await, vec![ZAOYANG]);
    // A key nobody holds reads nothing.
    let nobody = [person_id(3).into(), YEAR.into()];
    let through = Lookup::ThroughKeys
        .statement(ENROLMENTS, nobody, false)
        .unwrap();
    assert_eq!(villages(db.conn(), through).await, Vec::<String>::new());

    // Verifying merges what the background merger has not yet.
    assert_eq!(db.verify_rollups().await.unwrap(), vec![]);
    svc.stop().await.unwrap();
}

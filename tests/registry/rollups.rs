//! The per-village rollups over the wire (issue 16): every write RPC that changes a
//! counted figure, then `verify_rollups` finds no difference, the summary read from the
//! rollups equals the full scan for every prefix, level, year and cutoff on or after the
//! floor, and the RPC answers what the full scan answers.

use chrono::{Datelike, Days, NaiveDate};
use tonic::Code;
use xiaokang::testing::TestService;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::registry::v1::*;
use xk_registry::domain::monitoring::alert_cutoff;
use xk_registry::store::summary::{self, SummaryQuery};
use xk_runtime::rollup::Source;

use crate::common::*;
use crate::{V1, V2, V3, rule_ids, start};

/// A wire date.
fn pb(d: NaiveDate) -> xk_contracts::pb::common::v1::Date {
    date(d.year(), d.month() as i32, d.day() as i32)
}

/// A monitoring case at `stage`, opened on `on` (its stage changed the same day).
fn case(category: MonitoringCategory, stage: MonitoringStage, on: NaiveDate) -> Monitoring {
    Monitoring {
        category: category as i32,
        stage: stage as i32,
        identified_on: Some(pb(on)),
        stage_changed_on: Some(pb(on)),
    }
}

/// Household `n` in `village`: exited in 2018 with an unstable-exit case opened on `on`.
fn unstable(n: u32, village: &str, stage: MonitoringStage, on: NaiveDate) -> Household {
    let mut h = household(n, village, 2, ArchiveStatus::Exited);
    h.monitoring = Some(case(MonitoringCategory::UnstableExited, stage, on));
    h
}

/// Household `n` in `village`: an edge household (outside the archive) identified on `on`.
fn edge(n: u32, village: &str, on: NaiveDate) -> Household {
    let mut h = household(n, village, 4, ArchiveStatus::MonitoredOnly);
    h.monitoring = Some(case(
        MonitoringCategory::Edge,
        MonitoringStage::Identified,
        on,
    ));
    h
}

/// A request id and household for the dated change RPCs.
fn hh(n: u32) -> String {
    format!("HH{n:06}")
}

#[tokio::test]
async fn every_write_keeps_the_rollups_equal_to_the_rows() {
    let svc = start().await;
    let db = svc.hosted.db();
    let floor = db.rollups().unwrap().floor(db.conn()).await.unwrap();
    let today = xk_runtime::clock::today();
    let mut c = client(&svc, OFFICE).await;

    // CreateHousehold: one of each status the figures tell apart.
    create(&mut c, "c1", household(1, V1, 3, ArchiveStatus::Poor))
        .await
        .unwrap();
    create(&mut c, "c2", household(2, V2, 2, ArchiveStatus::Exited))
        .await
        .unwrap();
    let after_floor = floor + Days::new(3);
    create(&mut c, "c3", edge(3, V3, after_floor))
        .await
        .unwrap();

    // ImportHouseholds: cases identified long before the floor, the day before it (folded
    // with them), on it, after it and today; and poor households identified in 2019.
    let before = NaiveDate::from_ymd_opt(2020, 3, 1).unwrap();
    let day_before = floor - Days::new(1);
    let mut batch = vec![
        unstable(10, V1, MonitoringStage::Identified, before),
        unstable(11, V1, MonitoringStage::Identified, day_before),
        unstable(12, V2, MonitoringStage::Identified, floor),
        unstable(13, V2, MonitoringStage::HelpAssigned, before),
        unstable(14, V3, MonitoringStage::Identified, today),
        edge(15, V1, before),
        edge(16, V2, after_floor),
    ];
    for n in 17..20 {
        let mut h = household(n, V2, 1 + n as usize % 3, ArchiveStatus::Poor);
        h.identified_year = 2019;
        batch.push(h);
    }
    let imported = c
        .import_households(futures::stream::iter(vec![ImportHouseholdsRequest {
            request_id: "imp".into(),
            households: batch,
        }]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.households_imported, 10);

    // UpdateHousehold: household 1 moves from V1 to V2 with a new member, so both villages
    // and both tables change.
    let mut moved = c
        .get_household(GetHouseholdRequest {
            household_id: hh(1),
        })
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    moved.village_code = V2.into();
    let mut newborn = household(900, V2, 1, ArchiveStatus::Poor).members.remove(0);
    newborn.relation = Relation::Child as i32;
    moved.members.push(newborn);
    c.update_household(UpdateHouseholdRequest {
        request_id: "u1".into(),
        household: Some(moved),
    })
    .await
    .unwrap();

    // RecordIncome and RecordExit: household 17 (poor since 2019) exits in 2019.
    c.record_income(RecordIncomeRequest {
        request_id: "inc17".into(),
        household_id: hh(17),
        income: Some(Income {
            year: 2019,
            per_capita_net_income_fen: 600_000,
        }),
    })
    .await
    .unwrap();
    let exit = RecordExitRequest {
        request_id: "exit17".into(),
        household_id: hh(17),
        exit_year: 2019,
        exited_on: Some(date(2019, 12, 1)),
    };
    c.record_exit(exit.clone()).await.unwrap();
    // A replayed exit writes nothing more.
    c.record_exit(exit).await.unwrap();

    // RecordMonitoring: household 2 (exited) opens a case on the floor.
    c.record_monitoring(RecordMonitoringRequest {
        request_id: "mon2".into(),
        household_id: hh(2),
        category: MonitoringCategory::UnstableExited as i32,
        identified_on: Some(pb(floor)),
    })
    .await
    .unwrap();

    // AdvanceMonitoring: household 11's case gets help (its date stops counting); 13's
    // returns to poverty (status back to poor).
    let advance =
        |id: &str, n: u32, stage: MonitoringStage, on: NaiveDate| AdvanceMonitoringRequest {
            request_id: id.into(),
            household_id: hh(n),
            stage: stage as i32,
            on: Some(pb(on)),
        };
    c.advance_monitoring(advance("a11", 11, MonitoringStage::HelpAssigned, today))
        .await
        .unwrap();
    c.advance_monitoring(advance(
        "a13",
        13,
        MonitoringStage::ReturnedToPoverty,
        today,
    ))
    .await
    .unwrap();
    // A refused change (out of order) writes nothing.
    let err = c
        .advance_monitoring(advance("a10", 10, MonitoringStage::RiskEliminated, today))
        .await
        .unwrap_err();
    assert_eq!(rule_ids(&err), ["STAGE_OUT_OF_ORDER"]);

    // RemoveMember: a child of household 1, now in V2.
    c.remove_member(RemoveMemberRequest {
        request_id: "rm1".into(),
        household_id: hh(1),
        resident_id: person_id(1, 2),
        reason: RemovalReason::MovedAway as i32,
        removed_on: Some(pb(today)),
    })
    .await
    .unwrap();

    // UpsertVillage and RecordDisasterExpense count nothing the rollups keep, but run
    // through the same commit.
    c.upsert_village(UpsertVillageRequest {
        request_id: "v1".into(),
        village: Some(Village {
            village_code: V1.into(),
            name: "城关村".into(),
            poor_village: true,
            collective_income_fen: 6_000_000,
            collective_income_year: 2019,
        }),
    })
    .await
    .unwrap();
    c.record_disaster_expense(RecordDisasterExpenseRequest {
        request_id: "dx".into(),
        household_id: hh(1),
        year: today.year(),
        amount_fen: 1_000_000,
    })
    .await
    .unwrap();
    // A household already registered: the import's transaction rolls back whole.
    let err = c
        .import_households(futures::stream::iter(vec![ImportHouseholdsRequest {
            request_id: "imp-dup".into(),
            households: vec![
                household(30, V1, 2, ArchiveStatus::Poor),
                edge(3, V3, floor),
            ],
        }]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);

    assert_eq!(db.verify_rollups().await.unwrap(), []);
    rollups_equal_rows(&svc, floor, today).await;
    rpc_equals_rows(&svc, &mut c, today).await;

    // Hand-checked figures from the rollups: alerts at a cutoff on the floor are the cases
    // still identified on or before it (10, 12, 15, 2; 11 got help); three days after it,
    // also 3 and 16; today, also 14.
    let alerts = |cutoff| async move {
        let q = query("420625", 6, 2019, cutoff);
        let groups = summary::summarize(db.conn(), &q, Source::Rollups).await;
        summary::total("420625", &groups.unwrap()).monitoring_alerts
    };
    assert_eq!(alerts(floor).await, 4);
    assert_eq!(alerts(after_floor).await, 6);
    assert_eq!(alerts(today).await, 7);
    let q = query("420625", 6, 2019, today);
    let t = summary::total(
        "420625",
        &summary::summarize(db.conn(), &q, Source::Rollups)
            .await
            .unwrap(),
    );
    // Household 1 (3 people + a newborn - the removed child), 13 (returned, 2), 18, 19.
    assert_eq!((t.poor_households, t.poor_people), (4, 3 + 2 + 1 + 2));
    assert_eq!(
        (t.exited_in_year_households, t.exited_in_year_people),
        (1, 3)
    );
    // The 2014 cohort: everyone but households 17-19 (identified in 2019), the newborn
    // included (registered with the household's year).
    assert_eq!((t.baseline_people, t.baseline_removed_people), (28, 1));

    // A cutoff before the floor is answered by the rows; on the floor, by the rollups.
    assert_eq!(
        db.summary_source(&[day_before]).await.unwrap(),
        Source::Rows
    );
    assert_eq!(db.summary_source(&[floor]).await.unwrap(), Source::Rollups);
    assert_eq!(db.summary_source(&[]).await.unwrap(), Source::Rollups);
    svc.stop().await.unwrap();
}

/// The summary's parameters for `prefix` grouped by `group_len` digits, in-year figures
/// for `year` and alerts at `cutoff` (2014 cohort, the 2019 policy's village income).
fn query(prefix: &str, group_len: usize, year: i32, cutoff: NaiveDate) -> SummaryQuery {
    SummaryQuery {
        prefix: prefix.into(),
        group_len,
        year,
        baseline_year: 2014,
        alert_cutoff: cutoff,
        village_income_fen: 5_000_000,
    }
}

/// Rollups and rows agree for every prefix and level, several years and cohorts, and
/// cutoffs on the floor, after it, today and later.
async fn rollups_equal_rows(svc: &TestService, floor: NaiveDate, today: NaiveDate) {
    let db = svc.hosted.db();
    let scopes = [
        ("420625", 6),
        ("420625", 9),
        ("420625", 12),
        ("420625101", 12),
        (V1, 12),
    ];
    let cutoffs = [floor, floor + Days::new(3), today, today + Days::new(60)];
    let mut compared = 0;
    for (prefix, group_len) in scopes {
        for year in [2014, 2018, 2019, today.year()] {
            for baseline_year in [2014, 2019] {
                for cutoff in cutoffs {
                    let q = SummaryQuery {
                        baseline_year,
                        ..query(prefix, group_len, year, cutoff)
                    };
                    let rows = summary::summarize(db.conn(), &q, Source::Rows).await;
                    let rolled = summary::summarize(db.conn(), &q, Source::Rollups).await;
                    assert_eq!(rolled.unwrap(), rows.unwrap(), "{q:?}");
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, 5 * 4 * 2 * 4);
}

/// SummarizeByRegion over the wire equals the full scan with the same parameters.
async fn rpc_equals_rows(svc: &TestService, c: &mut Client, today: NaiveDate) {
    let db = svc.hosted.db();
    let policy = xk_registry::policy::load(None).unwrap();
    for (prefix, level, group_len) in [
        ("420625", RegionLevel::Township, 9),
        ("420625101", RegionLevel::Village, 12),
    ] {
        for as_of in [today, today + Days::new(45)] {
            let answer = c
                .summarize_by_region(SummarizeByRegionRequest {
                    region_prefix: prefix.into(),
                    group_by: level as i32,
                    year: 2019,
                    as_of: Some(pb(as_of)),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            let cutoff = alert_cutoff(as_of, policy.require(as_of.year(), "as_of").unwrap());
            let q = query(prefix, group_len, 2019, cutoff);
            let rows = summary::summarize(db.conn(), &q, Source::Rows)
                .await
                .unwrap();
            assert_eq!(answer.total, Some(summary::total(prefix, &rows)));
            assert_eq!(answer.groups, rows, "{prefix} as of {as_of}");
        }
    }
}

/// Counts every member row deleted from now on, in a table `member_deletes` (a trigger:
/// a save that rewrites a household's members deletes its rows first).
async fn count_member_deletes(db: &xk_runtime::Db) {
    use sea_orm::{ConnectionTrait, DbBackend};
    let statements: &[&str] = match db.backend() {
        DbBackend::Postgres => &[
            "CREATE TABLE member_deletes (household_id TEXT)",
            "CREATE FUNCTION count_member_deletes() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN INSERT INTO member_deletes VALUES (OLD.household_id); RETURN NULL; END $$",
            "CREATE TRIGGER count_member_deletes AFTER DELETE ON members FOR EACH ROW \
             EXECUTE FUNCTION count_member_deletes()",
        ],
        _ => &[
            "CREATE TABLE member_deletes (household_id TEXT)",
            "CREATE TRIGGER count_member_deletes AFTER DELETE ON members FOR EACH ROW \
             BEGIN INSERT INTO member_deletes VALUES (OLD.household_id); END",
        ],
    };
    for sql in statements {
        db.conn().execute_unprepared(sql).await.unwrap();
    }
}

/// Member rows deleted since [`count_member_deletes`].
async fn member_deletes(db: &xk_runtime::Db) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = "SELECT COUNT(*) AS n FROM member_deletes".to_string();
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(db.backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn a_change_that_leaves_the_members_as_they_were_does_not_rewrite_their_rows() {
    let svc = start().await;
    let db = svc.hosted.db();
    let mut c = client(&svc, OFFICE).await;
    create(&mut c, "m1", household(1, V1, 3, ArchiveStatus::Poor))
        .await
        .unwrap();
    count_member_deletes(db).await;

    // An income changes the document only: the member rows are left alone.
    c.record_income(RecordIncomeRequest {
        request_id: "m1-income".into(),
        household_id: hh(1),
        income: Some(Income {
            year: 2019,
            per_capita_net_income_fen: 600_000,
        }),
    })
    .await
    .unwrap();
    assert_eq!(member_deletes(db).await, 0);

    // A removal changes a member's row: the household's rows are written again.
    c.remove_member(RemoveMemberRequest {
        request_id: "m1-remove".into(),
        household_id: hh(1),
        resident_id: person_id(1, 2),
        reason: RemovalReason::MovedAway as i32,
        removed_on: Some(pb(xk_runtime::clock::today())),
    })
    .await
    .unwrap();
    assert_eq!(member_deletes(db).await, 3);
    assert!(db.verify_rollups().await.unwrap().is_empty());
}

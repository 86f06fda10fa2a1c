//! The per-village rollups (issue 16): every write RPC that can change a counted figure
//! keeps `water_current_rollup` equal to a fresh grouping of `water_current`, and the
//! summary reads the same figures from either source.

use super::*;

use chrono::Days;
use xk_runtime::ServeSettings;
use xk_runtime::rollup::Source;
use xk_water::store::summary::{self as figures, SummaryQuery};

/// A village of 石花镇 other than V2, and one of 庙滩镇, for households that move.
const V3: &str = "420625101203";
const V4: &str = "420625102201";

/// Every (prefix, level) the comparisons read: the county at each level, a township at
/// each of its levels, a village, and a county with no data.
const SCOPES: [(&str, RegionLevel); 7] = [
    ("420625", RegionLevel::County),
    ("420625", RegionLevel::Township),
    ("420625", RegionLevel::Village),
    ("420625101", RegionLevel::Township),
    ("420625101", RegionLevel::Village),
    (V1, RegionLevel::Village),
    ("420626", RegionLevel::Township),
];

/// The group key length the handler uses for `prefix` at `level` (the runtime's own
/// mapping, so the store is read exactly as the RPC reads it).
fn group_len(prefix: &str, level: RegionLevel) -> usize {
    let mut v = xk_runtime::Violations::new();
    xk_runtime::scope::summary_scope(&mut v, prefix, level as i32)
        .expect("a valid scope")
        .group_len
}

/// The store's groups for `prefix` at `level`, read from `source`.
async fn stored(
    svc: &TestService,
    prefix: &str,
    level: RegionLevel,
    source: Source,
) -> Vec<WaterCounts> {
    let q = SummaryQuery {
        prefix: prefix.into(),
        group_len: group_len(prefix, level),
    };
    figures::summarize(svc.hosted.db().conn(), &q, source)
        .await
        .unwrap()
}

/// Zero differences between the rollup and the rows, and, for every scope of [`SCOPES`],
/// the same groups from the rollup as from the rows, and the RPC answering exactly those.
async fn assert_rollups_right(svc: &TestService, c: &mut Client) {
    let mismatches = svc.hosted.db().verify_rollups().await.unwrap();
    assert!(
        mismatches.is_empty(),
        "rollups differ from rows: {mismatches:?}"
    );
    for (prefix, level) in SCOPES {
        let rows = stored(svc, prefix, level, Source::Rows).await;
        let rollups = stored(svc, prefix, level, Source::Rollups).await;
        assert_eq!(rollups, rows, "{prefix} by {level:?}");
        let answer = summarize(c, prefix, level).await;
        assert_eq!(answer.groups, rows, "RPC {prefix} by {level:?}");
        assert_eq!(answer.total, Some(figures::total(prefix, &rows)));
    }
}

/// The county's total as the RPC answers it.
async fn county(c: &mut Client) -> WaterCounts {
    summarize(c, "420625", RegionLevel::Township)
        .await
        .total
        .unwrap()
}

/// One household's assessment in an import batch.
fn batch(id: &str, assessments: Vec<Assessment>) -> ImportAssessmentsRequest {
    ImportAssessmentsRequest {
        request_id: id.into(),
        assessments,
    }
}

#[tokio::test]
async fn every_write_keeps_the_rollups_and_both_sources_agree() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    // Schemes and village areas count nothing themselves, but decide what assessments may
    // name and how they grade: driven here too, and checked after.
    create_scheme(&mut c, SCHEME, &[V1, V2, V3]).await;
    create_scheme(&mut c, "GC-SPARE", &[V4]).await;
    c.set_village_area(SetVillageAreaRequest {
        request_id: "area-v2".into(),
        village_area: Some(VillageArea {
            village_code: V2.into(),
            area: AreaType::WaterShort as i32,
        }),
    })
    .await
    .unwrap();
    assert_rollups_right(&svc, &mut c).await;
    assert_eq!(county(&mut c).await.households, 0);

    // RecordAssessment: a safe household, a basically safe one, an unsafe one.
    record(&mut c, "r1", safe("HH-1", V1, 3, SCHEME, date(2019, 6, 1)))
        .await
        .unwrap();
    record(&mut c, "r2", basic("HH-2", V2, 2, date(2019, 6, 1)))
        .await
        .unwrap();
    let mut thirsty = basic("HH-3", V1, 4, date(2019, 6, 1));
    thirsty.litres_per_person_day = Some(34);
    record(&mut c, "r3", thirsty).await.unwrap();
    assert_rollups_right(&svc, &mut c).await;
    let t = county(&mut c).await;
    assert_eq!((t.households, t.people), (3, 9));
    assert_eq!((t.unsafe_households, t.unsafe_people), (1, 4));
    assert_eq!(t.quantity_failed_households, 1);

    // An older assessment: history only, the current row and every figure unchanged.
    let mut older = basic("HH-1", V1, 3, date(2019, 3, 1));
    older.litres_per_person_day = Some(34);
    assert!(!record(&mut c, "r4", older).await.unwrap().became_current);
    // A seasonal check finding a shortage (37 outage days) in the water-short village.
    let mut dry = basic("HH-2", V2, 2, date(2019, 8, 20));
    dry.seasonal_check = true;
    dry.outage_days_last_12_months = Some(37);
    assert!(record(&mut c, "r5", dry).await.unwrap().became_current);
    // The unsafe household, re-assessed in another township's village with more people:
    // its old village loses it, its new one gains it.
    record(
        &mut c,
        "r6",
        safe("HH-3", V4, 5, "GC-SPARE", date(2019, 9, 1)),
    )
    .await
    .unwrap();
    assert_rollups_right(&svc, &mut c).await;
    let t = county(&mut c).await;
    assert_eq!((t.households, t.people), (3, 10));
    assert_eq!(
        (t.seasonal_shortage_households, t.seasonal_shortage_people),
        (1, 2)
    );
    assert_eq!(t.supply_guarantee_failed_households, 1);
    assert_eq!(t.quantity_failed_households, 0);

    // A refused write (an unregistered scheme) changes nothing.
    let err = record(
        &mut c,
        "r7",
        safe("HH-9", V1, 6, "GC-NONE", date(2019, 9, 1)),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);

    // ImportAssessments: new households across townships and re-assessments of stored ones
    // (one moving from V2 to V3, one falling unsafe), in two batches.
    let mut fresh = Vec::new();
    for n in 0..40 {
        let t = TOWNSHIPS[n % 4];
        let village = format!("{t}{:03}", 201 + n % 3);
        let id = format!("HH-I{n:03}");
        let on = date(2019, 7, 1 + (n % 20) as i32);
        fresh.push(if n % 3 == 0 {
            basic(&id, &village, 1 + (n % 5) as i32, on)
        } else {
            let mut a = basic(&id, &village, 2, on);
            a.seasonal_check = n % 2 == 0;
            a
        });
    }
    let mut moved = safe("HH-2", V3, 2, SCHEME, date(2019, 10, 1));
    moved.seasonal_check = true;
    let mut worse = basic("HH-1", V1, 3, date(2019, 10, 2));
    worse.litres_per_person_day = Some(30);
    let done = import(
        &mut c,
        vec![batch("i1", fresh), batch("i2", vec![moved, worse])],
    )
    .await
    .unwrap();
    assert_eq!(done.batches_committed, 2);
    assert_rollups_right(&svc, &mut c).await;
    let t = county(&mut c).await;
    assert_eq!(t.households, 43);
    assert_eq!(
        t.seasonal_shortage_households, 0,
        "HH-2's later check is fine"
    );
    assert_eq!((t.unsafe_households, t.unsafe_people), (1, 3));

    // UpdateScheme, and DeleteScheme of a scheme no assessment names (HH-3 names
    // GC-SPARE, so a third one, unused).
    let got = c
        .get_scheme(GetSchemeRequest {
            scheme_id: SCHEME.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .scheme
        .unwrap();
    c.update_scheme(UpdateSchemeRequest {
        request_id: "u1".into(),
        scheme: Some(Scheme {
            people_served: 25000,
            ..got
        }),
    })
    .await
    .unwrap();
    create_scheme(&mut c, "GC-UNUSED", &[V1]).await;
    c.delete_scheme(DeleteSchemeRequest {
        request_id: "d1".into(),
        scheme_id: "GC-UNUSED".into(),
    })
    .await
    .unwrap();
    assert_rollups_right(&svc, &mut c).await;
    assert_eq!(county(&mut c).await, t, "schemes count nothing");
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn the_floor_decides_the_source_and_verify_finds_a_wrong_total() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    create_scheme(&mut c, SCHEME, &[V1]).await;
    record(&mut c, "r1", safe("HH-1", V1, 3, SCHEME, date(2019, 6, 1)))
        .await
        .unwrap();
    let db = svc.hosted.db();
    let floor = db.rollups().unwrap().floor(db.conn()).await.unwrap();
    let before = floor.checked_sub_days(Days::new(1)).unwrap();
    assert_eq!(db.summary_source(&[]).await.unwrap(), Source::Rollups);
    assert_eq!(db.summary_source(&[floor]).await.unwrap(), Source::Rollups);
    assert_eq!(db.summary_source(&[before]).await.unwrap(), Source::Rows);

    // The totals merged (on PostgreSQL the writes left their deltas to the merger; verify
    // merges what is pending) and right, then changed behind the service's back: found,
    // and named by their villages.
    assert!(db.verify_rollups().await.unwrap().is_empty());
    use sea_orm::ConnectionTrait;
    db.conn()
        .execute_unprepared("UPDATE water_current_rollup SET people = people + 1")
        .await
        .unwrap();
    let found = db.verify_rollups().await.unwrap();
    let named: Vec<(&str, &str)> = found.iter().map(|m| (m.table, m.scope.as_str())).collect();
    assert_eq!(named, [("water_current_rollup", V1)]);
    // And the RPC, reading the rollup, shows it: proof the summary reads the rollup.
    assert_eq!(county(&mut c).await.people, 4);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn without_rollups_the_summary_reads_the_rows() {
    let settings = ServeSettings {
        rollups: false,
        ..ServeSettings::default()
    };
    let svc = TestService::start_with(xk_water::SPEC, settings)
        .await
        .unwrap();
    let mut c = client(&svc, BUREAU).await;
    create_scheme(&mut c, SCHEME, &[V1]).await;
    record(&mut c, "r1", safe("HH-1", V1, 3, SCHEME, date(2019, 6, 1)))
        .await
        .unwrap();
    let db = svc.hosted.db();
    assert!(db.rollups().is_none());
    assert_eq!(db.summary_source(&[]).await.unwrap(), Source::Rows);
    let t = county(&mut c).await;
    assert_eq!((t.households, t.people, t.safe_people), (1, 3, 3));
    svc.stop().await.unwrap();
}

//! The per-village rollups (issue 16): every write RPC that can change a counted figure
//! keeps `relocations_rollup` and `appraisals_rollup` equal to a fresh grouping of their
//! tables, and the summary reads the same figures from either source.

use chrono::Days;
use tonic::Code;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::housing::v1::*;
use xk_housing::store::summary as figures;
use xk_runtime::ServeSettings;
use xk_runtime::rollup::Source;

use super::*;

/// A village of 庙滩镇, where households move to by correction or re-appraisal.
const V3: &str = "420625102201";

/// Every (prefix, level) the comparisons read: the county at each level, a township at
/// each of its levels, a village, and a county with no data.
const SCOPES: [(&str, RegionLevel); 7] = [
    ("420625", RegionLevel::County),
    ("420625", RegionLevel::Township),
    ("420625", RegionLevel::Village),
    ("420625100", RegionLevel::Township),
    ("420625100", RegionLevel::Village),
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
) -> Vec<RegionCounts> {
    let conn = svc.hosted.db().conn();
    figures::summarize(conn, prefix, group_len(prefix, level), source)
        .await
        .unwrap()
}

async fn summarize(c: &mut Client, prefix: &str, level: RegionLevel) -> SummarizeByRegionResponse {
    c.summarize_by_region(SummarizeByRegionRequest {
        region_prefix: prefix.into(),
        group_by: level as i32,
    })
    .await
    .unwrap()
    .into_inner()
}

/// The county's total as the RPC answers it.
async fn county(c: &mut Client) -> RegionCounts {
    summarize(c, "420625", RegionLevel::Township)
        .await
        .total
        .unwrap()
}

/// Zero differences between the rollups and the rows, and, for every scope of [`SCOPES`],
/// the same groups from the rollups as from the rows, and the RPC answering exactly those.
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

async fn appraise(c: &mut Client, rid: &str, n: u32, village: &str, grade: Grade, on: Date) {
    c.record_appraisal(RecordAppraisalRequest {
        request_id: rid.into(),
        appraisal: Some(Appraisal {
            household_id: format!("HH{n:06}"),
            village_code: village.into(),
            grade: grade as i32,
            appraised_on: Some(on),
            appraiser: "谷城县住建局鉴定组".into(),
            renovation_completed_on: None,
        }),
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn every_write_keeps_the_rollups_and_both_sources_agree() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    // Sites count nothing themselves, but decide the move-in rule: driven here too.
    create_sites(&mut c).await;
    let central = c
        .get_site(GetSiteRequest {
            site_id: CENTRAL.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .site
        .unwrap();
    c.update_site(UpdateSiteRequest {
        request_id: "site-u".into(),
        site: Some(Site {
            name: "县城集中安置点".into(),
            ..central
        }),
    })
    .await
    .unwrap();
    assert_rollups_right(&svc, &mut c).await;

    // CreateRelocation: one household at each stage.
    create(&mut c, "c1", accepted(1, V1, CENTRAL, 3))
        .await
        .unwrap();
    create(&mut c, "c2", accepted(2, V2, SCATTERED, 2))
        .await
        .unwrap();
    create(&mut c, "c3", done(3, V1, 4, 40)).await.unwrap();
    assert_rollups_right(&svc, &mut c).await;
    let t = county(&mut c).await;
    assert_eq!((t.relocated_households, t.relocated_people), (3, 9));
    assert_eq!((t.moved_in_households, t.moved_in_people), (1, 4));
    assert_eq!(t.reclaimed_centi_mu, 40);
    let err = create(&mut c, "c1-again", accepted(1, V1, CENTRAL, 3))
        .await
        .unwrap_err();
    assert_ne!(err.code(), Code::Ok, "a household is relocated once");

    // The milestone RPCs and AddSupportMeasure take household 1 to the end.
    let before = county(&mut c).await;
    c.record_move_in(move_in(
        "m1",
        "HH000001",
        Some(date(2018, 2, 1)),
        Some(date(2018, 2, 15)),
    ))
    .await
    .unwrap();
    c.record_demolition(RecordDemolitionRequest {
        request_id: "d1".into(),
        household_id: "HH000001".into(),
        demolished_on: Some(date(2018, 6, 1)),
    })
    .await
    .unwrap();
    c.record_reclamation(RecordReclamationRequest {
        request_id: "l1".into(),
        household_id: "HH000001".into(),
        reclaimed_centi_mu: 25,
        land_type: LandType::Cultivated as i32,
        accepted_on: Some(date(2018, 9, 1)),
    })
    .await
    .unwrap();
    c.add_support_measure(AddSupportMeasureRequest {
        request_id: "s1".into(),
        household_id: "HH000001".into(),
        measure: Some(SupportMeasure {
            kind: SupportMeasureKind::Workshop as i32,
            started_on: Some(date(2018, 3, 1)),
            ended_on: None,
        }),
    })
    .await
    .unwrap();
    assert_rollups_right(&svc, &mut c).await;
    let t = county(&mut c).await;
    assert_eq!(t.moved_in_households, before.moved_in_households + 1);
    assert_eq!(t.moved_in_people, before.moved_in_people + 3);
    assert_eq!(t.demolished_households, before.demolished_households + 1);
    assert_eq!(t.reclaimed_centi_mu, before.reclaimed_centi_mu + 25);
    assert_eq!(
        t.with_support_households,
        before.with_support_households + 1
    );

    // UpdateRelocation: household 2 corrected to another township's village, with more
    // members and none employed: its old village loses it, its new one gains it.
    let mut two = get(&mut c, "HH000002").await;
    two.origin_village_code = V3.into();
    two.members = 5;
    two.employed_members = 0;
    c.update_relocation(UpdateRelocationRequest {
        request_id: "u2".into(),
        relocation: Some(two),
    })
    .await
    .unwrap();
    assert_rollups_right(&svc, &mut c).await;
    let moved = summarize(&mut c, V3, RegionLevel::Village).await;
    assert_eq!(moved.total.unwrap().relocated_people, 5);
    let t = county(&mut c).await;
    assert_eq!(t.relocated_people, 12);
    assert_eq!(t.with_employment_households, t.with_labour_households - 1);

    // ImportRelocations: two batches into two villages.
    let mut elsewhere = batch("i2", 200..210);
    for r in &mut elsewhere.relocations {
        r.origin_village_code = V2.into();
    }
    let done_ = c
        .import_relocations(futures::stream::iter(vec![
            batch("i1", 100..130),
            elsewhere,
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done_.batches_committed, 2);
    assert_rollups_right(&svc, &mut c).await;
    let t = county(&mut c).await;
    assert_eq!((t.relocated_households, t.relocated_people), (43, 92));

    // RecordAppraisal: new appraisals, a later one replacing a stored one in its village,
    // and one replacing a stored one from another village; CompleteRenovation.
    appraise(&mut c, "a10", 10, V1, Grade::A, date(2019, 4, 1)).await;
    appraise(&mut c, "a11", 11, V1, Grade::C, date(2019, 4, 1)).await;
    appraise(&mut c, "a12", 12, V2, Grade::D, date(2019, 4, 1)).await;
    assert_rollups_right(&svc, &mut c).await;
    let t = county(&mut c).await;
    assert_eq!(
        [t.appraised_a, t.appraised_b, t.appraised_c, t.appraised_d],
        [1, 0, 1, 1]
    );
    assert_eq!(t.dangerous_not_renovated, 2);
    appraise(&mut c, "a11b", 11, V1, Grade::B, date(2019, 5, 1)).await;
    appraise(&mut c, "a12b", 12, V3, Grade::D, date(2019, 5, 1)).await;
    c.complete_renovation(CompleteRenovationRequest {
        request_id: "r12".into(),
        household_id: "HH000012".into(),
        completed_on: Some(date(2019, 8, 1)),
    })
    .await
    .unwrap();
    assert_rollups_right(&svc, &mut c).await;
    let t = county(&mut c).await;
    assert_eq!(
        [t.appraised_a, t.appraised_b, t.appraised_c, t.appraised_d],
        [1, 1, 0, 1]
    );
    assert_eq!(t.dangerous_not_renovated, 0);
    let v3 = summarize(&mut c, V3, RegionLevel::Village).await;
    assert_eq!(v3.total.unwrap().appraised_d, 1, "household 12 moved");

    // DeleteSite (of a site no household is resettled at) counts nothing.
    c.create_site(CreateSiteRequest {
        request_id: "site-x".into(),
        site: Some(site("S-X", SiteType::CentralizedCountyTown)),
    })
    .await
    .unwrap();
    c.delete_site(DeleteSiteRequest {
        request_id: "site-x-del".into(),
        site_id: "S-X".into(),
    })
    .await
    .unwrap();
    assert_rollups_right(&svc, &mut c).await;
    assert_eq!(county(&mut c).await, t);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn the_floor_decides_the_source_and_verify_finds_a_wrong_total() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    create(&mut c, "c1", done(1, V1, 3, 40)).await.unwrap();
    appraise(&mut c, "a2", 2, V2, Grade::C, date(2019, 4, 1)).await;
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
    for sql in [
        "UPDATE relocations_rollup SET members = members + 1",
        "UPDATE appraisals_rollup SET n = n + 1",
    ] {
        db.conn().execute_unprepared(sql).await.unwrap();
    }
    let found = db.verify_rollups().await.unwrap();
    let named: Vec<(&str, &str)> = found.iter().map(|m| (m.table, m.scope.as_str())).collect();
    assert_eq!(
        named,
        [("relocations_rollup", V1), ("appraisals_rollup", V2)]
    );
    // And the RPC, reading the rollups, shows them: proof the summary reads the rollups.
    let t = county(&mut c).await;
    assert_eq!((t.relocated_people, t.appraised_c), (4, 2));
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn without_rollups_the_summary_reads_the_rows() {
    let settings = ServeSettings {
        rollups: false,
        ..ServeSettings::default()
    };
    let svc = TestService::start_with(xk_housing::SPEC, settings)
        .await
        .unwrap();
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    create(&mut c, "c1", done(1, V1, 3, 40)).await.unwrap();
    let db = svc.hosted.db();
    assert!(db.rollups().is_none());
    assert_eq!(db.summary_source(&[]).await.unwrap(), Source::Rows);
    let t = county(&mut c).await;
    assert_eq!((t.relocated_households, t.relocated_people), (1, 3));
    svc.stop().await.unwrap();
}

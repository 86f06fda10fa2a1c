//! The per-village rollups (issue 16) over every write that changes a summary figure:
//! Enrol, ImportEnrolments, SettleCase, ReverseCase and the re-settlement of a reversed
//! bill, under one policy book and again after a restart with another (which rebuilds the
//! person-year rollup with the new caps). After each phase the rollups verify clean, the
//! summary over the rollups equals the full scan at every prefix, level and year, and the
//! RPC answers what the full scan does.

use xiaokang::testing::TestService;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::health::v1::*;
use xk_health::store::rollups::OverCap;
use xk_health::store::summary::{self, SummaryQuery};
use xk_runtime::ServeSettings;
use xk_runtime::rollup::Source;

use super::support::*;

/// Another village of V1's township (城关镇).
const V2: &str = "420625100202";
/// A village of another township.
const V3: &str = "420625101201";
/// The prefixes and group lengths compared: county, township and village, each level.
const SCOPES: [(&str, usize); 6] = [
    ("420625", 6),
    ("420625", 9),
    ("420625", 12),
    ("420625100", 9),
    ("420625100", 12),
    (V1, 12),
];
/// The coverage years compared: before the data (and the book), with data, after it.
const YEARS: [i32; 4] = [2018, YEAR, 2020, 2021];

/// `n` enrolled in `village` for `year`, registered poor or not.
fn enrolment_in(n: u32, village: &str, poor: bool, year: i32) -> Enrolment {
    Enrolment {
        coverage_year: year,
        ..enrolment(n, village, poor)
    }
}

/// A case of person `n` for `year` (its admission `day` days into the year).
fn case_in(n: u32, inst: &str, total: i64, oop: i64, day: u32, year: i32) -> HospitalCase {
    let mut hc = hospital_case(n, inst, total, oop, day);
    if year != YEAR {
        let shift = |d: &mut Option<xk_contracts::pb::common::v1::Date>| {
            if let Some(d) = d {
                d.year = year;
            }
        };
        shift(&mut hc.admission_date);
        shift(&mut hc.discharge_date);
        hc.bill_number = format!("{}-{year}", hc.bill_number);
    }
    hc
}

/// Settles `hc`, returning the case id.
async fn settled(c: &mut Client, rid: &str, hc: HospitalCase) -> i64 {
    settle(c, rid, hc).await.unwrap().record.unwrap().case_id
}

/// Reverses case `id`.
async fn reverse(c: &mut Client, rid: &str, id: i64) {
    c.reverse_case(ReverseCaseRequest {
        request_id: rid.into(),
        case_id: id,
        reason: "billing error".into(),
    })
    .await
    .unwrap();
}

/// The summary of `year` under the prefix at a group length from the rows, then from the
/// rollups, judged by `caps`.
async fn both_sources(
    svc: &TestService,
    (prefix, group_len): (&str, usize),
    year: i32,
    caps: &OverCap,
) -> (Vec<RegionHealth>, Vec<RegionHealth>) {
    let q = SummaryQuery {
        prefix: prefix.into(),
        group_len,
        year,
        cap_fen: caps.cap_for(year),
    };
    let conn = svc.hosted.db().conn();
    let rows = summary::summarize(conn, &q, Source::Rows).await.unwrap();
    let rollups = summary::summarize(conn, &q, Source::Rollups).await.unwrap();
    (rows, rollups)
}

/// The rollups verify clean; both sources agree everywhere, judged by `book`'s caps; the
/// RPC answers what the rows do. Returns the county's total for [`YEAR`] (from the rows).
async fn check(svc: &TestService, c: &mut Client, caps: &OverCap) -> RegionHealth {
    let db = svc.hosted.db();
    assert_eq!(db.verify_rollups().await.unwrap(), []);
    assert_eq!(db.summary_source(&[]).await.unwrap(), Source::Rollups);
    let mut county = None;
    for year in YEARS {
        for (prefix, group_len) in SCOPES {
            let (rows, rollups) = both_sources(svc, (prefix, group_len), year, caps).await;
            assert_eq!(rollups, rows, "{prefix} by {group_len} in {year}");
            let level = match group_len {
                6 => RegionLevel::County,
                9 => RegionLevel::Township,
                _ => RegionLevel::Village,
            };
            let answer = c
                .summarize_by_region(SummarizeByRegionRequest {
                    region_prefix: prefix.into(),
                    group_by: level as i32,
                    coverage_year: year,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                answer.groups, rows,
                "RPC, {prefix} by {group_len} in {year}"
            );
            let total = summary::total(prefix, &rows);
            assert_eq!(answer.total.as_ref(), Some(&total));
            if (prefix, group_len, year) == ("420625", 9, YEAR) {
                county = Some(total);
            }
        }
    }
    county.unwrap()
}

#[tokio::test]
async fn every_write_keeps_the_rollups_right_under_either_book() {
    // Phase 1: a county cap of 10,000 yuan, so one person pays more than the published
    // 5,000 in county (as in tests/health_claims.rs).
    let dir = tempfile::tempdir().unwrap();
    let wide = ServeSettings {
        policy_file: Some(policy_with_cap(&dir, 1_000_000)),
        ..Default::default()
    };
    let wide_book = xk_health::policy_book(&wide).unwrap();
    let svc = TestService::start_with(xk_health::SPEC, wide)
        .await
        .unwrap();
    let mut c = client(&svc, BUREAU).await;
    upsert(&mut c, county_hospital()).await;
    upsert(&mut c, city_hospital()).await;
    // Enrol: poor and not, three villages of two townships, two years.
    enrol_poor(&mut c, [(1, V1), (2, V1), (3, V2)]).await;
    enrol(&mut c, "e4", enrolment(4, V3, false)).await.unwrap();
    enrol(&mut c, "e1-2020", enrolment_in(1, V1, true, 2020))
        .await
        .unwrap();
    // ImportEnrolments: two batches, one of them replayed.
    let batch = |id: &str, people: std::ops::Range<u32>, village: &str| ImportEnrolmentsRequest {
        request_id: id.into(),
        enrolments: people.map(|n| enrolment(n, village, n % 2 == 0)).collect(),
    };
    let batches = vec![batch("b0", 10..20, V2), batch("b1", 20..25, V3)];
    c.import_enrolments(futures::stream::iter(batches.clone()))
        .await
        .unwrap();
    c.import_enrolments(futures::stream::iter(batches))
        .await
        .unwrap();
    // SettleCase: in county over 5,000 yuan personal, out of county, small, another year.
    settled(&mut c, "s1", hospital_case(1, "CTY1", 30_000_000, 0, 10)).await;
    let out = settled(
        &mut c,
        "s2",
        hospital_case(2, "CITY1", 3_000_000, 50_000, 10),
    )
    .await;
    let small = hospital_case(3, "CTY1", 400_000, 10_000, 20);
    let first = settled(&mut c, "s3", small.clone()).await;
    settled(&mut c, "s4", hospital_case(4, "CTY1", 800_000, 0, 30)).await;
    settled(&mut c, "s5", case_in(1, "CTY1", 500_000, 0, 40, 2020)).await;
    // ReverseCase, then the reversed bill settled again; person 2 back to no cases.
    reverse(&mut c, "r3", first).await;
    let second = settled(&mut c, "s3-again", small.clone()).await;
    assert_ne!(second, first);
    reverse(&mut c, "r2", out).await;
    let t = check(&svc, &mut c, &OverCap::of_book(&wide_book)).await;
    assert_eq!(t.insured_people, 4 + 15);
    assert_eq!(t.registered_poor_insured, 3 + 8);
    assert_eq!(
        t.cases, 3,
        "persons 1, 3 (re-settled) and 4; person 2 reversed"
    );
    assert_eq!(t.people_with_cases, 3);
    assert_eq!(t.people_over_cap, 0, "nobody over 10,000 yuan");

    // Phase 2: the published book again. Its caps change the person-year rollup's
    // definition, so the restart rebuilds it; person 1 is over the cap now.
    let svc = restart(svc, &ServeSettings::default()).await;
    let mut c = client(&svc, BUREAU).await;
    let caps = OverCap::of_book(&xk_health::domain::embedded_book().unwrap());
    let t = check(&svc, &mut c, &caps).await;
    assert_eq!(t.people_over_cap, 1);
    // More writes under this book: the over-cap person's next case and its reversal, a
    // re-settlement, new enrolments.
    let more = hospital_case(1, "CTY1", 200_000, 0, 200);
    let id = settled(&mut c, "s6", more.clone()).await;
    reverse(&mut c, "r6", id).await;
    settled(&mut c, "s6-again", more).await;
    reverse(&mut c, "r3-again", second).await;
    enrol(&mut c, "e5", enrolment(5, V1, true)).await.unwrap();
    settled(&mut c, "s7", hospital_case(5, "CITY1", 600_000, 0, 50)).await;
    c.import_enrolments(futures::stream::iter(vec![batch("b2", 30..33, V1)]))
        .await
        .unwrap();
    let t = check(&svc, &mut c, &caps).await;
    assert_eq!(t.insured_people, 4 + 15 + 1 + 3);
    assert_eq!(
        t.cases, 4,
        "persons 1 (twice), 4 and 5; person 3's case reversed"
    );
    assert_eq!(t.people_with_cases, 3);
    assert_eq!(t.people_over_cap, 1);

    // A write that takes a person-year with cases away (n = −1, cases = −1) outside the
    // write path: a raw update. On PostgreSQL its deltas stay pending (as a writer's do when
    // another holds the village's lock), and summaries add them in; on SQLite its triggers
    // add it into the totals in place. The removal must count under "people with cases" as
    // the row it cancels did, so the rollups test their key, not the summed cases.
    use sea_orm::ConnectionTrait;
    let db = svc.hosted.db();
    let person_4 = format!(
        "UPDATE person_years SET cases = 0 WHERE coverage_year = {YEAR} \
         AND village_code = '{V3}' AND cases > 0"
    );
    assert_eq!(
        db.conn()
            .execute_unprepared(&person_4)
            .await
            .unwrap()
            .rows_affected(),
        1
    );
    let (rows, rollups) = both_sources(&svc, ("420625", 6), YEAR, &caps).await;
    assert_eq!((rows[0].cases, rows[0].people_with_cases), (3, 2));
    assert_eq!(rollups, rows, "the removal is counted");
    assert_eq!(db.verify_rollups().await.unwrap(), []);
    let t = check(&svc, &mut c, &caps).await;
    assert_eq!((t.cases, t.people_with_cases), (3, 2));

    // A date before the floor is answered from the rows; the floor itself from the rollups.
    let floor = db.rollups().unwrap().floor(db.conn()).await.unwrap();
    let before = floor.pred_opt().unwrap();
    assert_eq!(db.summary_source(&[before]).await.unwrap(), Source::Rows);
    assert_eq!(db.summary_source(&[floor]).await.unwrap(), Source::Rollups);
    svc.stop().await.unwrap();
}

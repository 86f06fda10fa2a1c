//! Water under kills: imports of first assessments and single re-assessments; then every
//! household's history holds each acknowledged assessment once, the latest current.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use xiaokang::testing::Bearer;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::water::v1 as wat;
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;

use super::audit::check_one_row_per_request_id;
use super::harness::{check_rollups, setup, stop};
use super::writes::{Op, Tally, run_with_kills};
use super::{ROUNDS, TOKEN, VILLAGE, kills};

/// A 基本安全 assessment of `household` in [`VILLAGE`] (the fixture's scattered well, every
/// threshold at its 基本达标 edge), assessed `day` days into 2019.
pub(crate) fn assessment(household: &str, people: i32, day: u32) -> wat::Assessment {
    let on = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap() + chrono::Days::new(day.into());
    xiaokang::fixtures::water::basic(household, VILLAGE, people, date_to_pb(on))
}

/// The water workload: rounds of one import (3 batches of first assessments) and single
/// re-assessments of households already assessed. Returns the ops and the assessment
/// dates expected per household.
pub(crate) fn water_ops(rng: &mut StdRng) -> (Vec<Op>, BTreeMap<String, Vec<u32>>) {
    let mut ops = Vec::new();
    let mut want: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut n = 0u32;
    for round in 0..ROUNDS {
        let mut batches = Vec::new();
        for b in 0..3 {
            let assessments: Vec<_> = (0..60)
                .map(|_| {
                    n += 1;
                    let id = format!("HH{n:06}");
                    want.entry(id.clone()).or_default().push(0);
                    assessment(&id, rng.random_range(1..=5), 0)
                })
                .collect();
            batches.push(wat::ImportAssessmentsRequest {
                request_id: format!("wimp-{round}-{b}"),
                assessments,
            });
        }
        ops.push(Op::ImportAssessments(batches));
        for k in 0..8 {
            let id = format!("HH{:06}", rng.random_range(1..=n));
            let days = want.get_mut(&id).unwrap();
            let day = days.last().unwrap() + 1 + rng.random_range(0..5);
            days.push(day);
            ops.push(Op::RecordAssessment(wat::RecordAssessmentRequest {
                request_id: format!("wrec-{round}-{k}"),
                assessment: Some(assessment(&id, 3, day)),
            }));
        }
    }
    (ops, want)
}

/// Runs water under kills and checks what it holds.
pub(crate) async fn water_under_kills(seed: u64) -> Tally {
    // A stream of its own ("WATER" in ASCII), so the two workloads do not mirror each other.
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0057_4154_4552);
    let (ops, want) = water_ops(&mut rng);
    let (_dir, log, db) = setup("crash-water").await;
    let (server, tally) =
        run_with_kills(xk_water::SPEC, &db.url, &log, &ops, kills(), &mut rng, seed).await;

    let ch = xiaokang::client::channel(&server.url).unwrap();
    let mut c = WaterServiceClient::with_interceptor(ch, Bearer(Some(TOKEN.into())));
    let mut assessments = 0;
    for (id, days) in &want {
        let got = c
            .get_household_water(wat::GetHouseholdWaterRequest {
                household_id: id.clone(),
            })
            .await
            .unwrap_or_else(|s| panic!("seed {seed}: {id}: {s:?}"))
            .into_inner();
        let mut dates: Vec<(i32, i32, i32)> = got
            .history
            .iter()
            .map(|a| {
                let d = a.assessed_on.unwrap();
                (d.year, d.month, d.day)
            })
            .collect();
        dates.sort();
        let want_dates: Vec<(i32, i32, i32)> = days
            .iter()
            .map(|d| {
                let a = assessment(id, 1, *d).assessed_on.unwrap();
                (a.year, a.month, a.day)
            })
            .collect();
        assert_eq!(dates, want_dates, "seed {seed}: {id} history");
        let current = got.current.expect("a current assessment");
        assert!(current.grading.is_some(), "seed {seed}: {id} graded");
        assert_eq!(
            current.assessed_on,
            assessment(id, 1, *days.last().unwrap()).assessed_on,
            "seed {seed}: {id}: the latest is current"
        );
        assessments += days.len();
    }
    let total = c
        .summarize_by_region(wat::SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .total
        .unwrap();
    assert_eq!(total.households, want.len() as i64, "seed {seed}: summary");
    stop(server).await;
    check_rollups("water", &db.url, seed).await;
    check_one_row_per_request_id(&db.url, &ops, seed).await;
    db.drop_now().await.unwrap();
    eprintln!(
        "water: {} households / {assessments} assessments",
        want.len()
    );
    tally
}

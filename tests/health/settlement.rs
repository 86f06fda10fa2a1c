//! Settlement over gRPC against the pure engine: layers, retries, reversals and their
//! rules, and concurrent settlements of one person.

use tonic::Code;
use xk_contracts::pb::health::v1::*;
use xk_health::domain;
use xk_health::domain::rules;

use super::support::*;

#[tokio::test]
async fn settlement_layers_equal_the_engine_and_retries_and_reversals_are_exact() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let e = enrol(&mut c, "e1", enrolment(1, V1, true)).await.unwrap();
    assert_eq!(e.premium_fen, 22_000, "the 2019 premium from policy.toml");
    assert_eq!(
        e.government_paid_fen, 22_000,
        "the county pays it all for the poor"
    );
    assert_eq!(e.personal_paid_fen, 0);
    assert_eq!(e.payer, PremiumPayer::Government as i32);
    assert_eq!(
        e.collection_year, 2018,
        "collected the year before coverage"
    );
    upsert(&mut c, county_hospital()).await;
    upsert(&mut c, city_hospital()).await;

    let cases = [
        hospital_case(1, "CTY1", 1_200_000, 100_000, 10),
        hospital_case(1, "CITY1", 4_000_000, 300_000, 60),
        hospital_case(1, "CTY1", 2_500_000, 0, 120),
    ];
    let mut got = Vec::new();
    for (i, hc) in cases.iter().enumerate() {
        got.push(settle(&mut c, &format!("s{i}"), hc.clone()).await.unwrap());
    }
    let policy = policy_2019();
    let engine_cases: Vec<domain::Case> = got
        .iter()
        .map(|r| engine_case(r.record.as_ref().unwrap()))
        .collect();
    assert!(!engine_cases[1].in_county && engine_cases[0].in_county);
    let (want, ytd) = domain::settle_all(&policy, &engine_cases).unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g.record.as_ref().unwrap().layers.as_ref().unwrap(),
            &layers_of(w)
        );
    }
    let t = got[2].totals.unwrap();
    assert_eq!(t.in_county_personal_fen, ytd.in_county_personal_fen);
    assert_eq!(t.serious_burden_fen, ytd.serious_burden_fen);
    assert_eq!(t.cases, 3);
    assert!(t.in_county_personal_fen <= policy.supplementary.annual_personal_cap_fen);

    // A retry with the same request id returns the first answer and settles nothing new.
    let again = settle(&mut c, "s2", cases[2].clone()).await.unwrap();
    assert_eq!(again, got[2]);
    let py = person_year(&mut c, 1).await;
    assert_eq!(py.cases.len(), 3);
    assert_eq!(py.totals.as_ref().unwrap().cases, 3);

    // Only the latest settlement can be reversed exactly.
    let first_id = got[0].record.as_ref().unwrap().case_id;
    let last_id = got[2].record.as_ref().unwrap().case_id;
    let err = c
        .reverse_case(ReverseCaseRequest {
            request_id: "r0".into(),
            case_id: first_id,
            reason: "wrong patient".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_rule(&err), rules::NOT_LATEST_CASE);
    assert_eq!(precondition_subject(&err), "case_id");
    assert!(err.message().contains("latest"), "{}", err.message());
    let rev = c
        .reverse_case(ReverseCaseRequest {
            request_id: "r2".into(),
            case_id: last_id,
            reason: "billing error".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let rec = rev.record.unwrap();
    assert_eq!(rec.kind, CaseKind::Reversal as i32);
    assert_eq!(rec.reverses_case_id, last_id);
    assert_eq!(rec.layers.unwrap().basic_fen, -want[2].basic_fen);
    // The state is back to what it was after the second case.
    assert_eq!(rev.totals.unwrap(), got[1].totals.unwrap());
    let err = c
        .reverse_case(ReverseCaseRequest {
            request_id: "r3".into(),
            case_id: last_id,
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_rule(&err), rules::ALREADY_REVERSED);
    // A reversal is not reversed in turn.
    let err = c
        .reverse_case(ReverseCaseRequest {
            request_id: "r4".into(),
            case_id: rec.case_id,
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_rule(&err), rules::NOT_A_SETTLEMENT);
    let py = person_year(&mut c, 1).await;
    assert_eq!(
        py.cases.len(),
        4,
        "3 settlements + 1 reversal, nothing overwritten"
    );
    assert!(py.cases[2].reversed);
    assert_eq!(py.totals.unwrap().cases, 2);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn concurrent_settlements_of_one_person_keep_the_annual_cumulation() {
    let (svc, mut c) = with_patient(7).await;
    upsert(
        &mut c,
        institution("TWN1", InstitutionLevel::Township, true, true),
    )
    .await;
    upsert(&mut c, city_hospital()).await;
    let insts = ["CTY1", "TWN1", "CITY1"];
    let mut tasks = Vec::new();
    for i in 0..20u32 {
        let mut c = c.clone();
        let total = 300_000 + i64::from(i) * 137_911;
        let hc = hospital_case(7, insts[(i % 3) as usize], total, total / 10, i * 7);
        tasks.push(tokio::spawn(async move {
            settle(&mut c, &format!("cc{i}"), hc).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // Re-settle the stored cases in stored order with the pure engine: same figures.
    let stored = c
        .list_cases(ListCasesRequest {
            resident_id: person_id(7),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(stored.len(), 20);
    assert!(stored.windows(2).all(|w| w[0].case_id < w[1].case_id));
    let policy = policy_2019();
    let cases: Vec<domain::Case> = stored.iter().map(engine_case).collect();
    let (want, ytd) = domain::settle_all(&policy, &cases).unwrap();
    for (s, w) in stored.iter().zip(&want) {
        assert_eq!(
            s.layers.as_ref().unwrap(),
            &layers_of(w),
            "case {}",
            s.case_id
        );
    }
    let t = person_year(&mut c, 7).await.totals.unwrap();
    assert_eq!(t.cases, 20);
    assert_eq!(t.basic_deductible_used_fen, ytd.basic_deductible_used_fen);
    assert_eq!(t.serious_burden_fen, ytd.serious_burden_fen);
    assert_eq!(t.assistance_paid_fen, ytd.assistance_paid_fen);
    assert_eq!(t.in_county_personal_fen, ytd.in_county_personal_fen);
    let sum = |f: fn(&domain::Settlement) -> i64| want.iter().map(f).sum::<i64>();
    let l = t.layers.unwrap();
    assert_eq!(l.basic_fen, sum(|s| s.basic_fen));
    assert_eq!(l.serious_illness_fen, sum(|s| s.serious_fen));
    assert_eq!(l.medical_assistance_fen, sum(|s| s.assistance_fen));
    assert_eq!(l.supplementary_fen, sum(|s| s.supplementary_fen));
    assert_eq!(l.personal_total_fen, sum(|s| s.personal_total_fen));
    assert_eq!(t.total_fen, cases.iter().map(|c| c.total_fen).sum::<i64>());
    assert!(
        t.in_county_personal_fen <= policy.supplementary.annual_personal_cap_fen,
        "the cap holds: {}",
        t.in_county_personal_fen
    );
    // The out-of-county, non-one-stop cases are exceptions.
    let ex = exceptions(&mut c).await;
    assert_eq!(ex.non_one_stop_cases.len(), 6);
    assert_eq!(ex.persons_over_cap.len(), usize::from(t.over_cap));
    svc.stop().await.unwrap();
}

//! Issue 21 over real gRPC (SQLite, or PostgreSQL with XK_TEST_DATABASE=postgres): a bill
//! settles once per institution, cases settle in arrival order whatever their discharge
//! dates, and only in-county, in-policy payments count toward the 5,000-yuan cap.

#[path = "common/health.rs"]
mod support;

use std::time::Duration;

use support::*;
use tonic::Code;
use tonic_types::StatusExt;
use xiaokang::testing::TestService;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::health::v1::*;
use xk_health::domain::{self, MAX_BILL_NUMBER_LEN};
use xk_runtime::ServeSettings;

/// Every case record of the service, in case-id order.
async fn all_cases(c: &mut Client) -> Vec<CaseRecord> {
    c.list_cases(ListCasesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .cases
}

/// `hc` with bill number `bill`.
fn billed(mut hc: HospitalCase, bill: &str) -> HospitalCase {
    hc.bill_number = bill.to_string();
    hc
}

#[tokio::test]
async fn a_bill_settles_once_per_institution_and_again_after_its_reversal() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    enrol_poor(&mut c, [(1, V1), (2, V1)]).await;
    upsert(&mut c, county_hospital()).await;
    upsert(
        &mut c,
        institution("CTY2", InstitutionLevel::County, true, true),
    )
    .await;
    let bill = "ZY2019-0001";
    let first = billed(hospital_case(1, "CTY1", 1_200_000, 100_000, 10), bill);
    let settled = settle(&mut c, "s1", first.clone()).await.unwrap();
    assert_eq!(
        settled
            .record
            .as_ref()
            .unwrap()
            .hospital_case
            .as_ref()
            .unwrap()
            .bill_number,
        bill
    );

    // The same request id replays the first answer.
    assert_eq!(settle(&mut c, "s1", first.clone()).await.unwrap(), settled);

    // The same bill under a new request id, for the same person or another, is refused
    // and writes nothing.
    let mut other_person = first.clone();
    other_person.resident_id = person_id(2);
    for (rid, hc) in [("s1-again", first.clone()), ("s1-other", other_person)] {
        let err = settle(&mut c, rid, hc).await.unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{rid}: {}", err.message());
        let info = err.get_details_resource_info().expect("ResourceInfo");
        assert_eq!(info.resource_type, "bill");
        assert_eq!(info.resource_name, format!("CTY1/{bill}"));
        assert!(
            err.message().contains("hospital_case.bill_number"),
            "{}",
            err.message()
        );
        assert!(err.message().contains(&format!(
            "case {}",
            settled.record.as_ref().unwrap().case_id
        )));
    }
    assert_eq!(all_cases(&mut c).await.len(), 1, "nothing settled twice");
    assert_eq!(
        person_year(&mut c, 1).await.totals.unwrap(),
        settled.totals.unwrap()
    );
    assert_eq!(person_year(&mut c, 2).await.totals.unwrap().cases, 0);

    // Unique per institution: another institution's bill of the same number settles.
    let elsewhere = billed(hospital_case(2, "CTY2", 300_000, 0, 20), bill);
    settle(&mut c, "s2", elsewhere).await.unwrap();

    // A bill number is required and bounded: INVALID_ARGUMENT naming it, nothing written.
    let too_long = "9".repeat(MAX_BILL_NUMBER_LEN + 1);
    for (rid, number) in [
        ("no-bill", ""),
        ("long-bill", too_long.as_str()),
        ("odd-bill", "ZY 1"),
    ] {
        let err = settle(
            &mut c,
            rid,
            billed(hospital_case(1, "CTY1", 50_000, 0, 30), number),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{rid}");
        assert_eq!(
            violated_fields(&err),
            ["hospital_case.bill_number"],
            "{rid}"
        );
    }
    assert_eq!(all_cases(&mut c).await.len(), 2);

    // A reversed bill may be settled again (the corrected bill keeps its number), once.
    let first_id = settled.record.as_ref().unwrap().case_id;
    c.reverse_case(ReverseCaseRequest {
        request_id: "r1".into(),
        case_id: first_id,
        reason: "amount corrected".into(),
    })
    .await
    .unwrap();
    let corrected = billed(hospital_case(1, "CTY1", 1_100_000, 100_000, 10), bill);
    let again = settle(&mut c, "s1-corrected", corrected.clone())
        .await
        .unwrap();
    let again_id = again.record.as_ref().unwrap().case_id;
    assert!(again_id > first_id);
    assert_eq!(again.totals.as_ref().unwrap().cases, 1);
    assert_eq!(again.totals.as_ref().unwrap().total_fen, 1_100_000);
    let err = settle(&mut c, "s1-corrected-twice", corrected)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert!(
        err.message().contains(&format!("case {again_id}")),
        "{}",
        err.message()
    );
    // Settlement, reversal, re-settlement of the bill, and the other institution's bill.
    let stored = all_cases(&mut c).await;
    let bills: Vec<(&str, &str)> = stored
        .iter()
        .map(|r| {
            let hc = r.hospital_case.as_ref().unwrap();
            (hc.institution_code.as_str(), hc.bill_number.as_str())
        })
        .collect();
    assert_eq!(
        bills,
        [
            ("CTY1", bill),
            ("CTY2", bill),
            ("CTY1", bill),
            ("CTY1", bill)
        ]
    );
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn a_late_claim_for_an_earlier_stay_settles_after_the_cases_already_settled() {
    let (svc, mut c) = with_patient(1).await;
    // October's stay arrives first, March's second.
    let october = billed(hospital_case(1, "CTY1", 1_200_000, 0, 280), "OCT");
    let march = billed(hospital_case(1, "CTY1", 800_000, 0, 60), "MAR");
    let first = settle(&mut c, "oct", october).await.unwrap();
    let second = settle(&mut c, "mar", march).await.unwrap();
    let (a, b) = (first.record.unwrap(), second.record.unwrap());
    let discharged = |r: &CaseRecord| {
        let d = r.hospital_case.as_ref().unwrap().discharge_date.unwrap();
        (d.year, d.month, d.day)
    };
    assert!(
        discharged(&b) < discharged(&a),
        "the second case left hospital first"
    );
    assert!(b.case_id > a.case_id);

    // Arrival order: the March case settled against the state October's left.
    let policy = policy_2019();
    let arrival = [engine_case(&a), engine_case(&b)];
    let (want, ytd) = domain::settle_all(&policy, &arrival).unwrap();
    assert_eq!(a.layers.unwrap(), layers_of(&want[0]));
    assert_eq!(b.layers.unwrap(), layers_of(&want[1]));
    assert_eq!(
        second.totals.unwrap().serious_burden_fen,
        ytd.serious_burden_fen
    );
    // Discharge order would have settled both differently: the order is a real choice.
    let (by_discharge, _) = domain::settle_all(&policy, &[arrival[1], arrival[0]]).unwrap();
    assert_ne!(b.layers.unwrap(), layers_of(&by_discharge[0]));

    // Reads list the cases in that (case-id) order, not by discharge date.
    let listed: Vec<i64> = person_year(&mut c, 1)
        .await
        .cases
        .iter()
        .map(|r| r.case_id)
        .collect();
    assert_eq!(listed, [a.case_id, b.case_id]);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn only_in_county_in_policy_payments_count_toward_the_cap() {
    // Cases settled while the county's cap was 10,000 yuan; then the county returns to
    // the published 5,000: who is over it now?
    let dir = tempfile::tempdir().unwrap();
    let wide = ServeSettings {
        policy_file: Some(policy_with_cap(&dir, 1_000_000)),
        ..Default::default()
    };
    let svc = TestService::start_with(xk_health::SPEC, wide)
        .await
        .unwrap();
    let mut c = client(&svc, BUREAU).await;
    enrol_poor(&mut c, [(1, V1), (2, V1)]).await;
    upsert(&mut c, county_hospital()).await;
    upsert(&mut c, city_hospital()).await;
    // Person 1 in county, person 2 out of county, each paying over 5,000 yuan in policy.
    let in_county = settle(&mut c, "c1", hospital_case(1, "CTY1", 30_000_000, 0, 10))
        .await
        .unwrap()
        .totals
        .unwrap();
    let out_of_county = settle(&mut c, "c2", hospital_case(2, "CITY1", 30_000_000, 0, 10))
        .await
        .unwrap()
        .totals
        .unwrap();
    let cap = 500_000;
    assert!(in_county.in_county_personal_fen > cap, "{in_county:?}");
    assert!(out_of_county.layers.unwrap().personal_in_policy_fen > cap);
    assert_eq!(out_of_county.in_county_personal_fen, 0);

    let svc = restart(svc, &ServeSettings::default()).await;
    let mut c = client(&svc, BUREAU).await;
    let s = summarize(&mut c, "420625", RegionLevel::Township).await;
    assert_eq!(s.total.unwrap().people_over_cap, 1, "person 1 only");
    assert_eq!(s.groups[0].people_over_cap, 1);
    let ex = exceptions(&mut c).await;
    let over: Vec<(String, i64)> = ex
        .persons_over_cap
        .iter()
        .map(|p| (p.resident_id.clone(), p.annual_personal_cap_fen))
        .collect();
    assert_eq!(over, [(person_id(1), cap)]);
    let t1 = person_year(&mut c, 1).await.totals.unwrap();
    let t2 = person_year(&mut c, 2).await.totals.unwrap();
    assert_eq!((t1.over_cap, t2.over_cap), (true, false));
    assert_eq!(t2.annual_personal_cap_fen, cap);

    // The operators' gauge counts the same person, for the latest coverage year with data.
    // Other tests of this binary host health services in the same process (one metrics
    // recorder), and each sets the gauge once at its start: this service refreshes every
    // 100 ms, so polling sees its own figures within the bound.
    let svc = restart(
        svc,
        &ServeSettings {
            gauge_interval_ms: 100,
            ..xiaokang::testing::settings_with_admin()
        },
    )
    .await;
    let admin = svc.hosted.admin_addr.expect("admin listener");
    let gauge = |body: &str, name: &str| -> Option<f64> {
        body.lines()
            .find(|l| l.starts_with(&format!("{name}{{")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let seen = loop {
        let (status, body) = xiaokang::testing::admin_get(admin, "/metrics")
            .await
            .unwrap();
        assert_eq!(status, 200);
        let seen = (
            gauge(&body, "xk_health_people_over_cap"),
            gauge(&body, "xk_health_over_cap_coverage_year"),
        );
        if seen == (Some(1.0), Some(f64::from(YEAR))) || tokio::time::Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        seen,
        (Some(1.0), Some(f64::from(YEAR))),
        "person 1 only, in {YEAR}"
    );
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn the_same_bill_sent_for_many_people_at_once_settles_once() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    upsert(&mut c, county_hospital()).await;
    const PEOPLE: u32 = 8;
    enrol_poor(&mut c, (0..PEOPLE).map(|n| (n, V1))).await;
    // Different people lock different person-years: on PostgreSQL only the unique bill
    // index stands between these transactions.
    let tasks: Vec<_> = (0..PEOPLE)
        .map(|n| {
            let mut c = c.clone();
            let hc = billed(hospital_case(n, "CTY1", 400_000, 0, 10), "RACED-1");
            tokio::spawn(async move { settle(&mut c, &format!("race{n}"), hc).await })
        })
        .collect();
    let mut settled = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => settled += 1,
            Err(e) => assert_eq!(e.code(), Code::AlreadyExists, "{}", e.message()),
        }
    }
    assert_eq!(settled, 1);
    assert_eq!(all_cases(&mut c).await.len(), 1);
    svc.stop().await.unwrap();
}

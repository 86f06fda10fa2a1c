//! The summary, the household file, exit eligibility and snapshots over the small county,
//! then with services stopped.

use std::time::{Duration, Instant};

use tonic::Code;
use xiaokang::testing::Bearer;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::water;
use xk_runtime::{Bureau, Principal};

use crate::common;
use crate::county::{County, T1, T2, YEAR, check_full_summary, child_id, date, load};
use crate::support::{agg, start_aggregator, state, summary};

#[tokio::test]
async fn summary_file_and_snapshots_over_a_small_county() {
    let county = County::start().await;
    let expected = load(&county).await;
    let aggregator = start_aggregator(county.urls(), Duration::from_secs(5)).await;
    let mut c = agg(&aggregator, Principal::Admin).await;

    let s = summary(&mut c, "420625", Some(Duration::from_secs(5))).await;
    check_full_summary(&s, &expected);

    // The sections embed the services' own answers unchanged.
    let mut wc = water::v1::water_service_client::WaterServiceClient::with_interceptor(
        county.water.channel().await.unwrap(),
        county.water.bearer(Principal::Aggregator),
    );
    let direct = wc
        .summarize_by_region(water::v1::SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Township as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let ws = s.water.clone().unwrap();
    assert_eq!(ws.total, direct.total);
    assert_eq!(ws.groups, direct.groups);

    // A township prefix narrows every section.
    let t2 = summary(&mut c, T2, None).await;
    assert_eq!(t2.registry.unwrap().total.unwrap().archive_people, 6);
    assert_eq!(
        t2.exceptions_total.unwrap().uninsured_registered_people,
        Some(4)
    );

    // Bad input.
    let err = c
        .get_summary(GetSummaryRequest {
            region_prefix: "42062".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(common::violated_fields(&err), ["region_prefix"]);

    // The household file, whole.
    let file = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "HH000001".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner()
        .file
        .unwrap();
    assert!(file.complete, "{file:?}");
    assert_eq!(file.registry.unwrap().household.unwrap().members.len(), 3);
    let students = file.education.unwrap().students;
    assert_eq!(students.len(), 1);
    assert_eq!(
        students[0].student.as_ref().unwrap().resident_id,
        child_id(1)
    );
    let people = file.health.unwrap().people;
    assert_eq!(people.len(), 3);
    assert!(people.iter().all(|p| p.enrolled));
    assert_eq!(people[0].person_year.as_ref().unwrap().cases.len(), 1);
    let housing = file.housing.unwrap();
    assert!(housing.relocation.is_some());
    assert!(housing.appraisal.is_none());
    assert!(file.water.unwrap().water.unwrap().current.is_some());
    // HH4: not insured, no relocation.
    let f4 = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "HH000004".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner()
        .file
        .unwrap();
    assert!(f4.complete);
    assert!(f4.health.unwrap().people.iter().all(|p| !p.enrolled));
    assert!(f4.housing.unwrap().relocation.is_none());
    // Exit eligibility: HH1 meets every criterion; HH4 fails four of five.
    let results = |r: CheckExitEligibilityResponse| -> Vec<(String, CriterionResult)> {
        r.criteria
            .into_iter()
            .map(|c| (c.name, CriterionResult::try_from(c.result).unwrap()))
            .collect()
    };
    let e1 = c
        .check_exit_eligibility(CheckExitEligibilityRequest {
            household_id: "HH000001".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(e1.eligible, "{e1:?}");
    assert_eq!(e1.poverty_line_fen, 321_800, "the registry's 2019 line");
    let e4 = c
        .check_exit_eligibility(CheckExitEligibilityRequest {
            household_id: "HH000004".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!e4.eligible);
    use CriterionResult::{Met, NotMet};
    assert_eq!(
        results(e4),
        [
            ("INCOME".to_string(), NotMet),
            ("EDUCATION".to_string(), NotMet),
            ("HEALTH".to_string(), NotMet),
            ("HOUSING".to_string(), Met),
            ("WATER".to_string(), NotMet),
        ]
    );
    let err = c
        .check_exit_eligibility(CheckExitEligibilityRequest {
            household_id: "HH999999".into(),
            year: YEAR,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    // Unknown and malformed ids.
    let err = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "HH999999".into(),
            year: YEAR,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "bad id with spaces".into(),
            year: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    // Snapshots: taken once per month and prefix, replayed by request id, listed.
    let mut ca = agg(&aggregator, Principal::Aggregator).await;
    let take = |rid: &str, month: &str, prefix: &str| TakeSnapshotRequest {
        request_id: rid.into(),
        month: month.into(),
        region_prefix: prefix.into(),
        group_by: 0,
    };
    let first = ca
        .take_snapshot(take("snap-1", "2019-12", "420625"))
        .await
        .unwrap()
        .into_inner()
        .snapshot
        .unwrap();
    assert_eq!(first.snapshot_id, "2019-12/420625");
    assert_eq!(first.taken_by, "aggregator");
    let snap_summary = first.summary.clone().unwrap();
    assert!(snap_summary.complete);
    assert_eq!(snap_summary.as_of, Some(date(2019, 12, 31)));
    assert_eq!(snap_summary.year, 2019);
    let replay = ca
        .take_snapshot(take("snap-1", "2019-12", "420625"))
        .await
        .unwrap()
        .into_inner()
        .snapshot
        .unwrap();
    assert_eq!(replay, first, "a retry returns the first answer");
    let dup = ca
        .take_snapshot(take("snap-2", "2019-12", "420625"))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Code::AlreadyExists);
    let reused = ca
        .take_snapshot(take("snap-1", "2020-01", "420625"))
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::AlreadyExists);
    let bad = ca
        .take_snapshot(take("snap-3", "2019-13", "420625"))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    // Admin may take one too.
    c.take_snapshot(take("snap-a", "2020-01", T1))
        .await
        .unwrap();
    ca.take_snapshot(take("snap-4", "2019-11", "420625"))
        .await
        .unwrap();
    let page1 = ca
        .list_snapshots(ListSnapshotsRequest {
            region_prefix: "420625".into(),
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = page1
        .snapshots
        .iter()
        .map(|s| s.snapshot_id.clone())
        .collect();
    assert_eq!(ids, ["2019-11/420625", "2019-12/420625"]);
    assert!(!page1.next_page_token.is_empty());
    let page2 = ca
        .list_snapshots(ListSnapshotsRequest {
            region_prefix: "420625".into(),
            page_size: 2,
            page_token: page1.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = page2
        .snapshots
        .iter()
        .map(|s| s.snapshot_id.clone())
        .collect();
    assert_eq!(ids, [format!("2020-01/{T1}")]);
    assert!(page2.next_page_token.is_empty());
    let only_t1 = ca
        .list_snapshots(ListSnapshotsRequest {
            region_prefix: T1.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(only_t1.snapshots.len(), 1);
    let got = ca
        .get_snapshot(GetSnapshotRequest {
            snapshot_id: "2019-12/420625".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .snapshot
        .unwrap();
    assert_eq!(got, first);
    let missing = ca
        .get_snapshot(GetSnapshotRequest {
            snapshot_id: "2018-01/420625".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // Auth: a bureau may neither read the aggregator nor take snapshots; no token is
    // UNAUTHENTICATED.
    let mut bureau = agg(&aggregator, Principal::Bureau(Bureau::PovertyOffice)).await;
    let err = bureau
        .take_snapshot(take("snap-b", "2019-10", "420625"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = bureau
        .get_summary(GetSummaryRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut anon = AggregatorServiceClient::with_interceptor(
        aggregator.channel().await.unwrap(),
        Bearer(None),
    );
    let err = anon
        .list_snapshots(ListSnapshotsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    // A service really stopped: its section is UNAVAILABLE, the rest still served; the
    // household file is partial; a snapshot is refused (nothing stored) until it is back.
    let County {
        registry,
        education,
        health,
        housing,
        water,
    } = county;
    water.stop().await.unwrap();
    let started = Instant::now();
    let s = summary(&mut c, "420625", Some(Duration::from_secs(2))).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!s.complete);
    assert_eq!(
        state(&s.water.as_ref().unwrap().status).0,
        SectionState::Unavailable
    );
    assert_eq!(
        s.exceptions_total.as_ref().unwrap().unsafe_water_households,
        None
    );
    assert_eq!(
        s.exceptions_total
            .as_ref()
            .unwrap()
            .uninsured_registered_people,
        Some(4)
    );
    let file = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "HH000001".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner()
        .file
        .unwrap();
    assert!(!file.complete);
    assert_eq!(
        state(&file.water.as_ref().unwrap().status).0,
        SectionState::Unavailable
    );
    assert_eq!(file.education.unwrap().students.len(), 1);
    let err = ca
        .take_snapshot(take("snap-5", "2019-10", "420625"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    let listed = ca
        .list_snapshots(ListSnapshotsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.snapshots.len(),
        3,
        "the refused snapshot wrote nothing"
    );

    // The registry stopped: the household file says which sections could not be asked.
    registry.stop().await.unwrap();
    let file = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "HH000001".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner()
        .file
        .unwrap();
    assert_eq!(
        state(&file.registry.as_ref().unwrap().status).0,
        SectionState::Unavailable
    );
    assert_eq!(
        state(&file.health.as_ref().unwrap().status).0,
        SectionState::Unavailable
    );
    assert!(file.housing.unwrap().relocation.is_some());
    // Exit eligibility still answers: without the registry neither the income nor the
    // line is known, so income is UNKNOWN and the line 0.
    let e1 = c
        .check_exit_eligibility(CheckExitEligibilityRequest {
            household_id: "HH000001".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!e1.eligible);
    assert_eq!(e1.poverty_line_fen, 0);
    assert_eq!(e1.criteria[0].name, "INCOME");
    assert_eq!(e1.criteria[0].result, CriterionResult::Unknown as i32);

    aggregator.stop().await.unwrap();
    for s in [education, health, housing] {
        s.stop().await.unwrap();
    }
}

//! Households one at a time: create, get, list, summarize, update under an etag, bad
//! input, and the policy years a request may name.

use tonic::Code;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::registry::v1::*;

use crate::common::*;
use crate::{V1, V2, V3, start};

#[tokio::test]
async fn create_get_list_and_summarize() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    // 5 poor households in V1 (3 people each), 3 exited in V2 (2 each), 1 edge in V3.
    for n in 0..5 {
        create(
            &mut c,
            &format!("c{n}"),
            household(n, V1, 3, ArchiveStatus::Poor),
        )
        .await
        .unwrap();
    }
    for n in 5..8 {
        create(
            &mut c,
            &format!("c{n}"),
            household(n, V2, 2, ArchiveStatus::Exited),
        )
        .await
        .unwrap();
    }
    let mut edge = household(8, V3, 4, ArchiveStatus::MonitoredOnly);
    edge.identified_year = 2019;
    edge.monitoring = Some(Monitoring {
        category: MonitoringCategory::Edge as i32,
        stage: MonitoringStage::Identified as i32,
        identified_on: Some(date(2019, 3, 1)),
        stage_changed_on: None,
    });
    create(&mut c, "c8", edge).await.unwrap();

    let got = c
        .get_household(GetHouseholdRequest {
            household_id: "HH000002".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    assert_eq!(got.members.len(), 3);
    assert_eq!(got.etag, "1");
    assert_eq!(
        got.members[0].registered_year, 2014,
        "defaulted to the identified year"
    );
    assert_eq!(got.timeline[0].kind, EventKind::Registered as i32);

    let poor = c
        .list_households(ListHouseholdsRequest {
            region_prefix: "420625100".into(),
            status: ArchiveStatus::Poor as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(poor.households.len(), 5);

    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Township as i32,
            year: 2019,
            as_of: Some(date(2019, 6, 1)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let t = s.total.unwrap();
    assert_eq!((t.archive_households, t.archive_people), (8, 5 * 3 + 3 * 2));
    assert_eq!((t.poor_households, t.poor_people), (5, 15));
    assert_eq!((t.exited_households, t.exited_people), (3, 6));
    assert_eq!((t.edge_households, t.edge_people), (1, 4));
    assert_eq!(t.monitored_households, 1);
    assert_eq!(
        t.monitoring_alerts, 1,
        "identified 2019-03-01, no help by 2019-06-01"
    );
    assert_eq!(
        t.baseline_people, 21,
        "2014 cohort: the archive households' members"
    );
    let townships: Vec<_> = s
        .groups
        .iter()
        .map(|g| (g.region_code.as_str(), g.archive_households))
        .collect();
    assert_eq!(townships, [("420625100", 5), ("420625101", 3)]);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn retried_create_returns_the_first_answer_and_stores_one() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    let h = household(1, V1, 2, ArchiveStatus::Poor);
    let first = create(&mut c, "same-id", h.clone()).await.unwrap();
    let again = create(&mut c, "same-id", h.clone()).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(all_ids(&mut c).await, ["HH000001"]);
    // The same id for a different request is refused, not silently replayed.
    let other = household(2, V1, 2, ArchiveStatus::Poor);
    let err = create(&mut c, "same-id", other).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    // A fresh id for the same household: the household exists.
    let err = create(&mut c, "new-id", h).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert!(
        err.message().contains("household.household_id"),
        "{}",
        err.message()
    );
    assert_eq!(all_ids(&mut c).await, ["HH000001"]);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn bad_input_is_invalid_argument_naming_the_field_and_writes_nothing() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    let mut cases: Vec<(Household, &str)> = Vec::new();
    let mut h = household(1, V1, 2, ArchiveStatus::Poor);
    h.members[1].resident_id = "340524198001010013".into();
    cases.push((h, "household.members[1].resident_id"));
    let mut h = household(1, V1, 2, ArchiveStatus::Poor);
    h.members[0].resident_id = "420625209902300011".into(); // 2099-02-30 is no date
    cases.push((h, "household.members[0].resident_id"));
    let mut h = household(1, V1, 2, ArchiveStatus::Poor);
    h.village_code = "42062510020".into();
    cases.push((h, "household.village_code"));
    let mut h = household(1, V1, 2, ArchiveStatus::Poor);
    h.incomes.push(Income {
        year: 2019,
        per_capita_net_income_fen: -5,
    });
    cases.push((h, "household.incomes[0].per_capita_net_income_fen"));
    let mut h = household(1, V1, 2, ArchiveStatus::Poor);
    h.members.clear();
    cases.push((h, "household.members"));
    let mut h = household(1, V1, 2, ArchiveStatus::Poor);
    let dup = h.members[0].clone();
    h.members.push(Member {
        relation: Relation::Other as i32,
        ..dup
    });
    cases.push((h, "household.members[2].resident_id"));
    for (i, (h, field)) in cases.into_iter().enumerate() {
        let err = create(&mut c, &format!("bad-{i}"), h).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "case {field}");
        assert!(
            violated_fields(&err).iter().any(|f| f == field),
            "case {field}: {:?}",
            violated_fields(&err)
        );
    }
    let err = c
        .list_households(ListHouseholdsRequest {
            page_size: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["page_size"]);
    let err = c
        .create_household(CreateHouseholdRequest {
            request_id: String::new(),
            household: Some(household(1, V1, 2, ArchiveStatus::Poor)),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["request_id"]);
    assert!(all_ids(&mut c).await.is_empty(), "nothing was written");
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn update_with_a_stale_etag_is_aborted() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    let created = create(&mut c, "u0", household(1, V1, 2, ArchiveStatus::Poor))
        .await
        .unwrap();
    // Read first, so an embedded service has the record in memory before it changes.
    let before = c
        .get_household(GetHouseholdRequest {
            household_id: "HH000001".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    assert_eq!(
        (before.etag.as_str(), before.village_code.as_str()),
        ("1", V1)
    );
    let mut moved = created.clone();
    moved.village_code = V2.into();
    moved.timeline.clear();
    let updated = c
        .update_household(UpdateHouseholdRequest {
            request_id: "u1".into(),
            household: Some(moved.clone()),
        })
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    assert_eq!(updated.etag, "2");
    assert_eq!(updated.village_code, V2);
    // The same change based on etag 1 again: stale.
    let err = c
        .update_household(UpdateHouseholdRequest {
            request_id: "u2".into(),
            household: Some(moved),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    let now = c
        .get_household(GetHouseholdRequest {
            household_id: "HH000001".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    assert_eq!(now.etag, "2");
    assert_eq!(
        now.village_code, V2,
        "a read after the update sees the update"
    );
    // The summary follows the move.
    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625101".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.total.unwrap().archive_households, 1);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn a_year_before_the_policy_book_is_invalid_argument_naming_the_year_field() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    // The built-in book starts in 2000.
    let mut h = household(1, V1, 2, ArchiveStatus::Poor);
    h.identified_year = 1999;
    let err = create(&mut c, "early", h).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["household.identified_year"]);
    let mut h = household(2, V1, 2, ArchiveStatus::Poor);
    h.identified_year = 1999;
    let err = c
        .import_households(futures::stream::iter(vec![ImportHouseholdsRequest {
            request_id: "early-batch".into(),
            households: vec![household(3, V1, 2, ArchiveStatus::Poor), h],
        }]))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&err),
        ["batch[0].households[1].identified_year"]
    );
    assert!(all_ids(&mut c).await.is_empty(), "nothing was written");

    let mut exited = household(4, V1, 2, ArchiveStatus::Exited);
    exited.exited_year = 2018;
    create(&mut c, "exited", exited).await.unwrap();
    let err = c
        .record_monitoring(RecordMonitoringRequest {
            request_id: "early-case".into(),
            household_id: "HH000004".into(),
            category: MonitoringCategory::UnstableExited as i32,
            identified_on: Some(date(1999, 6, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["identified_on"]);
    let err = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            as_of: Some(date(1999, 12, 31)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["as_of"]);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn every_year_the_validation_accepts_is_judged_by_a_policy() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    // 2013 pilots are accepted (the archive's first figures are from 2014).
    let mut pilot = household(1, V1, 2, ArchiveStatus::Poor);
    pilot.identified_year = 2013;
    let created = create(&mut c, "pilot", pilot).await.unwrap();
    assert_eq!(created.identified_year, 2013);
    let mut early = household(2, V1, 2, ArchiveStatus::Poor);
    early.identified_year = 2012;
    let err = create(&mut c, "too-early", early).await.unwrap_err();
    assert_eq!(violated_fields(&err), ["household.identified_year"]);
    // The first summary year a request may name.
    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            year: 2000,
            as_of: Some(date(2000, 1, 1)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.total.unwrap().identified_in_year_households, 0);
    svc.stop().await.unwrap();
}

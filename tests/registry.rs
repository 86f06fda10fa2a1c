//! The registry over real gRPC: a service on port 0 with a fresh database (SQLite, or
//! PostgreSQL with XK_TEST_DATABASE=postgres), called through the generated client.

mod common;

use common::*;
use tonic::Code;
use xiaokang::testing::TestService;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::registry::v1::*;
use xk_runtime::{Bureau, Principal};

const V1: &str = "420625100201"; // 城关镇, a village
const V2: &str = "420625101202"; // 石花镇
const V3: &str = "420625101001"; // 石花镇, a community

async fn start() -> TestService {
    TestService::start(xk_registry::SPEC).await.unwrap()
}

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

fn batch(id: &str, range: std::ops::Range<u32>) -> ImportHouseholdsRequest {
    ImportHouseholdsRequest {
        request_id: id.into(),
        households: range
            .map(|n| household(n, V1, 2, ArchiveStatus::Poor))
            .collect(),
    }
}

#[tokio::test]
async fn import_commits_batches_rejects_a_bad_one_whole_and_is_idempotent() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    let mut bad = batch("b2", 20..30);
    bad.households[3].members[0].resident_id = "11010519491231002Y".into();
    let err = c
        .import_households(futures::stream::iter(vec![
            batch("b0", 0..10),
            batch("b1", 10..20),
            bad,
        ]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&err),
        ["batch[2].households[3].members[0].resident_id"]
    );
    assert!(
        err.message().contains("2 earlier batches committed"),
        "{}",
        err.message()
    );
    assert_eq!(
        all_ids(&mut c).await.len(),
        20,
        "earlier batches stay, the bad one is not half-written"
    );

    // Re-sending the whole stream (fixed) with the same request ids: replays, then commits.
    let fixed = vec![batch("b0", 0..10), batch("b1", 10..20), batch("b2", 20..30)];
    let r = c
        .import_households(futures::stream::iter(fixed.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            r.batches_replayed,
            r.batches_committed,
            r.households_imported
        ),
        (2, 1, 10)
    );
    let r = c
        .import_households(futures::stream::iter(fixed))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((r.batches_replayed, r.batches_committed), (3, 0));
    let ids = all_ids(&mut c).await;
    assert_eq!(ids.len(), 30);
    let expected: Vec<String> = (0..30).map(|n| format!("HH{n:06}")).collect();
    assert_eq!(ids, expected, "no duplicates, key order");

    // A batch whose household already exists under a fresh request id: ALREADY_EXISTS.
    let err = c
        .import_households(futures::stream::iter(vec![batch("b9", 29..31)]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(all_ids(&mut c).await.len(), 30);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn export_streams_every_household_in_key_order() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    // More than one export chunk (500).
    let batches: Vec<_> = (0..3)
        .map(|b| batch(&format!("e{b}"), b * 400..(b + 1) * 400))
        .collect();
    c.import_households(futures::stream::iter(batches))
        .await
        .unwrap();
    let mut stream = c
        .export_households(ExportHouseholdsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut ids = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.message().await.unwrap() {
        chunks += 1;
        ids.extend(chunk.households.into_iter().map(|h| h.household_id));
    }
    assert_eq!(chunks, 3);
    let expected: Vec<String> = (0..1200).map(|n| format!("HH{n:06}")).collect();
    assert_eq!(ids, expected);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn pages_are_complete_and_tokens_bound_to_their_filter() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    c.import_households(futures::stream::iter(vec![batch("p", 0..25)]))
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = c
            .list_households(ListHouseholdsRequest {
                region_prefix: "420625".into(),
                page_size: 10,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        seen.extend(page.households.into_iter().map(|h| h.household_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        let err = c
            .list_households(ListHouseholdsRequest {
                region_prefix: "420625100".into(),
                page_size: 10,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&err), ["page_token"]);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 25);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn auth_matrix_for_a_write_and_a_read() {
    let svc = start().await;
    let h = household(1, V1, 2, ArchiveStatus::Poor);
    let write =
        |mut c: Client, id: &'static str, h: Household| async move { create(&mut c, id, h).await };
    let err = write(client_with(&svc, None).await, "a1", h.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = write(
        client_with(&svc, Some("not-a-real-token")).await,
        "a2",
        h.clone(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    for p in [
        Principal::Aggregator,
        Principal::Bureau(Bureau::Education),
        Principal::Bureau(Bureau::MedicalSecurity),
        Principal::Bureau(Bureau::Relocation),
        Principal::Bureau(Bureau::WaterResources),
    ] {
        let err = write(client(&svc, p).await, "a3", h.clone())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{p:?}");
    }
    let mut admin = client(&svc, Principal::Admin).await;
    assert!(
        all_ids(&mut admin).await.is_empty(),
        "no refused write wrote anything"
    );
    write(client(&svc, Principal::Admin).await, "a4", h.clone())
        .await
        .unwrap();
    // Reads: the office, the aggregator and admin; not another bureau.
    for p in [OFFICE, Principal::Aggregator, Principal::Admin] {
        let mut c = client(&svc, p).await;
        assert_eq!(all_ids(&mut c).await, ["HH000001"], "{p:?}");
    }
    let mut edu = client(&svc, Principal::Bureau(Bureau::Education)).await;
    let err = edu
        .get_household(GetHouseholdRequest {
            household_id: "HH000001".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
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
async fn exit_monitoring_and_removal_follow_the_rules() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create(&mut c, "x0", household(1, V1, 3, ArchiveStatus::Poor))
        .await
        .unwrap();
    let exit = |year| RecordExitRequest {
        request_id: format!("exit-{year}"),
        household_id: "HH000001".into(),
        exit_year: year,
        exited_on: Some(date(2019, 12, 1)),
    };
    let err = c.record_exit(exit(2019)).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "no income recorded");
    c.record_income(RecordIncomeRequest {
        request_id: "inc".into(),
        household_id: "HH000001".into(),
        income: Some(Income {
            year: 2019,
            per_capita_net_income_fen: 500_000,
        }),
    })
    .await
    .unwrap();
    let h = c
        .record_exit(exit(2019))
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    assert_eq!(
        (h.status, h.exited_year),
        (ArchiveStatus::Exited as i32, 2019)
    );
    let h = c
        .record_monitoring(RecordMonitoringRequest {
            request_id: "mon".into(),
            household_id: "HH000001".into(),
            category: MonitoringCategory::UnstableExited as i32,
            identified_on: Some(date(2020, 3, 1)),
        })
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    assert!(h.monitoring.is_some());
    let err = c
        .advance_monitoring(AdvanceMonitoringRequest {
            request_id: "adv-bad".into(),
            household_id: "HH000001".into(),
            stage: MonitoringStage::RiskEliminated as i32,
            on: Some(date(2020, 4, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let child = person_id(1, 2);
    let h = c
        .remove_member(RemoveMemberRequest {
            request_id: "rm".into(),
            household_id: "HH000001".into(),
            resident_id: child,
            reason: RemovalReason::MovedAway as i32,
            removed_on: Some(date(2020, 5, 1)),
        })
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    assert_eq!(
        h.members.iter().filter(|m| m.removed_on.is_none()).count(),
        2
    );
    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            year: 2019,
            as_of: Some(date(2020, 3, 10)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .total
        .unwrap();
    assert_eq!(
        (s.exited_in_year_households, s.exited_in_year_people),
        (1, 2)
    );
    assert_eq!(
        (s.unstable_exited_households, s.unstable_exited_people),
        (1, 2)
    );
    assert_eq!((s.baseline_people, s.baseline_removed_people), (3, 1));
    assert_eq!(s.monitoring_alerts, 0, "only 9 days at 'identified'");
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn villages_count_by_kind_and_income() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    let villages = [
        (V1, true, 6_000_000),
        (V2, true, 4_000_000),
        ("420625100202", false, 0),
        (V3, false, 0),
    ];
    for (i, (code, poor, income)) in villages.into_iter().enumerate() {
        c.upsert_village(UpsertVillageRequest {
            request_id: format!("v{i}"),
            village: Some(Village {
                village_code: code.into(),
                name: "盛𡐓村".into(),
                poor_village: poor,
                collective_income_fen: income,
                collective_income_year: 2019,
            }),
        })
        .await
        .unwrap();
    }
    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            year: 2019,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .total
        .unwrap();
    assert_eq!(
        (
            s.villages,
            s.communities,
            s.poor_villages,
            s.poor_villages_income_met
        ),
        (3, 1, 2, 1)
    );
    let listed = c
        .list_villages(ListVillagesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.villages.len(), 4);
    assert_eq!(
        listed.villages[0].name, "盛𡐓村",
        "supplementary-plane characters survive the round trip"
    );
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn health_reflection_and_graceful_shutdown() {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let svc = start().await;
    let channel = svc.channel().await.unwrap();
    let mut health = HealthClient::new(channel.clone());
    let status = health
        .check(HealthCheckRequest {
            service: xk_registry::SPEC.grpc_name.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(
        status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    // Reflection lists the service without a token.
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut refl = ServerReflectionClient::new(channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut resp = refl
        .server_reflection_info(futures::stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let msg = resp.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = msg.message_response else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&xk_registry::SPEC.grpc_name.to_string()),
        "{names:?}"
    );

    // Watch health, then shut down: NOT_SERVING arrives before the server goes away.
    let mut watch = health
        .watch(HealthCheckRequest {
            service: xk_registry::SPEC.grpc_name.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap().status;
    assert_eq!(
        first,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    let stopping = tokio::spawn(svc.stop());
    let next = watch.message().await.unwrap().unwrap().status;
    assert_eq!(
        next,
        tonic_health::pb::health_check_response::ServingStatus::NotServing as i32
    );
    // The watch is an in-flight call: once the client lets go, shutdown completes at once.
    drop(watch);
    drop(health);
    drop(refl);
    drop(channel);
    tokio::time::timeout(std::time::Duration::from_secs(5), stopping)
        .await
        .expect("graceful shutdown finishes once calls end")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn every_write_leaves_one_audit_row_and_a_replay_none() {
    use sea_orm::{ConnectionTrait, Statement};
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create(&mut c, "audit-1", household(1, V1, 2, ArchiveStatus::Poor))
        .await
        .unwrap();
    create(&mut c, "audit-1", household(1, V1, 2, ArchiveStatus::Poor))
        .await
        .unwrap();
    let mut admin = client(&svc, Principal::Admin).await;
    admin
        .record_income(RecordIncomeRequest {
            request_id: "audit-2".into(),
            household_id: "HH000001".into(),
            income: Some(Income {
                year: 2019,
                per_capita_net_income_fen: 400_000,
            }),
        })
        .await
        .unwrap();
    // A refused write leaves no row.
    let mut edu = client(&svc, Principal::Bureau(Bureau::Education)).await;
    assert!(
        create(
            &mut edu,
            "audit-3",
            household(2, V1, 1, ArchiveStatus::Poor)
        )
        .await
        .is_err()
    );

    let db = sea_orm::Database::connect(svc.database.url.replace("?mode=rwc", ""))
        .await
        .unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT principal, request_id, method, target FROM audit_log ORDER BY id",
        ))
        .await
        .unwrap();
    let got: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
                r.try_get_by_index(2).unwrap(),
                r.try_get_by_index(3).unwrap(),
            )
        })
        .collect();
    let want = [
        ("poverty-office", "audit-1", "CreateHousehold", "HH000001"),
        ("admin", "audit-2", "RecordIncome", "HH000001"),
    ];
    let got_ref: Vec<(&str, &str, &str, &str)> = got
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    assert_eq!(got_ref, want);
    db.close().await.unwrap();
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn past_the_concurrency_limit_calls_are_shed_and_write_nothing() {
    let settings = xk_runtime::ServeSettings {
        concurrency_limit: 1,
        ..Default::default()
    };
    let svc = TestService::start_with(xk_registry::SPEC, settings)
        .await
        .unwrap();
    let base = client(&svc, OFFICE).await;
    // Twenty imports of 500 households each, all at once: one at a time is served.
    let calls = (0..20u32).map(|k| {
        let mut c = base.clone();
        async move {
            let b = batch(&format!("shed-{k}"), k * 500..(k + 1) * 500);
            c.import_households(futures::stream::iter(vec![b])).await
        }
    });
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let shed = results
        .iter()
        .filter(|r| matches!(r, Err(s) if s.code() == Code::ResourceExhausted))
        .count();
    assert!(ok >= 1, "some calls are served");
    assert!(shed >= 1, "some calls are shed at once");
    assert_eq!(ok + shed, 20, "nothing else happens: {results:?}");
    let mut c = client(&svc, OFFICE).await;
    assert_eq!(
        all_ids(&mut c).await.len(),
        ok * 500,
        "shed calls wrote nothing"
    );
    svc.stop().await.unwrap();
}

//! The service as the runtime serves it: the auth matrix, health, reflection, graceful
//! shutdown, and the audit log.

use tonic::Code;
use xk_contracts::pb::registry::v1::*;
use xk_runtime::{Bureau, Principal};

use crate::common::*;
use crate::{V1, start};

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

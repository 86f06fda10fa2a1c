//! Health is exempt from load shedding: it answers SERVING while other calls are shed.

use std::time::{Duration, Instant};

use tokio_stream::wrappers::ReceiverStream;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use xiaokang::testing::TestService;
use xk_contracts::pb::registry::v1::{
    ArchiveStatus, ImportHouseholdsRequest, ListHouseholdsRequest,
};
use xk_runtime::ServeSettings;

use super::{VILLAGE, common};

/// With the concurrency limit taken by one long call, other calls are shed with
/// RESOURCE_EXHAUSTED while health answers SERVING within 100 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_serving_while_the_service_sheds() {
    let settings = ServeSettings {
        concurrency_limit: 1,
        ..ServeSettings::default()
    };
    let svc = TestService::start_with(xk_registry::SPEC, settings)
        .await
        .unwrap();
    let mut registry = common::client(&svc, common::OFFICE).await;
    let batch = ImportHouseholdsRequest {
        request_id: "limits-shed-0".into(),
        households: vec![common::household(1, VILLAGE, 2, ArchiveStatus::Poor)],
    };
    let (release, released) = tokio::sync::watch::channel(false);
    let mut importer = registry.clone();
    let long_call = tokio::spawn(async move {
        loop {
            let (tx, rx) = tokio::sync::mpsc::channel(1);
            tx.send(batch.clone()).await.unwrap();
            let mut released = released.clone();
            let hold = tokio::spawn(async move {
                let _ = released.wait_for(|r| *r).await;
                drop(tx);
            });
            match importer.import_households(ReceiverStream::new(rx)).await {
                // Shed itself by a list call below that held the slot at that moment.
                Err(s) if s.code() == tonic::Code::ResourceExhausted => hold.abort(),
                other => return other,
            }
        }
    });

    // The open import holds the only slot: other calls are shed.
    let shedding_by = Instant::now() + Duration::from_secs(10);
    let shed = loop {
        let outcome = registry
            .list_households(ListHouseholdsRequest {
                region_prefix: VILLAGE.into(),
                page_size: 10,
                ..Default::default()
            })
            .await;
        match outcome {
            Err(s) if s.code() == tonic::Code::ResourceExhausted => break s,
            _ if Instant::now() > shedding_by => panic!("never shed: {outcome:?}"),
            // Leave the importer room to take the slot.
            _ => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    };
    assert!(shed.message().contains("overloaded"), "{shed:?}");

    let mut health = HealthClient::new(svc.channel().await.unwrap());
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let asked = Instant::now();
        let answer = health
            .check(HealthCheckRequest {
                service: xk_registry::SPEC.grpc_name.into(),
            })
            .await
            .expect("health is not shed");
        slowest = slowest.max(asked.elapsed());
        assert_eq!(answer.into_inner().status, ServingStatus::Serving as i32);
    }
    assert!(
        slowest < Duration::from_millis(100),
        "slowest health answer {slowest:?}"
    );
    // Still shedding: health went around the limit, not through a freed slot.
    let still = registry
        .list_households(ListHouseholdsRequest {
            region_prefix: VILLAGE.into(),
            page_size: 10,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(still.code(), tonic::Code::ResourceExhausted);

    let _ = release.send(true);
    let imported = long_call.await.unwrap().unwrap().into_inner();
    assert_eq!(imported.households_imported, 1);
    svc.stop().await.unwrap();
}

//! The bounded write and read queues (issue 15): past its queue's depth a call is refused
//! at once with RESOURCE_EXHAUSTED and writes nothing, a full write queue leaves reads
//! admitted, an admitted call that cannot start within the wait bound is refused, and
//! health answers SERVING while both queues are full.
//!
//! A call is held in its queue without sleeps or test hooks: it is sent as a client
//! stream on a unary method's path, and the stream is left open with no message, so the
//! handler waits for its request inside its running slot until the test lets it go.

use std::time::{Duration, Instant};

use prost::bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use xiaokang::testing::TestService;
use xk_contracts::pb::registry::v1::{ArchiveStatus, GetHouseholdRequest, ListHouseholdsRequest};
use xk_runtime::ServeSettings;
use xk_runtime::shed::CallClass;

use super::{VILLAGE, common};

/// How fast a refusal at a full queue must come back: a correctness bound (no waiting
/// for a slot), not a benchmark.
const REFUSED_WITHIN: Duration = Duration::from_millis(50);

/// A registry service with the given queue bounds (writes, reads, wait).
async fn start(write: (usize, usize), read: (usize, usize), wait_ms: u64) -> TestService {
    let settings = ServeSettings {
        write_queue_depth: write.0,
        write_concurrency: write.1,
        read_queue_depth: read.0,
        read_concurrency: read.1,
        queue_wait_ms: wait_ms,
        ..ServeSettings::default()
    };
    TestService::start_with(xk_registry::SPEC, settings)
        .await
        .unwrap()
}

/// A call of `method` held open in its queue; dropping the sender lets it end.
struct Held {
    open: mpsc::Sender<Bytes>,
    call: JoinHandle<Result<Bytes, tonic::Status>>,
}

/// Starts a call of the registry's `method` as the office and leaves it waiting for its
/// request.
async fn hold(svc: &TestService, method: &str) -> Held {
    let path = format!("/{}/{method}", xk_registry::SPEC.grpc_name);
    let token = svc.tokens[&common::OFFICE].clone();
    let mut grpc = tonic::client::Grpc::new(svc.channel().await.unwrap());
    let (open, rx) = mpsc::channel::<Bytes>(1);
    let call = tokio::spawn(async move {
        grpc.ready()
            .await
            .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        let mut req = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
        req.metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let path = http::uri::PathAndQuery::try_from(path).unwrap();
        grpc.client_streaming(req, path, common::raw::RawCodec)
            .await
            .map(tonic::Response::into_inner)
    });
    Held { open, call }
}

/// Waits until `class`'s queue holds `admitted` calls of which `running` run.
async fn until_queued(svc: &TestService, class: CallClass, admitted: usize, running: usize) {
    let queue = svc.hosted.queues().queue(class);
    let by = Instant::now() + Duration::from_secs(10);
    while (queue.admitted(), queue.running()) != (admitted, running) {
        assert!(
            Instant::now() < by,
            "{class:?} queue holds {} ({} running), wanted {admitted} ({running})",
            queue.admitted(),
            queue.running()
        );
        tokio::task::yield_now().await;
    }
}

/// Lets the held calls go and waits for them to end (none wrote: none had a request).
async fn release(held: Vec<Held>) {
    for Held { open, call } in held {
        drop(open);
        let ended = call.await.unwrap();
        assert!(ended.is_err(), "a held call without a request answered");
    }
}

fn list_request() -> ListHouseholdsRequest {
    ListHouseholdsRequest {
        region_prefix: VILLAGE.into(),
        page_size: 10,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_past_a_full_queue_is_refused_at_once_and_writes_nothing() {
    let svc = start((2, 2), (8, 8), 10_000).await;
    let mut c = common::client(&svc, common::OFFICE).await;
    let held = vec![
        hold(&svc, "CreateHousehold").await,
        hold(&svc, "CreateHousehold").await,
    ];
    until_queued(&svc, CallClass::Write, 2, 2).await;

    let asked = Instant::now();
    let household = common::household(1, VILLAGE, 2, ArchiveStatus::Poor);
    let refused = common::create(&mut c, "queue-full-1", household.clone())
        .await
        .unwrap_err();
    let took = asked.elapsed();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused.message().contains("write queue is full"),
        "{refused:?}"
    );
    assert!(took < REFUSED_WITHIN, "refused after {took:?}");

    // Reads have a queue of their own: admitted while the write queue is full.
    let page = c
        .list_households(list_request())
        .await
        .unwrap()
        .into_inner();
    assert!(page.households.is_empty(), "{page:?}");
    let missing = c
        .get_household(GetHouseholdRequest {
            household_id: "HH000001".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "a read reached its handler");

    release(held).await;
    until_queued(&svc, CallClass::Write, 0, 0).await;
    // The refused write left no household, no request id and no audit row.
    assert!(common::all_ids(&mut c).await.is_empty());
    for table in ["audit_log", "idempotency_keys"] {
        assert_eq!(
            common::count_rows(&svc.database.url, table).await,
            0,
            "{table}"
        );
    }
    // Its request id was never claimed: sent again, it is written now.
    let created = common::create(&mut c, "queue-full-1", household)
        .await
        .unwrap();
    assert_eq!(common::all_ids(&mut c).await, [created.household_id]);
    svc.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admitted_write_that_cannot_start_within_the_wait_bound_is_refused() {
    let wait = Duration::from_millis(150);
    let svc = start((4, 1), (8, 8), wait.as_millis() as u64).await;
    let mut c = common::client(&svc, common::OFFICE).await;
    let held = vec![hold(&svc, "CreateHousehold").await];
    until_queued(&svc, CallClass::Write, 1, 1).await;

    let asked = Instant::now();
    let household = common::household(2, VILLAGE, 2, ArchiveStatus::Poor);
    let refused = common::create(&mut c, "queue-wait-1", household)
        .await
        .unwrap_err();
    let took = asked.elapsed();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused
            .message()
            .contains("no write slot free within 150 ms"),
        "{refused:?}"
    );
    // It was admitted (the queue had room) and waited the bound, not the held call out.
    assert!(took >= wait, "refused after {took:?}, before the bound");
    assert!(took < Duration::from_secs(5), "refused after {took:?}");
    assert!(
        !held[0].call.is_finished(),
        "the running call is still held"
    );

    release(held).await;
    assert!(common::all_ids(&mut c).await.is_empty());
    assert_eq!(
        common::count_rows(&svc.database.url, "idempotency_keys").await,
        0
    );
    svc.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_serving_while_both_queues_are_full() {
    let svc = start((1, 1), (1, 1), 10_000).await;
    let mut c = common::client(&svc, common::OFFICE).await;
    let held = vec![
        hold(&svc, "CreateHousehold").await,
        hold(&svc, "GetHousehold").await,
    ];
    until_queued(&svc, CallClass::Write, 1, 1).await;
    until_queued(&svc, CallClass::Read, 1, 1).await;

    let asked = Instant::now();
    let read = c.list_households(list_request()).await.unwrap_err();
    assert!(asked.elapsed() < REFUSED_WITHIN, "{:?}", asked.elapsed());
    assert_eq!(read.code(), Code::ResourceExhausted, "{read:?}");
    assert!(read.message().contains("read queue is full"), "{read:?}");
    let household = common::household(3, VILLAGE, 2, ArchiveStatus::Poor);
    let write = common::create(&mut c, "queue-both-1", household)
        .await
        .unwrap_err();
    assert_eq!(write.code(), Code::ResourceExhausted, "{write:?}");

    let mut health = HealthClient::new(svc.channel().await.unwrap());
    for service in ["", xk_registry::SPEC.grpc_name] {
        let asked = Instant::now();
        let answer = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health is never queued");
        assert!(
            asked.elapsed() < Duration::from_millis(100),
            "{:?}",
            asked.elapsed()
        );
        assert_eq!(answer.into_inner().status, ServingStatus::Serving as i32);
    }
    // Both queues are still full: health went around them, not through a freed slot.
    until_queued(&svc, CallClass::Write, 1, 1).await;
    until_queued(&svc, CallClass::Read, 1, 1).await;

    release(held).await;
    svc.stop().await.unwrap();
}

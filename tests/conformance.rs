//! gRPC conformance cases adapted from the official interop test descriptions
//! (grpc/grpc doc/interop-test-descriptions.md), run against the registry on port 0:
//!
//! | interop case | here |
//! |---|---|
//! | unimplemented_method / unimplemented_service | an unknown method of a known service, and an unknown service, answer UNIMPLEMENTED |
//! | cancel_after_begin / cancel_after_first_response | an import cancelled before its first batch writes nothing; cancelled midway keeps the committed batches and nothing of the batch in flight is half-written |
//! | timeout_on_sleeping_server | a 1 ms deadline on a call the server cannot finish is DEADLINE_EXCEEDED |
//! | custom_metadata | `x-request-id` sent comes back on the answer, on success and on error; one is made up when none is sent |
//! | special_status_message | a violation naming 盛 and 𡐓 (outside the BMP) arrives intact |
//! | (load) | 1,000 concurrent calls on one channel all succeed or are shed with RESOURCE_EXHAUSTED, never anything else |

mod common;

use std::time::Duration;

use common::*;
use futures::StreamExt;
use prost::bytes::Bytes;
use tonic::Code;
use tonic_types::StatusExt;
use xiaokang::testing::TestService;
use xk_contracts::pb::registry::v1::*;
use xk_runtime::Principal;

/// The village the fixtures live in (城关镇).
const V1: &str = "420625100201";

async fn start() -> TestService {
    TestService::start(xk_registry::SPEC).await.unwrap()
}

/// A batch of households `range` in V1, two people each.
fn batch(id: &str, range: std::ops::Range<u32>) -> ImportHouseholdsRequest {
    ImportHouseholdsRequest {
        request_id: id.into(),
        households: range
            .map(|n| household(n, V1, 2, ArchiveStatus::Poor))
            .collect(),
    }
}

#[tokio::test]
async fn unknown_method_and_unknown_service_are_unimplemented() {
    let svc = start().await;
    let md = [(
        "authorization",
        format!("Bearer {}", svc.tokens[&Principal::Admin]),
    )];
    for path in [
        "/xiaokang.registry.v1.RegistryService/NoSuchMethod",
        "/xiaokang.nosuch.v1.NoSuchService/GetThing",
        "/grpc.testing.TestService/UnimplementedCall",
    ] {
        for streaming in [false, true] {
            let err = common::raw::call(
                svc.channel().await.unwrap(),
                path,
                streaming,
                streaming,
                vec![Bytes::new()],
                &md,
                None,
            )
            .await
            .expect_err(path);
            assert_eq!(err.code(), Code::Unimplemented, "{path}: {err:?}");
        }
    }
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn a_cancelled_import_keeps_whole_batches_only() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;

    // cancel_after_begin: the stream opens, the client cancels before any batch.
    let (tx, rx) = tokio::sync::mpsc::channel::<ImportHouseholdsRequest>(4);
    let mut c2 = c.clone();
    let call = tokio::spawn(async move {
        c2.import_households(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    tokio::task::yield_now().await;
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    drop(tx);
    assert!(all_ids(&mut c).await.is_empty(), "nothing written");

    // cancel midway: batch A is sent and seen committed, then batch B (large) is handed
    // to the transport and the call is cancelled at once.
    let (tx, rx) = tokio::sync::mpsc::channel::<ImportHouseholdsRequest>(4);
    let mut c2 = c.clone();
    let call = tokio::spawn(async move {
        c2.import_households(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    tx.send(batch("cancel-a", 0..50)).await.unwrap();
    // Batch A commits on its own (each batch is a transaction): wait for its rows.
    let mut seen = 0;
    for _ in 0..2000 {
        seen = all_ids(&mut c).await.len();
        if seen == 50 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(seen, 50, "batch A committed before the cancel");
    tx.send(batch("cancel-b", 1000..4000)).await.unwrap();
    call.abort();
    let _ = call.await;
    drop(tx);
    let ids = all_ids(&mut c).await;
    let of_b = ids.iter().filter(|id| id.as_str() >= "HH001000").count();
    assert!(
        of_b == 0 || of_b == 3000,
        "batch B is whole or absent, got {of_b} of 3000"
    );
    // A retry of the whole import with the same request_ids completes it exactly once.
    let r = c
        .import_households(tokio_stream::iter(vec![
            batch("cancel-a", 0..50),
            batch("cancel-b", 1000..4000),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.batches_committed + r.batches_replayed, 2);
    assert!(r.batches_replayed >= 1, "batch A is a replay: {r:?}");
    assert_eq!(all_ids(&mut c).await.len(), 3050);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn a_1ms_deadline_is_deadline_exceeded() {
    // The server's side: its cap is 1 ms (XK_MAX_CALL_MS=1) and the client allows far
    // more, so the answer is the server's own DEADLINE_EXCEEDED, not a client give-up.
    let settings = xk_runtime::ServeSettings {
        max_call_ms: 1,
        ..Default::default()
    };
    let svc = TestService::start_with(xk_registry::SPEC, settings)
        .await
        .unwrap();
    let mut c = client(&svc, OFFICE).await;
    // A client stream that never ends: the server cannot answer before the deadline.
    let never_ends =
        || futures::stream::iter(vec![batch("late-0", 0..1)]).chain(futures::stream::pending());
    let mut req = tonic::Request::new(never_ends());
    req.set_timeout(Duration::from_secs(10));
    let err = c.import_households(req).await.unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err:?}");
    // The client's side: a 1 ms grpc-timeout. tonic's client enforces it too and reports
    // its own expiry as CANCELLED "Timeout expired"; whichever side fires first, the call
    // ends in time and is never answered otherwise.
    let svc2 = start().await;
    let mut c2 = client(&svc2, OFFICE).await;
    let started = std::time::Instant::now();
    let mut req = tonic::Request::new(never_ends());
    req.set_timeout(Duration::from_millis(1));
    let err = c2.import_households(req).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        err.code() == Code::DeadlineExceeded
            || (err.code() == Code::Cancelled && err.message() == "Timeout expired"),
        "{err:?}"
    );
    // A unary read with 1 ms either answers or runs out the clock; nothing else.
    for _ in 0..20 {
        let mut req = tonic::Request::new(ListHouseholdsRequest::default());
        req.set_timeout(Duration::from_millis(1));
        if let Err(e) = c2.list_households(req).await {
            assert!(
                matches!(e.code(), Code::DeadlineExceeded | Code::Cancelled),
                "{e:?}"
            );
        }
    }
    // The one batch sent raced the deadline: it is whole (one household) or absent.
    // Counted in the databases: the first service answers nothing within its 1 ms cap
    // when the machine is busy.
    drop((c, c2));
    for s in [&svc, &svc2] {
        let n = count_rows(&s.database.url, "households").await;
        assert!(n <= 1, "{n}");
    }
    svc.stop().await.unwrap();
    svc2.stop().await.unwrap();
}

#[tokio::test]
async fn x_request_id_round_trips_on_success_and_error() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    let mut req = tonic::Request::new(ListHouseholdsRequest::default());
    req.metadata_mut()
        .insert("x-request-id", "conformance-ok-42".parse().unwrap());
    let resp = c.list_households(req).await.unwrap();
    assert_eq!(
        resp.metadata().get("x-request-id").unwrap(),
        "conformance-ok-42"
    );
    let mut req = tonic::Request::new(GetHouseholdRequest {
        household_id: "HH999999".into(),
    });
    req.metadata_mut()
        .insert("x-request-id", "conformance-err-43".parse().unwrap());
    let err = c.get_household(req).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        err.metadata().get("x-request-id").unwrap(),
        "conformance-err-43"
    );
    // None sent: the server makes one up, so its logs and the caller can correlate.
    let resp = c
        .list_households(ListHouseholdsRequest::default())
        .await
        .unwrap();
    let made_up = resp.metadata().get("x-request-id").expect("an id");
    assert!(!made_up.is_empty());
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn a_unicode_violation_arrives_intact() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    let mut h = household(1, V1, 1, ArchiveStatus::Poor);
    h.household_id = "HH盛01".into();
    h.village_code = "42062510020𡐓".into();
    let err = create(&mut c, "unicode-1", h).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let br = err.get_details_bad_request().expect("BadRequest details");
    let desc = |field: &str| {
        br.field_violations
            .iter()
            .find(|v| v.field == field)
            .unwrap_or_else(|| panic!("no violation for {field}: {br:?}"))
            .description
            .clone()
    };
    assert!(desc("household.household_id").contains("'盛'"), "{br:?}");
    assert!(desc("household.village_code").contains("'𡐓'"), "{br:?}");
    // The status message is readable text too (percent-decoded by the client).
    assert!(!err.message().contains('%'), "{}", err.message());
    assert!(all_ids(&mut c).await.is_empty());
    svc.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_on_one_channel() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create(&mut c, "one", household(1, V1, 3, ArchiveStatus::Poor))
        .await
        .unwrap();
    let calls = (0..1000).map(|_| {
        let mut c = c.clone();
        async move {
            c.get_household(GetHouseholdRequest {
                household_id: "HH000001".into(),
            })
            .await
        }
    });
    let results = futures::future::join_all(calls).await;
    let ok = results
        .iter()
        .filter(
            |r| matches!(r, Ok(h) if h.get_ref().household.as_ref().unwrap().members.len() == 3),
        )
        .count();
    let shed = results
        .iter()
        .filter(|r| matches!(r, Err(s) if s.code() == Code::ResourceExhausted))
        .count();
    eprintln!("1,000 concurrent calls: {ok} answered, {shed} shed");
    assert_eq!(ok + shed, 1000, "nothing but answers and sheds");
    // At least the reads that run at once are served; the rest of the read queue is
    // served too unless it waits past the wait bound.
    let running = xk_runtime::ServeSettings::default().read_concurrency;
    assert!(ok >= running, "at least {running} reads are served: {ok}");
    svc.stop().await.unwrap();
}

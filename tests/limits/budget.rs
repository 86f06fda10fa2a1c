//! The byte budget: streams that each hold a message just under the limit are admitted up
//! to the budget and refused past it, and the server's RSS stays within it; the suite's own
//! loaders' batches fit the default message size.

use std::time::{Duration, Instant};

use prost::Message;
use prost::bytes::Bytes;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Channel, Endpoint};
use xk_contracts::pb::registry::v1::{ArchiveStatus, ImportHouseholdsRequest};

use super::child::{ServeChild, rss_of};
use super::common;
use super::common::raw::RawCodec;
use super::{TOKEN, VILLAGE};

/// The default largest message (XK_MAX_MESSAGE_BYTES) the budget test runs under.
const MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// Each large message: just under the limit.
const LARGE_MESSAGE: usize = MAX_MESSAGE - 4096;
/// The default budgets: 64 MiB per service, two largest messages per connection.
const SERVICE_BUDGET: usize = 64 * 1024 * 1024;
/// How far above its baseline the server's RSS may stay after the burst (measured: +7 MiB).
const FALLBACK_SLACK: u64 = 16 * 1024 * 1024;
/// Path of the registry's client-streaming import.
const IMPORT_PATH: &str = "/xiaokang.registry.v1.RegistryService/ImportHouseholds";

const MIB: f64 = 1024.0 * 1024.0;

/// An ImportHouseholds batch of one valid household, padded with an unknown field (which
/// the server decodes and drops) to exactly `size` bytes.
fn big_import(n: u32, size: usize) -> Bytes {
    let batch = ImportHouseholdsRequest {
        request_id: format!("limits-import-{n}"),
        households: vec![common::household(n, VILLAGE, 1, ArchiveStatus::Poor)],
    };
    let mut bytes = batch.encode_to_vec();
    // Field 1000, length-delimited: tag varint, length varint, payload.
    let tag = (1000u64 << 3) | 2;
    let mut payload = size - bytes.len() - prost::encoding::encoded_len_varint(tag);
    payload -= prost::encoding::encoded_len_varint(payload as u64);
    prost::encoding::encode_varint(tag, &mut bytes);
    prost::encoding::encode_varint(payload as u64, &mut bytes);
    bytes.resize(bytes.len() + payload, b'x');
    assert_eq!(bytes.len(), size);
    Bytes::from(bytes)
}

/// Opens a client-streaming import on `channel` that sends `first` and then stays open
/// until `release` fires; resolves to the call's outcome.
async fn held_import(
    channel: Channel,
    first: Bytes,
    release: tokio::sync::watch::Receiver<bool>,
) -> Result<Bytes, tonic::Status> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    tx.send(first).await.unwrap();
    tokio::spawn(async move {
        let mut release = release;
        let _ = release.wait_for(|r| *r).await;
        drop(tx);
    });
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let mut req = tonic::Request::new(ReceiverStream::new(rx));
    req.metadata_mut()
        .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
    grpc.client_streaming(req, IMPORT_PATH.parse().unwrap(), RawCodec)
        .await
        .map(tonic::Response::into_inner)
}

/// 27 import streams (9 connections x 3) each send one message just under 4 MiB and stay
/// open: the default budgets admit 16 (64 MiB per service, 2 per connection) and refuse
/// the rest with RESOURCE_EXHAUSTED; the server's RSS stays within the budget plus a
/// margin while they are held, and falls back once they end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_stays_within_the_byte_budget_and_calls_past_it_are_refused() {
    // Every held import runs (none waits in the write queue, whose default runs 16), so
    // what refuses the calls past the budget is the budget.
    let queue = [
        ("XK_WRITE_QUEUE_DEPTH", "32".to_string()),
        ("XK_WRITE_CONCURRENCY", "32".to_string()),
    ];
    let server = ServeChild::start(&queue, None).await;
    // Warm up the paths a held import takes (connection, auth, a database write).
    let warm = Endpoint::from_shared(server.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let (_, never) = tokio::sync::watch::channel(true);
    held_import(warm, big_import(1_000, 1_000), never)
        .await
        .unwrap();
    let baseline = server.rss();

    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(baseline));
    let sampler = {
        let peak = peak.clone();
        let pid = server.pid;
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_of(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    let (release, released) = tokio::sync::watch::channel(false);
    let mut calls = tokio::task::JoinSet::new();
    for conn in 0..9u32 {
        let channel = Endpoint::from_shared(server.url.clone())
            .unwrap()
            .connect()
            .await
            .unwrap();
        for k in 0..3u32 {
            let message = big_import(conn * 3 + k, LARGE_MESSAGE);
            calls.spawn(held_import(channel.clone(), message, released.clone()));
        }
    }
    // The refused calls end on their own; the admitted ones stay open until released.
    let mut refused = Vec::new();
    let waiting = Instant::now();
    while refused.len() < 11 && waiting.elapsed() < Duration::from_secs(30) {
        match tokio::time::timeout(Duration::from_secs(30), calls.join_next()).await {
            Ok(Some(outcome)) => refused.push(outcome.unwrap().expect_err("held calls stay open")),
            _ => break,
        }
    }
    let held_rss = server.rss();
    let _ = release.send(true);
    let mut admitted = 0;
    while let Some(outcome) = calls.join_next().await {
        match outcome.unwrap() {
            Ok(_) => admitted += 1,
            Err(status) => refused.push(status),
        }
    }
    let peak_rss = peak.load(std::sync::atomic::Ordering::Relaxed);
    sampler.abort();

    assert_eq!(
        admitted, 16,
        "64 MiB admits 16 messages of {LARGE_MESSAGE} bytes"
    );
    assert_eq!(refused.len(), 11);
    for status in &refused {
        assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    }
    let by_connection = refused
        .iter()
        .filter(|s| s.message().contains("XK_CONNECTION_BUDGET_BYTES"))
        .count();
    let by_service = refused
        .iter()
        .filter(|s| s.message().contains("XK_REQUEST_BUDGET_BYTES"))
        .count();
    // Every connection that got two admitted refused its third; the service budget (16)
    // is two short of what the connections would admit (18).
    assert!(
        by_connection >= 7,
        "{by_connection} refused by the connection budget"
    );
    assert!(
        by_service >= 2,
        "{by_service} refused by the service budget"
    );

    // Falls back: freed buffers go back to the system.
    let after_deadline = Instant::now() + Duration::from_secs(10);
    let mut after = server.rss();
    while after > baseline + FALLBACK_SLACK && Instant::now() < after_deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = server.rss();
    }
    eprintln!(
        "RSS: baseline {:.1} MiB, held {:.1} MiB, peak {:.1} MiB, after {:.1} MiB \
         (budget {:.0} MiB; {} admitted, {} refused: {} by connection, {} by service)",
        baseline as f64 / MIB,
        held_rss as f64 / MIB,
        peak_rss as f64 / MIB,
        after as f64 / MIB,
        SERVICE_BUDGET as f64 / MIB,
        admitted,
        refused.len(),
        by_connection,
        by_service,
    );
    // Measured: +63 MiB held for 16 admitted messages of ~4 MiB (the decoder buffers);
    // the margin covers HTTP/2 buffers of the refused streams and allocator slack.
    let margin = SERVICE_BUDGET as u64 + 32 * 1024 * 1024;
    assert!(
        peak_rss - baseline <= margin,
        "peak RSS grew {:.1} MiB over the baseline; allowed {:.1} MiB",
        (peak_rss - baseline) as f64 / MIB,
        margin as f64 / MIB
    );
    assert!(
        after <= baseline + FALLBACK_SLACK,
        "RSS {:.1} MiB after the burst vs {:.1} MiB before",
        after as f64 / MIB,
        baseline as f64 / MIB
    );
}

/// The largest batches the suite's own loaders send fit the default 4 MiB message limit:
/// the demo sends 1,000 households per import batch, `xiaokang bench registry` 2,000.
#[test]
fn the_loaders_batches_fit_the_default_message_size() {
    let county = xiaokang::demo::County::generate(
        xiaokang::demo::DEFAULT_SEED,
        xiaokang::demo::county_today(),
    );
    let largest = county
        .households
        .chunks(2_000)
        .map(|chunk| {
            ImportHouseholdsRequest {
                request_id: "demo-420625-households-0000".into(),
                households: chunk.to_vec(),
            }
            .encoded_len()
        })
        .max()
        .unwrap();
    eprintln!("largest 2,000-household batch of the demo county: {largest} bytes");
    assert!(largest < MAX_MESSAGE / 4, "{largest} bytes");
    assert_eq!(MAX_MESSAGE, xk_runtime::settings::DEFAULT_MAX_MESSAGE_BYTES);
}

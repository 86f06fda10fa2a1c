//! Hardening against hostile clients (issue 19): the byte budget, connection limits and
//! timeouts, the accept loop under a file-descriptor shortage, and health exempt from
//! load shedding.
//!
//! Where a figure is per process (RSS, CPU, open files) the test runs the real
//! `xiaokang serve registry` as a child process, as tests/crash.rs does, and reads
//! /proc/<pid>; the rest host the service in-process on port 0.
//!
//! Module map: [`ServeChild`] (the child process and its /proc figures), [`big_import`]
//! (an import batch padded to just under the message limit), then the tests.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use prost::Message;
use prost::bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use xiaokang::testing::{TestDatabase, TestService};
use xk_contracts::pb::registry::v1::{
    ArchiveStatus, ImportHouseholdsRequest, ListHouseholdsRequest,
};
use xk_runtime::ServeSettings;

use common::raw::RawCodec;

/// The admin token of the child processes (the server needs >= 16 characters).
const TOKEN: &str = "limits-test-token-0123456789";
/// A village of 城关镇.
const VILLAGE: &str = "420625100201";
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

/// `xiaokang serve registry` as a child process over a fresh database.
struct ServeChild {
    /// Killed on drop.
    _child: tokio::process::Child,
    pid: u32,
    url: String,
    log: PathBuf,
    _database: TestDatabase,
    _dir: tempfile::TempDir,
}

impl ServeChild {
    /// Starts it with extra `XK_*` variables, under an open-files limit when given
    /// (`prlimit` execs the server, so the pid is the server's), and waits for health.
    async fn start(env: &[(&str, String)], open_files: Option<u32>) -> ServeChild {
        let dir = tempfile::tempdir().unwrap();
        let database = TestDatabase::create("limits").await.unwrap();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let log = dir.path().join("serve.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let bin = env!("CARGO_BIN_EXE_xiaokang");
        let mut cmd = match open_files {
            Some(n) => {
                let mut c = tokio::process::Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg("--").arg(bin);
                c
            }
            None => tokio::process::Command::new(bin),
        };
        cmd.args(["serve", "registry", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database-url")
            .arg(&database.url)
            .env_remove("XK_TOKENS_FILE")
            .env("XK_TOKEN_ADMIN", TOKEN)
            .env("RUST_LOG", "warn")
            // Logs go to stdout, panics to stderr.
            .stdout(Stdio::from(log_file.try_clone().unwrap()))
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("the xiaokang binary starts");
        let pid = child.id().unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let grpc_name = xk_registry::SPEC.grpc_name;
        if let Err(e) =
            xk_runtime::server::wait_until_serving(&url, grpc_name, Duration::from_secs(30)).await
        {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("registry did not become SERVING: {e:#}\nlog:\n{tail}");
        }
        ServeChild {
            _child: child,
            pid,
            url,
            log,
            _database: database,
            _dir: dir,
        }
    }

    /// Resident set size now, in bytes.
    fn rss(&self) -> u64 {
        rss_of(self.pid)
    }

    /// CPU time used so far (user + system), in seconds.
    fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap();
        // Fields after the command name (which may hold spaces): state is field 3,
        // utime and stime are fields 14 and 15.
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // USER_HZ is 100 on Linux.
        ticks as f64 / 100.0
    }

    /// The server's log so far, without terminal colour codes.
    fn log_text(&self) -> String {
        let raw = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut plain = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // CSI: ESC [ parameters final-letter.
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                plain.push(c);
            }
        }
        plain
    }
}

fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

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
    let server = ServeChild::start(&[], None).await;
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

/// Reads `stream` until the server closes it (EOF or reset); `true` if it did by
/// `deadline`.
async fn closed_by(stream: &mut TcpStream, deadline: tokio::time::Instant) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // The server's HTTP/2 SETTINGS.
            Ok(Ok(_)) => continue,
        }
    }
}

/// 400 idle connections against a server limited to 256 open files: accepting fails with
/// EMFILE, the accept loop backs off (no busy loop), says so in the log naming the limit,
/// closes the idle connections after the handshake timeout, and serves a new client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_past_the_fd_limit_are_closed_without_spinning() {
    let env = [
        ("XK_HANDSHAKE_TIMEOUT_MS", "1000".to_string()),
        ("XK_IDLE_TIMEOUT_MS", "1000".to_string()),
        // Above the open-files limit, so accepting runs out of descriptors first.
        ("XK_MAX_CONNECTIONS", "1000".to_string()),
    ];
    let server = ServeChild::start(&env, Some(256)).await;
    let started = tokio::time::Instant::now();
    let mut idle = Vec::new();
    for n in 0..400 {
        let mut stream = TcpStream::connect(server.url.trim_start_matches("http://"))
            .await
            .unwrap();
        if n % 2 == 0 {
            // Half send the HTTP/2 client preface and then nothing.
            stream
                .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
                .await
                .unwrap();
        }
        idle.push(stream);
    }
    let cpu_before = server.cpu_seconds();
    let window = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let cpu_share = (server.cpu_seconds() - cpu_before) / window.elapsed().as_secs_f64();

    let health_started = Instant::now();
    xk_runtime::server::wait_until_serving(
        &server.url,
        xk_registry::SPEC.grpc_name,
        Duration::from_secs(20),
    )
    .await
    .expect("a new client is served");
    let health_after = health_started.elapsed();

    let deadline = started + Duration::from_secs(20);
    let mut closed = 0;
    for stream in &mut idle {
        if closed_by(stream, deadline).await {
            closed += 1;
        }
    }
    let all_closed_after = started.elapsed();
    let log = server.log_text();
    eprintln!(
        "CPU {:.0}% while out of descriptors; new client served after {:?}; {closed}/400 idle \
         connections closed after {:?}",
        cpu_share * 100.0,
        health_after,
        all_closed_after
    );
    assert!(
        cpu_share < 0.25,
        "the accept loop spins: {:.0}% CPU",
        cpu_share * 100.0
    );
    assert_eq!(closed, 400, "every idle connection is closed");
    assert!(
        log.contains("accept failed") && log.contains("open_files_limit=256"),
        "the log names the limit:\n{log}"
    );
    assert!(log.contains("out_of_file_descriptors=true"), "{log}");
}

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

/// Past `max_connections` a new connection is accepted and closed at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_are_closed_at_once() {
    let settings = ServeSettings {
        max_connections: 3,
        ..ServeSettings::default()
    };
    let svc = TestService::start_with(xk_registry::SPEC, settings)
        .await
        .unwrap();
    let mut streams = Vec::new();
    for _ in 0..6 {
        streams.push(TcpStream::connect(svc.hosted.addr).await.unwrap());
    }
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1000);
    let mut closed = 0;
    for stream in &mut streams {
        if closed_by(stream, deadline).await {
            closed += 1;
        }
    }
    // The health connection of the start helper may still be counted while it closes.
    assert!((3..=4).contains(&closed), "{closed} of 6 closed at once");
    drop(streams);
    svc.stop().await.unwrap();
}

/// A connection without calls is closed after the idle (here: handshake) timeout, while a
/// connection carrying a long call (a health watch) stays open past it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_close_but_calls_in_flight_keep_theirs() {
    let settings = ServeSettings {
        handshake_timeout_ms: 300,
        idle_timeout_ms: 300,
        shutdown_grace_ms: 300,
        ..ServeSettings::default()
    };
    let svc = TestService::start_with(xk_registry::SPEC, settings)
        .await
        .unwrap();
    let mut silent = TcpStream::connect(svc.hosted.addr).await.unwrap();
    let mut health = HealthClient::new(svc.channel().await.unwrap());
    let mut watch = health
        .watch(HealthCheckRequest {
            service: xk_registry::SPEC.grpc_name.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let first: HealthCheckResponse = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::Serving as i32);

    let opened = Instant::now();
    assert!(
        closed_by(
            &mut silent,
            tokio::time::Instant::now() + Duration::from_secs(3)
        )
        .await
    );
    let silent_closed_after = opened.elapsed();
    assert!(
        silent_closed_after < Duration::from_secs(2),
        "{silent_closed_after:?}"
    );
    // Three idle periods later the watch's connection is still there: shutting down
    // reaches it as NOT_SERVING.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let stopping = tokio::spawn(svc.stop());
    let next = watch
        .message()
        .await
        .expect("the watch survived the idle timeout");
    assert_eq!(next.unwrap().status, ServingStatus::NotServing as i32);
    stopping.await.unwrap().unwrap();
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

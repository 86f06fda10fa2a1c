//! Replicas behind one name: two water services on 127.0.0.2 and 127.0.0.3 (same port,
//! one shared database) that a resolve file maps `water.test.invalid` to, and the
//! aggregator pointed at `http://water.test.invalid:PORT`. Under a steady stream of
//! GetSummary calls both replicas get calls; one is stopped mid-load and every call still
//! has its water section; a third address added to the file starts getting calls.
//!
//! Runs on SQLite (two services on one WAL-mode file, as two processes would be) and on
//! PostgreSQL (XK_TEST_DATABASE=postgres).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;
use tonic::service::Routes;
use xiaokang::testing::{Bearer, TestDatabase, TestService, test_tokens};
use xk_aggregator::Upstream;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::{GetSummaryRequest, SectionState};
use xk_runtime::{Db, HostedService, Principal, ServeSettings};

/// The name the replicas share.
const WATER_NAME: &str = "water.test.invalid";
/// How often the aggregator re-reads the resolve file here.
const RESOLVE_EVERY: Duration = Duration::from_millis(100);
/// The method the aggregator calls on water for a summary.
const SUMMARIES: &str = "/SummarizeByRegion";
/// Longest any awaited condition may take (a bound, not a sleep).
const PATIENCE: Duration = Duration::from_secs(20);

/// Counts the calls of one method (path suffix) a replica receives: its own count, in
/// front of the runtime's layers.
#[derive(Clone)]
struct CountCalls {
    method: &'static str,
    calls: Arc<AtomicU64>,
}

impl<S> tower::Layer<S> for CountCalls {
    type Service = Counted<S>;
    fn layer(&self, inner: S) -> Counted<S> {
        Counted {
            inner,
            method: self.method,
            calls: self.calls.clone(),
        }
    }
}

#[derive(Clone)]
struct Counted<S> {
    inner: S,
    method: &'static str,
    calls: Arc<AtomicU64>,
}

impl<S, B> tower::Service<http::Request<B>> for Counted<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> S::Future {
        if req.uri().path().ends_with(self.method) {
            self.calls.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.call(req)
    }
}

/// One water replica and its call count.
struct Replica {
    hosted: HostedService,
    calls: Arc<AtomicU64>,
}

impl Replica {
    /// Serves water on `listener` over the database at `url` (shared by every replica),
    /// counting the calls of `method` (`/SummarizeByRegion`).
    async fn start(listener: TcpListener, url: &str, method: &'static str) -> Replica {
        let settings = ServeSettings::default();
        let db = Db::connect(url, settings.db_pool).await.unwrap();
        let routes = xiaokang::suite::routes_for(xk_water::SPEC, db.clone(), &settings)
            .await
            .unwrap();
        let calls = Arc::new(AtomicU64::new(0));
        let routes = Routes::from(routes.into_axum_router().layer(CountCalls {
            method,
            calls: calls.clone(),
        }));
        let hosted = xk_runtime::start_service(
            xk_water::SPEC,
            routes,
            db,
            &settings,
            test_tokens().0,
            listener,
        )
        .await
        .unwrap();
        xk_runtime::server::wait_until_serving(
            &hosted.url(),
            xk_water::SPEC.grpc_name,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        Replica { hosted, calls }
    }

    fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

/// Listeners on 127.0.0.2, .3 and .4 with one port: one `name:PORT` reaches them all.
async fn same_port_listeners() -> [TcpListener; 3] {
    for _ in 0..20 {
        let first = TcpListener::bind("127.0.0.2:0").await.unwrap();
        let port = first.local_addr().unwrap().port();
        let bind =
            |last: u8| TcpListener::bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), port)));
        if let (Ok(second), Ok(third)) = (bind(3).await, bind(4).await) {
            return [first, second, third];
        }
    }
    panic!("no port free on 127.0.0.2, .3 and .4 in 20 tries");
}

/// Replaces the resolve file in one step (the aggregator never reads half of it).
fn write_hosts(path: &Path, lines: &[&str]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, lines.join("\n") + "\n").unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// What the GetSummary stream saw.
#[derive(Default)]
struct Seen {
    /// Calls answered with the water section available.
    ok: AtomicU64,
    /// Anything else, described.
    failures: Mutex<Vec<String>>,
}

impl Seen {
    fn ok(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
    }
    fn failures(&self) -> Vec<String> {
        self.failures.lock().unwrap().clone()
    }
}

/// Waits until `cond` holds, polling, at most [`PATIENCE`].
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "not within {PATIENCE:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_behind_one_name_share_calls_survive_a_loss_and_gain_a_newcomer() {
    let [l2, l3, l4] = same_port_listeners().await;
    let port = l2.local_addr().unwrap().port();
    let water_db = TestDatabase::create("water").await.unwrap();
    let replica2 = Replica::start(l2, &water_db.url, SUMMARIES).await;
    let replica3 = Replica::start(l3, &water_db.url, SUMMARIES).await;

    let (registry, education, health, housing) = tokio::join!(
        TestService::start(xk_registry::SPEC),
        TestService::start(xk_education::SPEC),
        TestService::start(xk_health::SPEC),
        TestService::start(xk_housing::SPEC),
    );
    let (registry, education, health, housing) = (
        registry.unwrap(),
        education.unwrap(),
        health.unwrap(),
        housing.unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    write_hosts(
        &hosts,
        &[
            "# the water Service's endpoints",
            "127.0.0.2 water.test.invalid",
            "127.0.0.3 water.test.invalid",
        ],
    );
    let tokens = test_tokens().1;
    let mut upstream = Upstream::single(
        [
            registry.hosted.url(),
            education.hosted.url(),
            health.hosted.url(),
            housing.hosted.url(),
            format!("http://{WATER_NAME}:{port}"),
        ],
        tokens[&Principal::Aggregator].clone(),
    );
    upstream.resolve.file = Some(hosts.clone());
    upstream.resolve.interval = RESOLVE_EVERY;
    let aggregator = TestService::start_aggregator(upstream).await.unwrap();

    // A steady stream: two callers, one GetSummary after another.
    let seen = Arc::new(Seen::default());
    let stop = Arc::new(AtomicBool::new(false));
    let channel = aggregator.channel().await.unwrap();
    let mut callers = Vec::new();
    for _ in 0..2 {
        let mut client = AggregatorServiceClient::with_interceptor(
            channel.clone(),
            Bearer(Some(tokens[&Principal::Admin].clone())),
        );
        let (seen, stop) = (seen.clone(), stop.clone());
        callers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let answer = client
                    .get_summary(GetSummaryRequest {
                        region_prefix: "420625".into(),
                        ..Default::default()
                    })
                    .await;
                let water = answer.as_ref().map(|a| {
                    a.get_ref()
                        .summary
                        .as_ref()
                        .and_then(|s| s.water.as_ref())
                        .and_then(|w| w.status.as_ref())
                        .map(|s| (s.state, format!("{s:?}")))
                });
                match water {
                    Ok(Some((state, _))) if state == SectionState::Available as i32 => {
                        seen.ok.fetch_add(1, Ordering::Relaxed);
                    }
                    other => seen.failures.lock().unwrap().push(format!("{other:?}")),
                }
            }
        }));
    }

    // Both replicas get calls, spread per call rather than pinned to one connection.
    until("both replicas answer 20 calls each", || {
        replica2.calls() >= 20 && replica3.calls() >= 20
    })
    .await;
    let (two, three) = (replica2.calls(), replica3.calls());
    assert!(
        two.min(three) * 3 >= two.max(three),
        "calls are spread across both replicas: {two} vs {three}"
    );

    // One replica stops mid-load; its address stays in the file (as a dead pod's may for
    // a while): every call still gets its water section from the other.
    let ok_at_loss = seen.ok();
    let two_at_loss = replica2.calls();
    let Replica {
        hosted: hosted3,
        calls: calls3,
    } = replica3;
    hosted3.shutdown().await.unwrap();
    let three_after_loss = calls3.load(Ordering::Relaxed);
    until("40 more calls after the loss", || {
        seen.ok() >= ok_at_loss + 40
    })
    .await;
    assert_eq!(
        seen.failures(),
        Vec::<String>::new(),
        "no call lost its water section"
    );
    // Calls the two callers had in flight on the stopping replica finish there.
    assert!(
        replica2.calls() + 2 >= two_at_loss + 40,
        "the live replica took the calls: {} at the loss, {} now",
        two_at_loss,
        replica2.calls()
    );
    assert_eq!(
        calls3.load(Ordering::Relaxed),
        three_after_loss,
        "the stopped replica got nothing more"
    );

    // A third replica appears in the file: it gets calls within a few refreshes.
    let replica4 = Replica::start(l4, &water_db.url, SUMMARIES).await;
    write_hosts(
        &hosts,
        &[
            "127.0.0.2 water.test.invalid",
            "127.0.0.3 water.test.invalid",
            "127.0.0.4 water.test.invalid",
        ],
    );
    let added_at = Instant::now();
    until("the new replica answers a call", || replica4.calls() >= 1).await;
    let noticed_after = added_at.elapsed();
    assert!(
        noticed_after < RESOLVE_EVERY * 30,
        "a new address is used within a few refreshes, took {noticed_after:?}"
    );
    until("the new replica keeps getting calls", || {
        replica4.calls() >= 5
    })
    .await;

    stop.store(true, Ordering::Relaxed);
    for c in callers {
        c.await.unwrap();
    }
    assert_eq!(
        seen.failures(),
        Vec::<String>::new(),
        "no call lost its water section"
    );
    assert!(seen.ok() >= ok_at_loss + 40);

    aggregator.stop().await.unwrap();
    replica2.hosted.shutdown().await.unwrap();
    replica4.hosted.shutdown().await.unwrap();
    for s in [registry, education, health, housing] {
        s.stop().await.unwrap();
    }
    water_db.drop_now().await.unwrap();
}

/// The load tester's client does the same: one connection to `water.test.invalid`
/// spreads its RecordAssessment calls over both replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_tester_spreads_its_calls_over_every_replica_of_a_name() {
    use xiaokang::loadtest::engine::Load;
    use xiaokang::loadtest::mix::Mix;
    use xiaokang::loadtest::{Config, Quiet};

    const ASSESSMENTS: u64 = 40;
    let [l2, l3, _] = same_port_listeners().await;
    let port = l2.local_addr().unwrap().port();
    let water_db = TestDatabase::create("water").await.unwrap();
    let replica2 = Replica::start(l2, &water_db.url, "/RecordAssessment").await;
    let replica3 = Replica::start(l3, &water_db.url, "/RecordAssessment").await;
    let registry = TestService::start(xk_registry::SPEC).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    write_hosts(
        &hosts,
        &[
            "127.0.0.2 water.test.invalid",
            "127.0.0.3 water.test.invalid",
        ],
    );
    let cfg = Config {
        addrs: xiaokang::client::SuiteAddrs {
            urls: std::collections::HashMap::from([
                ("registry", registry.hosted.url()),
                ("water", format!("http://{WATER_NAME}:{port}")),
            ]),
        },
        tokens: test_tokens().1,
        mix: Mix::parse("assess=1").unwrap(),
        load: Load::Concurrency(2),
        // The count ends the run, not the clock.
        duration: Duration::from_secs(300),
        max_requests: ASSESSMENTS,
        timeout: Duration::from_secs(30),
        connections: 1,
        households: 10,
        max_in_flight: 64,
        step: None,
        watch_pids: vec![],
        run_id: xiaokang::loadtest::new_run_id(),
        resolve: xk_aggregator::resolve::ResolveSettings {
            file: Some(hosts),
            interval: RESOLVE_EVERY,
        },
    };
    let report = xiaokang::loadtest::run(&cfg, &Quiet).await.unwrap();
    let run = report.run.expect("a single phase");
    assert_eq!((run.calls, run.errors), (ASSESSMENTS, 0));
    let (two, three) = (replica2.calls(), replica3.calls());
    assert_eq!(
        two + three,
        ASSESSMENTS,
        "every assessment reached a replica once"
    );
    assert!(
        two.min(three) * 3 >= two.max(three),
        "one connection's calls are spread over both replicas: {two} vs {three}"
    );

    replica2.hosted.shutdown().await.unwrap();
    replica3.hosted.shutdown().await.unwrap();
    registry.stop().await.unwrap();
    water_db.drop_now().await.unwrap();
}

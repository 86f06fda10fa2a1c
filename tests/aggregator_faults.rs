//! Fault injection between the aggregator and one service: a proxy in front of the water
//! service answers the first N calls of each method with an injected status and forwards
//! the rest. What `tests/aggregator.rs` does not already cover (it covers a dead service,
//! a black hole that runs out the deadline, and a dead endpoint among several):
//!
//! - UNAVAILABLE is retried (reads) and the section is whole once the fault clears;
//! - UNAVAILABLE that persists is given up after 1 + MAX_RETRIES attempts: UNAVAILABLE;
//! - any other error is not retried: one attempt, the section UNAVAILABLE with that code,
//!   the rest of the summary served;
//! - latency: a slow (not dead) service past the caller's deadline costs at most it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::net::TcpListener;
use tonic::Code;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::transport::{Channel, Endpoint};
use tower::Service;
use xiaokang::testing::{Bearer, TestDatabase, TestService, TestSuite, test_tokens};
use xk_aggregator::Upstream;
use xk_aggregator::domain::deadline::MAX_RETRIES;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_runtime::Principal;

/// What the proxy does to each call.
#[derive(Default)]
struct Plan {
    /// The status injected.
    code: Option<Code>,
    /// Each method's first this many calls get `code`.
    fail_first: usize,
    /// Delay before forwarding (a slow, not dead, service).
    delay: Duration,
    /// Calls seen per method path.
    seen: HashMap<String, usize>,
}

/// The proxy: a gRPC service named as water's, forwarding to the real one.
#[derive(Clone)]
struct FaultProxy {
    /// The real water service.
    upstream: Channel,
    /// Shared with the test, which changes it between summaries.
    plan: Arc<Mutex<Plan>>,
}

impl NamedService for FaultProxy {
    const NAME: &'static str = "xiaokang.water.v1.WaterService";
}

impl Service<http::Request<Body>> for FaultProxy {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let (inject, delay) = {
            let mut p = self.plan.lock().unwrap();
            let n = p.seen.entry(req.uri().path().to_string()).or_default();
            *n += 1;
            let n = *n;
            (p.code.filter(|_| n <= p.fail_first), p.delay)
        };
        let mut upstream = self.upstream.clone();
        Box::pin(async move {
            if let Some(code) = inject {
                return Ok(tonic::Status::new(code, "injected fault").into_http());
            }
            tokio::time::sleep(delay).await;
            use tower::ServiceExt;
            match upstream.ready().await {
                Ok(up) => match up.call(req).await {
                    Ok(resp) => Ok(resp),
                    Err(e) => Ok(tonic::Status::unavailable(e.to_string()).into_http()),
                },
                Err(e) => Ok(tonic::Status::unavailable(e.to_string()).into_http()),
            }
        })
    }
}

/// Starts the proxy in front of `water_url`; its URL and plan.
async fn start_proxy(water_url: &str) -> (String, Arc<Mutex<Plan>>) {
    let plan = Arc::new(Mutex::new(Plan::default()));
    let proxy = FaultProxy {
        upstream: Endpoint::from_shared(water_url.to_string())
            .unwrap()
            .connect_lazy(),
        plan: plan.clone(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(proxy)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (url, plan)
}

/// The aggregator over the suite's services, water through `water_url`.
async fn start_aggregator(
    suite: &TestSuite,
    water_url: String,
) -> (xk_runtime::HostedService, TestDatabase) {
    let token = test_tokens().1[&Principal::Aggregator].clone();
    let upstream = Upstream::single(
        [
            suite.url("registry"),
            suite.url("education"),
            suite.url("health"),
            suite.url("housing"),
            water_url,
        ],
        token,
    );
    let svc = TestService::start_aggregator(upstream).await.unwrap();
    (svc.hosted, svc.database)
}

/// The water section's state and code, and whether every other section is available.
async fn water_section(
    c: &mut AggregatorServiceClient<tonic::codegen::InterceptedService<Channel, Bearer>>,
    deadline: Duration,
) -> (SectionState, Code, bool) {
    let mut req = tonic::Request::new(GetSummaryRequest {
        region_prefix: "420625".into(),
        as_of: None,
        year: 2019,
        group_by: RegionLevel::Township as i32,
        latest_year_with_data: false,
    });
    req.set_timeout(deadline);
    let s = c
        .get_summary(req)
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap();
    let st = |x: &Option<SectionStatus>| {
        let x = x.clone().unwrap();
        (
            SectionState::try_from(x.state).unwrap(),
            Code::from_i32(x.code),
        )
    };
    let w = st(&s.water.as_ref().unwrap().status);
    let others = [
        &s.registry.as_ref().unwrap().status,
        &s.education.as_ref().unwrap().status,
        &s.health.as_ref().unwrap().status,
        &s.housing.as_ref().unwrap().status,
    ]
    .iter()
    .all(|x| st(x).0 == SectionState::Available);
    (w.0, w.1, others)
}

/// Calls per method since the last reset, and resets the plan to `code` × `fail_first`.
fn replan(
    plan: &Mutex<Plan>,
    code: Option<Code>,
    fail_first: usize,
    delay: Duration,
) -> Vec<usize> {
    let mut p = plan.lock().unwrap();
    let seen: Vec<usize> = p.seen.values().copied().collect();
    *p = Plan {
        code,
        fail_first,
        delay,
        seen: HashMap::new(),
    };
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_only_unavailable_and_recovers_when_the_fault_clears() {
    let suite = TestSuite::start().await.unwrap();
    let (proxy_url, plan) = start_proxy(&suite.url("water")).await;
    let (aggregator, db) = start_aggregator(&suite, proxy_url).await;
    let ch = Endpoint::from_shared(aggregator.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut c = AggregatorServiceClient::with_interceptor(
        ch,
        Bearer(Some(suite.tokens[&Principal::Aggregator].clone())),
    );
    let deadline = Duration::from_secs(5);

    // No fault: whole; every water method called once.
    let got = water_section(&mut c, deadline).await;
    assert_eq!(got, (SectionState::Available, Code::Ok, true));
    let seen = replan(&plan, Some(Code::Unavailable), 1, Duration::ZERO);
    assert!(!seen.is_empty() && seen.iter().all(|n| *n == 1), "{seen:?}");

    // One UNAVAILABLE per method: retried, and the section is whole.
    let got = water_section(&mut c, deadline).await;
    assert_eq!(got, (SectionState::Available, Code::Ok, true));
    let seen = replan(&plan, Some(Code::Unavailable), usize::MAX, Duration::ZERO);
    assert!(
        seen.iter().all(|n| *n == 2),
        "one retry per method: {seen:?}"
    );

    // UNAVAILABLE that persists: 1 + MAX_RETRIES attempts, then the section is down.
    let got = water_section(&mut c, deadline).await;
    assert_eq!(got, (SectionState::Unavailable, Code::Unavailable, true));
    let seen = replan(&plan, None, 0, Duration::ZERO);
    assert!(
        seen.iter().all(|n| *n == 1 + MAX_RETRIES as usize),
        "{seen:?}"
    );

    // Any other error: not retried, reported with its code, the rest served; the next
    // summary after it clears is whole.
    for code in [
        Code::Internal,
        Code::ResourceExhausted,
        Code::PermissionDenied,
        Code::InvalidArgument,
    ] {
        replan(&plan, Some(code), 1, Duration::ZERO);
        let got = water_section(&mut c, deadline).await;
        assert_eq!(got.0, SectionState::Unavailable, "{code:?}");
        assert_eq!(got.1, code, "the upstream code is reported");
        assert!(got.2, "{code:?}: the other sections are served");
        let seen = counts(&plan);
        assert!(
            !seen.is_empty() && seen.iter().all(|n| *n == 1),
            "{code:?} not retried: {seen:?}"
        );
        // Each method has had its one failing call: the next ones are forwarded.
        let got = water_section(&mut c, deadline).await;
        assert_eq!(
            got,
            (SectionState::Available, Code::Ok, true),
            "{code:?} cleared"
        );
    }

    // Slow, not dead: 1.5 s per water call against an 800 ms deadline.
    replan(&plan, None, 0, Duration::from_millis(1500));
    let started = Instant::now();
    let got = water_section(&mut c, Duration::from_millis(800)).await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(800), "took {took:?}");
    assert_eq!(got.0, SectionState::Unavailable);
    assert_eq!(got.1, Code::DeadlineExceeded);
    assert!(got.2, "the other sections are served");

    aggregator.shutdown().await.unwrap();
    db.drop_now().await.unwrap();
    suite.stop().await.unwrap();
}

/// Calls per method since the last [`replan`].
fn counts(plan: &Mutex<Plan>) -> Vec<usize> {
    plan.lock().unwrap().seen.values().copied().collect()
}

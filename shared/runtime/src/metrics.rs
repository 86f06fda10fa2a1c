//! Prometheus metrics: one recorder per process, and the tower layer that measures calls.
//!
//! `xiaokang up` hosts all six services in one process and the `metrics` facade has one
//! global recorder, so every series carries a `service` label and [`install`] is safe to
//! call from every service start (the first call installs, later ones share it). Tests
//! that start many services in one test binary therefore read one shared registry: they
//! compare counters before and after their own calls, never absolute values.
//!
//! The layer ([`RpcMetricsLayer`]) is the outermost of the stack, so it sees every call,
//! including those refused by the byte budget, authentication or load shedding. A call
//! is counted when its response body ends (or is dropped by a client that went away):
//! a server stream is timed to its last message, and its code is the `grpc-status` of
//! its trailers (or of the headers, for a trailers-only answer).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use metrics::{Counter, Gauge, Histogram, Label};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tonic::Code;
use tower::{Layer, Service};

use crate::auth::ServiceSpec;

/// Calls finished, by service, method and gRPC code.
pub const RPC_REQUESTS: &str = "xk_rpc_requests_total";
/// Call latency to the end of the response body, by service, method and code.
pub const RPC_DURATION: &str = "xk_rpc_duration_seconds";
/// Calls in flight, by service and method.
pub const RPC_IN_FLIGHT: &str = "xk_rpc_in_flight";
/// Calls refused by load shedding (a queue was full, or a call waited its longest for a
/// running slot), by service, method and `class` (`write`, `read`; `exempt` for health).
pub const RPC_SHED: &str = "xk_rpc_shed_total";
/// Calls that ended DEADLINE_EXCEEDED.
pub const RPC_DEADLINE_EXCEEDED: &str = "xk_rpc_deadline_exceeded_total";
/// Writes answered from the idempotency table (a retry of a request already done).
pub const IDEMPOTENT_REPLAYS: &str = "xk_idempotent_replays_total";
/// Database pool connections by state (`idle`, `in_use`), sampled at scrape time.
pub const DB_POOL_CONNECTIONS: &str = "xk_db_pool_connections";
/// The database pool's largest size.
pub const DB_POOL_MAX: &str = "xk_db_pool_max";
/// Commits of group-committed write batches (see [`crate::group_commit`]).
pub const GROUP_COMMITS: &str = "xk_group_commits_total";
/// Writes that ran in those batches: divided by [`GROUP_COMMITS`], the mean batch size.
pub const GROUP_COMMIT_WRITES: &str = "xk_group_commit_writes_total";
/// Time per database statement.
pub const DB_QUERY_DURATION: &str = "xk_db_query_duration_seconds";
/// Rounds of the PostgreSQL rollup merger ([`crate::rollup`]) by `outcome` (`ok`,
/// `failed`). A failing merger leaves deltas pending: summaries stay right (they add them
/// in), but the delta tables grow until a round succeeds.
pub const ROLLUP_MERGES: &str = "xk_rollup_merges_total";
/// Delta rows still pending after the merger's latest round (PostgreSQL), all of a
/// service's rollups together, counted up to [`crate::rollup::PENDING_COUNT_CAP`] per
/// rollup: the villages another replica's merger held, and what was committed meanwhile.
/// It stays near zero while merges keep up; a value that keeps growing means they do not.
pub const ROLLUP_PENDING: &str = "xk_rollup_pending_deltas";

/// Upper bounds (seconds) of the latency histograms: 0.5 ms (a cached read on loopback)
/// to 30 s (the default call cap).
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often histogram storage is compacted when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The process's Prometheus handle, installing the recorder on first use.
///
/// If another recorder was installed first (an embedding program's), metrics go there and
/// this handle renders an empty registry; that is logged once, not an error.
pub fn install() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = [RPC_DURATION, DB_QUERY_DURATION, crate::shed::QUEUE_WAIT]
            .into_iter()
            .try_fold(PrometheusBuilder::new(), |builder, name| {
                builder.set_buckets_for_metric(Matcher::Full(name.to_string()), LATENCY_BUCKETS)
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed: /metrics stays empty");
        }
        let upkeep = handle.clone();
        // A plain thread: the recorder outlives any one tokio runtime (tests start many).
        let _ = std::thread::Builder::new()
            .name("xk-metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                }
            });
        handle
    })
}

/// The Prometheus text exposition of every series in the process.
pub fn render() -> String {
    let handle = install();
    handle.run_upkeep();
    handle.render()
}

/// The name of a gRPC code as tonic's `Debug` prints it (`Ok`, `NotFound`, …), without
/// allocating per call.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "Ok",
        Code::Cancelled => "Cancelled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

/// The `method` label of a request path: the method name for the service's own gRPC
/// service, `Service/Method` for health and reflection, and `other` for anything else, so
/// that a client sending made-up paths cannot create unbounded series.
fn method_label(spec: &ServiceSpec, path: &str) -> String {
    let Some((service, method)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
        return "other".into();
    };
    if service == spec.grpc_name {
        method.to_string()
    } else if service.starts_with("grpc.health.") || service.starts_with("grpc.reflection.") {
        format!("{service}/{method}")
    } else {
        "other".into()
    }
}

/// Marks a response refused by load shedding, for [`RpcMetricsLayer`] (set by the
/// deadline layer, which turns the [`crate::shed::Overloaded`] error into a status).
#[derive(Debug, Clone, Copy)]
pub struct ShedMarker;

tokio::task_local! {
    /// The service of the call whose handler is running, for counters recorded
    /// deep inside a handler (idempotent replays) without passing labels down.
    static CURRENT_CALL: &'static str;
}

/// Counts a write answered from the idempotency table, labelled with the running call's
/// service (`unknown` outside a measured call).
pub fn record_idempotent_replay(method: &'static str) {
    let service = CURRENT_CALL
        .try_with(|service| *service)
        .unwrap_or("unknown");
    metrics::counter!(IDEMPOTENT_REPLAYS, "service" => service, "method" => method).increment(1);
}

/// Counts one group commit of `writes` writes for `service`.
pub fn record_group_commit(service: &'static str, writes: usize) {
    metrics::counter!(GROUP_COMMITS, "service" => service).increment(1);
    metrics::counter!(GROUP_COMMIT_WRITES, "service" => service).increment(writes as u64);
}

/// Counts one round of `service`'s rollup merger, merged or failed.
pub fn record_rollup_merge(service: &'static str, merged: bool) {
    let outcome = if merged { "ok" } else { "failed" };
    metrics::counter!(ROLLUP_MERGES, "service" => service, "outcome" => outcome).increment(1);
}

/// Sets the delta rows `service`'s merger left pending at its latest round.
pub fn record_rollup_pending(service: &'static str, rows: u64) {
    metrics::gauge!(ROLLUP_PENDING, "service" => service).set(rows as f64);
}

/// Records one statement's duration; installed on the database connection of `service`.
pub fn record_query(service: &'static str, elapsed: Duration) {
    metrics::histogram!(DB_QUERY_DURATION, "service" => service).record(elapsed.as_secs_f64());
}

/// Sets a business gauge of `service` (refreshed on an interval by the service's own
/// count query; see [`crate::server::HostedService::refresh_gauges_every`]).
pub fn set_gauge(
    name: &'static str,
    service: &'static str,
    labels: &[(&'static str, &'static str)],
    value: f64,
) {
    let mut all = vec![Label::new("service", service)];
    all.extend(labels.iter().map(|(k, v)| Label::new(*k, *v)));
    metrics::gauge!(name, all).set(value);
}

/// Runs a query answering one `BIGINT` count with `values` bound to its placeholders
/// (for business gauges); no rows count 0.
pub async fn count(
    db: &crate::db::Db,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> Result<i64, sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    let conn = db.conn();
    let statement = Statement::from_sql_and_values(conn.get_database_backend(), sql, values);
    let row = conn.query_one_raw(statement).await?;
    match row {
        Some(row) => Ok(row.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0)),
        None => Ok(0),
    }
}

/// Sets the pool gauges of `service` (called at scrape time).
pub fn record_pool(service: &'static str, size: u32, idle: usize, max: u32) {
    let idle = idle as f64;
    let in_use = (f64::from(size) - idle).max(0.0);
    metrics::gauge!(DB_POOL_CONNECTIONS, "service" => service, "state" => "idle").set(idle);
    metrics::gauge!(DB_POOL_CONNECTIONS, "service" => service, "state" => "in_use").set(in_use);
    metrics::gauge!(DB_POOL_MAX, "service" => service).set(f64::from(max));
}

/// Layer adding [`RpcMetrics`].
#[derive(Clone)]
pub struct RpcMetricsLayer {
    spec: ServiceSpec,
    /// `None` when metrics are off: calls pass through untouched (the baseline of the
    /// overhead benchmark).
    series: Option<Arc<SeriesCache>>,
}

impl RpcMetricsLayer {
    /// Measures the calls of `spec`; when `enabled` is false the layer passes calls
    /// through untouched (the baseline of the overhead benchmark).
    pub fn new(spec: ServiceSpec, enabled: bool) -> Self {
        let series = enabled.then(|| {
            install();
            Arc::new(SeriesCache::default())
        });
        Self { spec, series }
    }
}

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;
    fn layer(&self, inner: S) -> RpcMetrics<S> {
        RpcMetrics {
            inner,
            spec: self.spec,
            series: self.series.clone(),
        }
    }
}

/// Counts, times and tracks in-flight calls per method and code.
#[derive(Clone)]
pub struct RpcMetrics<S> {
    inner: S,
    spec: ServiceSpec,
    series: Option<Arc<SeriesCache>>,
}

/// The series of each method seen, registered with the recorder on the method's first
/// call and reused by every later one. Looking a labelled series up in the recorder hashes
/// its name and labels; a call used to do that six times (and clone its method name four
/// times), now it does one map lookup by path.
///
/// Bounded: only paths of the service's own methods and of health and reflection get an
/// entry; any other path shares the one `other` entry, so a client sending made-up paths
/// cannot grow the map (the same bound as the `method` label, [`method_label`]).
#[derive(Default)]
struct SeriesCache {
    by_path: RwLock<HashMap<String, Arc<MethodSeries>>>,
    other: OnceLock<Arc<MethodSeries>>,
}

impl SeriesCache {
    /// The series of the call to `path`.
    fn of(&self, spec: &ServiceSpec, path: &str) -> Arc<MethodSeries> {
        // A poisoned lock only means a panic elsewhere while inserting: the map is intact.
        let known = self
            .by_path
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .cloned();
        if let Some(series) = known {
            return series;
        }
        let method = method_label(spec, path);
        let class = crate::shed::CallClass::of(spec, path).label();
        if method == "other" {
            let other = self
                .other
                .get_or_init(|| Arc::new(MethodSeries::new(spec.name, method, class)));
            return other.clone();
        }
        self.by_path
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(path.to_string())
            .or_insert_with(|| Arc::new(MethodSeries::new(spec.name, method, class)))
            .clone()
    }
}

/// One method's series (see [`SeriesCache`]).
struct MethodSeries {
    service: &'static str,
    method: String,
    in_flight: Gauge,
    shed: Counter,
    deadline_exceeded: Counter,
    /// Calls and latency by gRPC code (indexed by the code's number), each pair registered
    /// on the code's first use so that a method has only the codes it answered with.
    by_code: [OnceLock<(Counter, Histogram)>; 17],
}

impl MethodSeries {
    fn new(service: &'static str, method: String, class: &'static str) -> MethodSeries {
        // `class`: its queue ([`crate::shed::CallClass`]), the shed counter's label.
        let m = method.clone();
        MethodSeries {
            in_flight: metrics::gauge!(RPC_IN_FLIGHT, "service" => service, "method" => m.clone()),
            shed: metrics::counter!(RPC_SHED, "service" => service, "method" => m.clone(), "class" => class),
            deadline_exceeded: metrics::counter!(RPC_DEADLINE_EXCEEDED, "service" => service, "method" => m),
            service,
            method,
            by_code: Default::default(),
        }
    }

    /// The calls counter and latency histogram of `code`.
    fn of_code(&self, code: Code) -> &(Counter, Histogram) {
        let slot = &self.by_code[(code as usize).min(16)];
        slot.get_or_init(|| {
            let labels = vec![
                Label::new("service", self.service),
                Label::new("method", self.method.clone()),
                Label::new("code", code_name(code)),
            ];
            (
                metrics::counter!(RPC_REQUESTS, labels.clone()),
                metrics::histogram!(RPC_DURATION, labels),
            )
        })
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RpcMetrics<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<MeteredBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let Some(cache) = &self.series else {
            return Box::pin(async move {
                let resp = inner.call(req).await?;
                Ok(resp.map(|body| MeteredBody { body, call: None }))
            });
        };
        let service = self.spec.name;
        let call = CallRecord::start(cache.of(&self.spec, req.uri().path()));
        Box::pin(async move {
            let resp = CURRENT_CALL.scope(service, inner.call(req)).await?;
            let mut call = call;
            if resp.extensions().get::<ShedMarker>().is_some() {
                call.shed = true;
            }
            // A trailers-only answer (every error tonic sends) carries its code here.
            call.code = grpc_status(resp.headers());
            Ok(resp.map(|body| MeteredBody {
                body,
                call: Some(call),
            }))
        })
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from_i32)
}

/// One call being measured; recorded once, when dropped.
struct CallRecord {
    series: Arc<MethodSeries>,
    started: Instant,
    /// The code seen so far (headers, then trailers).
    code: Option<Code>,
    /// The body ended (rather than being dropped half-way by a client that left).
    ended: bool,
    shed: bool,
}

impl CallRecord {
    fn start(series: Arc<MethodSeries>) -> CallRecord {
        series.in_flight.increment(1.0);
        CallRecord {
            series,
            started: Instant::now(),
            code: None,
            ended: false,
            shed: false,
        }
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        let code = match (self.code, self.ended) {
            (Some(code), _) => code,
            // The client went away before the last frame.
            (None, false) => Code::Cancelled,
            // A body that ended without any grpc-status: not a well-formed gRPC answer.
            (None, true) => Code::Unknown,
        };
        let series = &self.series;
        series.in_flight.decrement(1.0);
        let (calls, duration) = series.of_code(code);
        calls.increment(1);
        duration.record(self.started.elapsed().as_secs_f64());
        // Added to (by 0 or 1) on every call, so each series exists from a method's first
        // call: Prometheus' rate() only sees an increase from a sample it has seen before.
        // One class per method, so the label adds no series.
        series.shed.increment(u64::from(self.shed));
        series
            .deadline_exceeded
            .increment(u64::from(code == Code::DeadlineExceeded));
    }
}

pin_project_lite::pin_project! {
    /// A response body that records its call when it ends or is dropped.
    pub struct MeteredBody<B> {
        #[pin]
        body: B,
        call: Option<CallRecord>,
    }
}

impl<B: Body> Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.body.poll_frame(cx);
        if let Some(call) = this.call.as_mut() {
            match &polled {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                        call.code = Some(code);
                    }
                }
                Poll::Ready(None) => call.ended = true,
                Poll::Ready(Some(Err(_))) => {
                    // The stream broke: the client sees a reset, never a status.
                    call.code.get_or_insert(Code::Unknown);
                }
                Poll::Pending => {}
            }
            if matches!(polled, Poll::Ready(None)) {
                // Record now rather than when hyper gets round to dropping the body.
                this.call.take();
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: ServiceSpec = ServiceSpec {
        name: "registry",
        grpc_name: "xk.registry.v1.RegistryService",
        default_port: 50051,
        owner: None,
        read_methods: &[],
    };

    #[test]
    fn method_labels_are_bounded() {
        assert_eq!(
            method_label(&SPEC, "/xk.registry.v1.RegistryService/GetHousehold"),
            "GetHousehold"
        );
        assert_eq!(
            method_label(&SPEC, "/grpc.health.v1.Health/Check"),
            "grpc.health.v1.Health/Check"
        );
        assert_eq!(method_label(&SPEC, "/made.up.Service/X"), "other");
        assert_eq!(method_label(&SPEC, "/no-method"), "other");
    }

    #[test]
    fn made_up_paths_share_one_series_and_do_not_grow_the_cache() {
        let cache = SeriesCache::default();
        let get = cache.of(&SPEC, "/xk.registry.v1.RegistryService/GetHousehold");
        let again = cache.of(&SPEC, "/xk.registry.v1.RegistryService/GetHousehold");
        assert!(Arc::ptr_eq(&get, &again));
        assert_eq!(get.method, "GetHousehold");
        let one = cache.of(&SPEC, "/made.up.Service/X");
        let other = cache.of(&SPEC, "/made.up.Service/Y");
        assert!(Arc::ptr_eq(&one, &other));
        assert_eq!(one.method, "other");
        let entries = cache.by_path.read().map(|m| m.len()).unwrap_or(0);
        assert_eq!(entries, 1, "only the service's own method has an entry");
    }

    #[test]
    fn code_names_match_tonic_debug() {
        for n in 0..=16 {
            let code = Code::from_i32(n);
            assert_eq!(code_name(code), format!("{code:?}"));
        }
    }
}

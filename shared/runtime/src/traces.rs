//! Distributed traces: OpenTelemetry spans exported over OTLP/gRPC, and the W3C
//! `traceparent` carried across services so one county summary is one trace.
//!
//! Off unless `XK_OTLP_ENDPOINT` (or the standard `OTEL_EXPORTER_OTLP_ENDPOINT`) names a
//! collector, e.g. `http://otel-collector:4317`; then every `tracing` span at INFO or above
//! (the trace layer's `rpc` span per call, the aggregator's `upstream` span per service
//! call) and sea-orm's per-statement spans are batched to it, under
//! `service.name = xiaokang-<service>`. With the exporter off nothing here runs on the
//! call path but a flag check.
//!
//! Propagation follows the W3C Trace Context: the server's span adopts the caller's
//! `traceparent` ([`adopt_remote_parent`]); a client span writes its own into the
//! outgoing metadata ([`inject_into`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Level;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// The xiaokang setting naming the OTLP/gRPC collector; wins over the standard one.
pub const ENDPOINT_ENV: &str = "XK_OTLP_ENDPOINT";
/// The standard OpenTelemetry setting, honoured when [`ENDPOINT_ENV`] is unset.
pub const STANDARD_ENDPOINT_ENV: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// How long shutdown waits for the last batch to reach the collector: a stopped
/// collector must not hold a terminating pod past its grace period.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The collector endpoint from the environment, if tracing export is asked for.
pub fn endpoint_from_env() -> Option<String> {
    [ENDPOINT_ENV, STANDARD_ENDPOINT_ENV]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// The `service.name` a process reports: `xiaokang-<service>`.
pub fn service_name(service: &str) -> String {
    format!("xiaokang-{service}")
}

/// The running exporter. Dropping it without [`Traces::shutdown`] loses the spans of
/// the last batch interval.
#[derive(Clone, Debug)]
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// Sends every span finished so far to the collector and waits for its answer.
    /// Blocking: call it off the async workers (see [`Traces::flush`]).
    fn flush_blocking(&self) -> anyhow::Result<()> {
        self.provider
            .force_flush()
            .map_err(|e| anyhow::anyhow!("flushing spans: {e}"))
    }

    /// Sends every span finished so far to the collector (tests assert on them).
    pub async fn flush(&self) -> anyhow::Result<()> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.flush_blocking()).await?
    }

    /// Flushes the last batch and stops the exporter; for graceful shutdown.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        tokio::task::spawn_blocking(move || {
            self.provider
                .shutdown_with_timeout(SHUTDOWN_TIMEOUT)
                .map_err(|e| anyhow::anyhow!("stopping the span exporter: {e}"))
        })
        .await?
    }
}

/// sea-orm's TRACE spans around one database statement, on the pool
/// (`sea_orm::driver::*`) and in a transaction (`sea_orm::database::transaction`). They
/// skip the statement and its values; the others there do not qualify: `connect` records
/// the connection options, whose URL carries a PostgreSQL password.
const STATEMENT_SPANS: [&str; 8] = [
    "execute",
    "execute_unprepared",
    "query_one",
    "query_all",
    "stream",
    "execute_raw",
    "query_one_raw",
    "query_all_raw",
];

/// Targets whose spans never go out: the exporter's own transport must not trace itself
/// into a feedback loop.
const QUIET_TARGETS: [&str; 5] = ["opentelemetry", "h2", "hyper", "tonic", "tower"];

/// What the span exporter records: every span and event at INFO or above (the `rpc`
/// span per call, the aggregator's `upstream` span per service call), plus sea-orm's
/// statement spans ([`STATEMENT_SPANS`]), one per database statement without touching a
/// query. Independent of `RUST_LOG`, which filters the log lines.
fn export_filter(meta: &tracing::Metadata<'_>) -> bool {
    let target = meta.target();
    if target.starts_with("sea_orm::driver") || target.starts_with("sea_orm::database::transaction")
    {
        return meta.is_span() && STATEMENT_SPANS.contains(&meta.name())
            || *meta.level() <= Level::INFO;
    }
    if QUIET_TARGETS.iter().any(|q| target.starts_with(q)) {
        return false;
    }
    *meta.level() <= Level::INFO
}

/// Starts a batch exporter to `endpoint` and returns it with the `tracing` layer that
/// feeds it. Needs a Tokio runtime (the gRPC channel's worker runs on it).
pub fn exporter<S>(
    endpoint: &str,
    service: &str,
) -> anyhow::Result<(Traces, impl Layer<S> + Send + Sync + 'static)>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| anyhow::anyhow!("OTLP exporter to {endpoint}: {e}"))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(spans)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name(service))
                .build(),
        )
        .build();
    let tracer = provider.tracer("xiaokang");
    EXPORTING.store(true, Ordering::Relaxed);
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(tracing_subscriber::filter::filter_fn(export_filter));
    Ok((Traces { provider }, layer))
}

/// Reads W3C trace context out of HTTP/2 request headers.
struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Writes W3C trace context into gRPC request metadata.
struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        // The propagator only writes `traceparent` / `tracestate`, both valid keys; an
        // invalid value (never produced by it) is dropped rather than failing the call.
        if let (Ok(k), Ok(v)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(k, v);
        }
    }
}

/// Whether a span exporter was started in this process.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Prepares the trace layer's per-call `span` for export: a SERVER span named by the
/// gRPC method, child of the caller's span (see [`adopt_remote_parent`]). The span
/// declares `otel.kind` and `otel.name` empty and they are filled only while exporting,
/// so log lines stay as they were when tracing export is off.
pub fn server_span(span: &tracing::Span, method: &str, headers: &http::HeaderMap) {
    if !EXPORTING.load(Ordering::Relaxed) {
        return;
    }
    span.record("otel.kind", "server");
    span.record("otel.name", method);
    adopt_remote_parent(span, headers);
}

/// Makes `span` (a server span) a child of the caller's span named by the request's
/// `traceparent`, so the call joins the caller's trace; no header, no change (the span
/// starts a trace of its own).
pub fn adopt_remote_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    // Fails only when no OpenTelemetry layer records the span (exporter off): nothing to
    // link then.
    let _ = span.set_parent(parent);
}

/// Prepares an outgoing call's `span` for export: a CLIENT span named `name()` whose
/// context goes out in `metadata` as `traceparent` (see [`inject_into`]). As with
/// [`server_span`], the span's `otel.kind` / `otel.name` stay empty and nothing is
/// computed when export is off.
pub fn client_span(
    span: &tracing::Span,
    name: impl FnOnce() -> String,
    metadata: &mut tonic::metadata::MetadataMap,
) {
    if !EXPORTING.load(Ordering::Relaxed) {
        return;
    }
    span.record("otel.kind", "client");
    span.record("otel.name", name());
    inject_into(span, metadata);
}

/// Writes `span`'s trace context into `metadata` as `traceparent`, so the callee's server
/// span becomes its child. Writes nothing when the exporter is off.
pub fn inject_into(span: &tracing::Span, metadata: &mut tonic::metadata::MetadataMap) {
    let cx = span.context();
    TraceContextPropagator::new().inject_context(&cx, &mut MetadataInjector(metadata));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_parent_is_read_from_traceparent() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            http::HeaderValue::from_static(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        );
        let cx = TraceContextPropagator::new().extract(&HeaderExtractor(&headers));
        use opentelemetry::trace::TraceContextExt;
        let remote = cx.span().span_context().clone();
        assert_eq!(
            remote.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(remote.span_id().to_string(), "00f067aa0ba902b7");
        assert!(remote.is_remote() && remote.is_sampled());
    }

    #[test]
    fn nothing_is_injected_without_an_exporter() {
        let mut md = tonic::metadata::MetadataMap::new();
        inject_into(&tracing::info_span!("upstream"), &mut md);
        assert!(md.get("traceparent").is_none());
    }
}

//! Distributed traces end to end: the whole suite in this process exporting over OTLP/gRPC
//! to an in-test receiver (a real OTLP TraceService), one GetSummary, and the spans that
//! arrive. The exporter is process-global, hence one test in this file.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use tokio::net::TcpListener;
use xiaokang::testing::TestSuite;
use xk_contracts::pb::aggregator::v1::GetSummaryRequest;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::registry::v1::ExportHouseholdsRequest;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_runtime::Principal;

const SERVICES: [&str; 5] = ["registry", "education", "health", "housing", "water"];
/// The statement spans sea-orm opens around each query (pool and transaction).
const DB_SPANS: [&str; 6] = [
    "execute",
    "query_one",
    "query_all",
    "execute_raw",
    "query_one_raw",
    "query_all_raw",
];

/// Every span exported to it, with its resource's `service.name`.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<(String, Span)>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().unwrap();
        for rs in request.into_inner().resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| string_value(kv.value.as_ref()?))
                .unwrap_or_default();
            for span in rs.scope_spans.into_iter().flat_map(|s| s.spans) {
                spans.push((service.clone(), span));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

fn string_value(v: &opentelemetry_proto::tonic::common::v1::AnyValue) -> Option<String> {
    match &v.value {
        Some(Value::StringValue(s)) => Some(s.clone()),
        _ => None,
    }
}

/// A span's string attribute.
fn attr(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| string_value(kv.value.as_ref()?))
}

fn is_kind(span: &Span, kind: SpanKind) -> bool {
    span.kind == kind as i32
}

const GET_SUMMARY: &str = "/xiaokang.aggregator.v1.AggregatorService/GetSummary";

/// The spans of the GetSummary trace once the five services' server spans and a
/// database span are in, or None.
fn summary_trace(spans: &[(String, Span)]) -> Option<Vec<Span>> {
    let root = spans
        .iter()
        .find(|(_, s)| s.name == GET_SUMMARY && is_kind(s, SpanKind::Server))?;
    let trace: Vec<Span> = spans
        .iter()
        .filter(|(_, s)| s.trace_id == root.1.trace_id)
        .map(|(_, s)| s.clone())
        .collect();
    let servers: HashSet<String> = trace
        .iter()
        .filter(|s| is_kind(s, SpanKind::Server))
        .filter_map(|s| attr(s, "service"))
        .collect();
    let has_db = trace.iter().any(|s| DB_SPANS.contains(&s.name.as_str()));
    (servers.len() == 6 && has_db).then_some(trace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_summary_is_one_trace_across_the_suite() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector = format!("http://{}", listener.local_addr().unwrap());
    let receiver = Receiver::default();
    let serving = receiver.clone();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(serving))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
    });
    let traces = xk_runtime::telemetry::init_exporting_to(&collector, "suite")
        .unwrap()
        .expect("the first subscriber of this test process");

    let suite = TestSuite::start().await.unwrap();
    let mut client = AggregatorServiceClient::with_interceptor(
        suite.channel("aggregator").await.unwrap(),
        suite.bearer(Principal::Admin),
    );
    client
        .get_summary(GetSummaryRequest {
            region_prefix: "420625".into(),
            as_of: None,
            year: 2019,
            group_by: RegionLevel::Township as i32,
            latest_year_with_data: false,
        })
        .await
        .unwrap();

    // Spans are batched: flush, then look; bounded so a broken export fails the test.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let trace = loop {
        traces.flush().await.unwrap();
        let found = summary_trace(&receiver.spans.lock().unwrap());
        match found {
            Some(t) => break t,
            None if tokio::time::Instant::now() < deadline => {
                tokio::task::yield_now().await;
            }
            None => panic!(
                "no complete GetSummary trace; spans received: {:?}",
                receiver
                    .spans
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(svc, s)| (svc.clone(), s.name.clone()))
                    .collect::<Vec<_>>()
            ),
        }
    };
    let all = receiver.spans.lock().unwrap().clone();
    external_caller_joins_an_export_stream(&suite, &traces, &receiver).await;
    suite.stop().await.unwrap();

    // Connection settings (a PostgreSQL URL carries its password) never leave the process.
    for (_, span) in &all {
        for kv in &span.attributes {
            let value = kv.value.as_ref().and_then(string_value).unwrap_or_default();
            assert!(
                !value.contains("sqlite:") && !value.contains("postgres://"),
                "span {} exports a database URL in {}",
                span.name,
                kv.key
            );
        }
    }
    assert!(
        all.iter().all(|(svc, _)| svc == "xiaokang-suite"),
        "every span carries service.name xiaokang-<service>"
    );
    let by_id: HashMap<&[u8], &Span> = trace.iter().map(|s| (s.span_id.as_slice(), s)).collect();
    let root = trace.iter().find(|s| s.name == GET_SUMMARY).unwrap();
    assert!(
        root.parent_span_id.is_empty(),
        "the aggregator's call starts the trace"
    );
    assert_eq!(attr(root, "service").as_deref(), Some("aggregator"));

    // Each service's SummarizeByRegion server span hangs off an aggregator client span,
    // which hangs off the GetSummary server span.
    for service in SERVICES {
        let servers: Vec<&Span> = trace
            .iter()
            .filter(|s| {
                is_kind(s, SpanKind::Server) && attr(s, "service").as_deref() == Some(service)
            })
            .collect();
        assert!(
            !servers.is_empty(),
            "{service} has a server span in the trace"
        );
        for server in servers {
            let client = by_id
                .get(server.parent_span_id.as_slice())
                .unwrap_or_else(|| panic!("{service}'s server span has its parent in the trace"));
            assert!(
                is_kind(client, SpanKind::Client),
                "{service}: parent is a client span"
            );
            assert!(
                client.name.starts_with(&format!("{service}.v1.")),
                "{service}: parent is the call to it, got {}",
                client.name
            );
            assert_eq!(
                client.parent_span_id, root.span_id,
                "{service}: the client span is under GetSummary"
            );
        }
    }
    // No span of this GetSummary escaped into another trace.
    let summarize_elsewhere = all
        .iter()
        .filter(|(_, s)| s.name.ends_with("/SummarizeByRegion") && s.trace_id != root.trace_id)
        .count();
    assert_eq!(
        summarize_elsewhere, 0,
        "every SummarizeByRegion is in the one trace"
    );

    // A database statement span sits under a service's server span.
    let db_under_service = trace.iter().any(|s| {
        DB_SPANS.contains(&s.name.as_str())
            && by_id.get(s.parent_span_id.as_slice()).is_some_and(|p| {
                is_kind(p, SpanKind::Server)
                    && attr(p, "service").is_some_and(|svc| SERVICES.contains(&svc.as_str()))
            })
    });
    assert!(
        db_under_service,
        "a database span is the child of a service's server span"
    );
}

/// A caller outside the suite sends its own `traceparent` on a server stream whose pages
/// are read by a task of their own: the registry's server span is the caller's child and
/// the export's queries stay in that trace.
async fn external_caller_joins_an_export_stream(
    suite: &TestSuite,
    traces: &xk_runtime::traces::Traces,
    receiver: &Receiver,
) {
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const CALLER_SPAN: &str = "00f067aa0ba902b7";
    let mut registry = RegistryServiceClient::new(suite.channel("registry").await.unwrap());
    let mut req = tonic::Request::new(ExportHouseholdsRequest::default());
    let token = format!("Bearer {}", suite.tokens[&Principal::Admin]);
    req.metadata_mut()
        .insert("authorization", token.parse().unwrap());
    req.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE}-{CALLER_SPAN}-01").parse().unwrap(),
    );
    let mut stream = registry.export_households(req).await.unwrap().into_inner();
    while stream.message().await.unwrap().is_some() {}

    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        traces.flush().await.unwrap();
        let spans: Vec<Span> = receiver
            .spans
            .lock()
            .unwrap()
            .iter()
            .map(|(_, s)| s.clone())
            .filter(|s| hex(&s.trace_id) == TRACE)
            .collect();
        let server = spans
            .iter()
            .find(|s| s.name.ends_with("/ExportHouseholds") && is_kind(s, SpanKind::Server));
        let query_under_it = server.is_some_and(|server| {
            spans
                .iter()
                .any(|s| DB_SPANS.contains(&s.name.as_str()) && s.parent_span_id == server.span_id)
        });
        if let Some(server) = server
            && query_under_it
        {
            assert_eq!(hex(&server.parent_span_id), CALLER_SPAN);
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no ExportHouseholds server span with a query under it in trace {TRACE}: {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
        tokio::task::yield_now().await;
    }
}

//! `/metrics` on the admin listener, scraped and parsed as Prometheus text after known
//! calls to a real registry (SQLite, or PostgreSQL with XK_TEST_DATABASE=postgres).
//!
//! Every service started in this test binary shares the process's one recorder (as the
//! six services of `xiaokang up` do), so tests that count calls take [`SERIAL`] and
//! compare counters before and after their own calls.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;

use common::*;
use prometheus_parse::{Sample, Scrape, Value};
use tonic::Code;
use xiaokang::testing::{TestService, TestSuite, admin_get, settings_with_admin};
use xk_contracts::pb::registry::v1::*;
use xk_runtime::ServeSettings;

const V1: &str = "420625100201";

/// Tests that count registry calls run one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn scrape(admin: SocketAddr) -> Vec<Sample> {
    let (status, body) = admin_get(admin, "/metrics").await.unwrap();
    assert_eq!(status, 200, "{body}");
    Scrape::parse(body.lines().map(|l| Ok(l.to_string())))
        .unwrap()
        .samples
}

/// The value of the series `metric` whose labels include `labels` (0 when absent: a
/// counter not incremented yet). Histograms give their `+Inf` bucket (the count).
fn value(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets
                .iter()
                .find(|b| b.less_than.is_infinite())
                .map_or(0.0, |b| b.count),
            Value::Summary(_) => f64::NAN,
        })
        .sum()
}

fn requests(samples: &[Sample], method: &str, code: &str) -> f64 {
    value(
        samples,
        "xk_rpc_requests_total",
        &[("service", "registry"), ("method", method), ("code", code)],
    )
}

fn per_method(samples: &[Sample], metric: &str, method: &str) -> f64 {
    value(
        samples,
        metric,
        &[("service", "registry"), ("method", method)],
    )
}

#[tokio::test]
async fn calls_are_counted_by_method_and_code_to_the_end_of_their_stream() {
    let _serial = SERIAL.lock().await;
    // A small message cap makes an export page too large to send: the stream starts, then
    // ends with OUT_OF_RANGE in its trailers. A limit of one call makes shedding certain.
    let svc = TestService::start_with(
        xk_registry::SPEC,
        ServeSettings {
            max_message_bytes: 4096,
            concurrency_limit: 1,
            ..settings_with_admin()
        },
    )
    .await
    .unwrap();
    let admin = svc.hosted.admin_addr.expect("admin listener");
    let mut c = client(&svc, OFFICE).await;
    let mut ids = Vec::new();
    for n in 0..30 {
        let request_id = format!("m{n}");
        let created = create(
            &mut c,
            &request_id,
            household(n, V1, 3, ArchiveStatus::Poor),
        );
        ids.push(created.await.unwrap().household_id);
    }
    let id = ids.remove(0);
    let before = scrape(admin).await;

    c.get_household(GetHouseholdRequest {
        household_id: id.clone(),
    })
    .await
    .unwrap();
    let missing = c
        .get_household(GetHouseholdRequest {
            household_id: "HH999999".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let mut export = c
        .export_households(ExportHouseholdsRequest::default())
        .await
        .expect("the stream starts")
        .into_inner();
    let failed = loop {
        match export.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the export should fail: its page is over the message cap"),
            Err(status) => break status,
        }
    };
    assert_eq!(failed.code(), Code::OutOfRange, "{failed:?}");
    // A retried create answers from the idempotency table.
    create(&mut c, "m0", household(0, V1, 3, ArchiveStatus::Poor))
        .await
        .unwrap();

    // An import left open holds the one call allowed; the next call is shed.
    let (tx, rx) = tokio::sync::mpsc::channel::<ImportHouseholdsRequest>(1);
    let mut importer = c.clone();
    let import = tokio::spawn(async move {
        importer
            .import_households(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    // The import holds the slot once it is in flight (nothing else competes for it
    // while only /metrics is read); a get racing it that still got through is counted.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while per_method(&scrape(admin).await, "xk_rpc_in_flight", "ImportHouseholds") != 1.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the import never started"
        );
        tokio::task::yield_now().await;
    }
    let mut got_through = 0.0;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let answer = c
            .get_household(GetHouseholdRequest {
                household_id: id.clone(),
            })
            .await;
        match answer {
            Ok(_) => got_through += 1.0,
            Err(s) if s.code() == Code::ResourceExhausted => break,
            Err(s) => panic!("unexpected {s:?}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never shed; import finished: {}",
            import.is_finished()
        );
    }
    let during = scrape(admin).await;
    assert_eq!(
        per_method(&during, "xk_rpc_in_flight", "ImportHouseholds"),
        1.0,
        "the open import is in flight"
    );
    drop(tx);
    let import_code = match import.await.unwrap() {
        Ok(_) => "Ok",
        Err(s) => xk_runtime::metrics::code_name(s.code()),
    };
    let after = scrape(admin).await;

    let delta = |f: &dyn Fn(&[Sample]) -> f64| f(&after) - f(&before);
    assert_eq!(
        delta(&|s| requests(s, "GetHousehold", "Ok")),
        1.0 + got_through
    );
    assert_eq!(delta(&|s| requests(s, "GetHousehold", "NotFound")), 1.0);
    assert_eq!(
        delta(&|s| requests(s, "GetHousehold", "ResourceExhausted")),
        1.0
    );
    assert_eq!(
        delta(&|s| requests(s, "ExportHouseholds", "OutOfRange")),
        1.0,
        "the stream's code comes from its trailers"
    );
    assert_eq!(delta(&|s| requests(s, "ExportHouseholds", "Ok")), 0.0);
    assert_eq!(delta(&|s| requests(s, "CreateHousehold", "Ok")), 1.0);
    assert_eq!(
        delta(&|s| requests(s, "ImportHouseholds", import_code)),
        1.0
    );
    assert_eq!(
        delta(&|s| per_method(s, "xk_rpc_shed_total", "GetHousehold")),
        1.0
    );
    // The shed counter names the queue of the refused call: a get is a read.
    let shed_in = |class: &'static str| {
        move |s: &[Sample]| {
            let labels = [("service", "registry"), ("method", "GetHousehold")];
            value(
                s,
                "xk_rpc_shed_total",
                &[labels[0], labels[1], ("class", class)],
            )
        }
    };
    assert_eq!(delta(&shed_in("read")), 1.0);
    assert_eq!(delta(&shed_in("write")), 0.0);
    assert_eq!(
        delta(&|s| per_method(s, "xk_idempotent_replays_total", "CreateHousehold")),
        1.0
    );
    // The latency histogram counts the same calls, per code.
    for (method, code, calls) in [
        ("GetHousehold", "NotFound", 1.0),
        ("ExportHouseholds", "OutOfRange", 1.0),
        ("GetHousehold", "Ok", 1.0 + got_through),
    ] {
        let labels = [("service", "registry"), ("method", method), ("code", code)];
        assert_eq!(
            value(&after, "xk_rpc_duration_seconds", &labels)
                - value(&before, "xk_rpc_duration_seconds", &labels),
            calls,
            "{method} {code}"
        );
    }
    assert_eq!(
        per_method(&after, "xk_rpc_in_flight", "ImportHouseholds"),
        0.0
    );
    // Pool gauges are sampled at scrape time: at least the pool's one kept connection.
    let pool = value(&after, "xk_db_pool_connections", &[("service", "registry")]);
    assert!(pool >= 1.0, "pool connections {pool}");
    assert_eq!(
        value(&after, "xk_db_pool_max", &[("service", "registry")]),
        f64::from(ServeSettings::default().db_pool)
    );
    assert!(
        value(
            &after,
            "xk_db_query_duration_seconds",
            &[("service", "registry")]
        ) > 0.0,
        "statements are timed"
    );
    // One admin port shows one service's series only.
    assert!(
        after
            .iter()
            .all(|s| s.labels.get("service") == Some("registry"))
    );
    svc.stop().await.unwrap();
}

/// Every `xk_…` metric name in the dashboard's PromQL, without histogram suffixes.
fn dashboard_metric_names() -> BTreeSet<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/grafana/xiaokang-dashboard.json"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut exprs = Vec::new();
    collect_exprs(&json, &mut exprs);
    assert!(exprs.len() >= 8, "the dashboard has its panels: {exprs:?}");
    let mut names = BTreeSet::new();
    for expr in exprs {
        let mut rest = expr.as_str();
        while let Some(at) = rest.find("xk_") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let name = &tail[..end];
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name);
            names.insert(base.to_string());
            rest = &tail[end..];
        }
    }
    names
}

fn collect_exprs(json: &serde_json::Value, out: &mut Vec<String>) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr", serde_json::Value::String(expr)) => out.push(expr.clone()),
                    _ => collect_exprs(value, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_exprs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_dashboard_queries_only_metrics_the_services_export() {
    let _serial = SERIAL.lock().await;
    let wanted = dashboard_metric_names();
    let suite = TestSuite::start_with(settings_with_admin()).await.unwrap();
    // One call per service, so every per-call series exists.
    let mut registry = xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient::with_interceptor(
        suite.channel("registry").await.unwrap(),
        suite.bearer(OFFICE),
    );
    create(
        &mut registry,
        "dash-1",
        household(1, V1, 2, ArchiveStatus::Poor),
    )
    .await
    .unwrap();
    create(
        &mut registry,
        "dash-1",
        household(1, V1, 2, ArchiveStatus::Poor),
    )
    .await
    .unwrap();
    let mut exported = BTreeSet::new();
    for name in [
        "registry",
        "education",
        "health",
        "housing",
        "water",
        "aggregator",
    ] {
        let admin = suite.admin_addr(name).expect("admin listener");
        let (status, _) = admin_get(admin, "/readyz").await.unwrap();
        assert_eq!(status, 200, "{name} ready");
        for sample in scrape(admin).await {
            let base = ["_sum", "_count"]
                .iter()
                .find_map(|suffix| sample.metric.strip_suffix(suffix))
                .unwrap_or(&sample.metric)
                .to_string();
            exported.insert(base);
        }
    }
    let missing: Vec<_> = wanted.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "the dashboard queries {missing:?}, which no service exports (exported: {exported:?})"
    );
    suite.stop().await.unwrap();
}

#[tokio::test]
async fn registry_households_gauge_follows_the_archive() {
    let _serial = SERIAL.lock().await;
    let svc = TestService::start_with(
        xk_registry::SPEC,
        ServeSettings {
            gauge_interval_ms: 100,
            ..settings_with_admin()
        },
    )
    .await
    .unwrap();
    let admin = svc.hosted.admin_addr.expect("admin listener");
    let mut c = client(&svc, OFFICE).await;
    for n in 0..3 {
        let request_id = format!("g{n}");
        create(
            &mut c,
            &request_id,
            household(n, V1, 2, ArchiveStatus::Poor),
        )
        .await
        .unwrap();
    }
    create(&mut c, "g9", household(9, V1, 2, ArchiveStatus::Exited))
        .await
        .unwrap();
    let households = |samples: &[Sample], status: &str| {
        value(
            samples,
            "xk_registry_households",
            &[("service", "registry"), ("status", status)],
        )
    };
    // Refreshed on its interval, so the new counts appear within a few rounds.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let samples = scrape(admin).await;
        if households(&samples, "poor") == 3.0 && households(&samples, "exited") == 1.0 {
            assert_eq!(households(&samples, "monitored"), 0.0);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "poor {} exited {}",
            households(&samples, "poor"),
            households(&samples, "exited")
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn the_rollup_merger_counts_its_rounds_on_postgresql_only() {
    let _serial = SERIAL.lock().await;
    let svc = TestService::start_with(xk_registry::SPEC, settings_with_admin())
        .await
        .unwrap();
    let admin = svc.hosted.admin_addr.expect("admin listener");
    let rounds = |samples: &[Sample], outcome: &str| {
        value(
            samples,
            "xk_rollup_merges_total",
            &[("service", "registry"), ("outcome", outcome)],
        )
    };
    let before = scrape(admin).await;
    let mut c = client(&svc, OFFICE).await;
    create(&mut c, "m1", household(1, V1, 2, ArchiveStatus::Poor))
        .await
        .unwrap();
    // The gauge of what a round left pending, present only where a merger runs.
    let pending = |samples: &[Sample]| {
        samples
            .iter()
            .find(|s| {
                s.metric == "xk_rollup_pending_deltas"
                    && s.labels.get("service") == Some("registry")
            })
            .map(|s| match s.value {
                Value::Gauge(v) => v,
                _ => f64::NAN,
            })
    };
    if svc.hosted.db().backend() != sea_orm::DbBackend::Postgres {
        // SQLite adds into the totals in place: no merger runs, no round is counted.
        let after = scrape(admin).await;
        assert_eq!(rounds(&after, "ok"), rounds(&before, "ok"));
        assert_eq!(rounds(&after, "ok"), 0.0);
        assert_eq!(pending(&after), None);
        svc.stop().await.unwrap();
        return;
    }
    // The write wakes the merger, which merges within a round.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let samples = scrape(admin).await;
        // The round the write woke merges its deltas and leaves nothing pending (an idle
        // round that ran just before the commit may have counted them still there).
        if rounds(&samples, "ok") > rounds(&before, "ok") && pending(&samples) == Some(0.0) {
            assert_eq!(rounds(&samples, "failed"), rounds(&before, "failed"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no merge round counted with nothing left pending (pending {:?})",
            pending(&samples)
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(svc.hosted.db().verify_rollups().await.unwrap().is_empty());
    svc.stop().await.unwrap();
}

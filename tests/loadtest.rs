//! The load-test engine against the whole suite in-process: a bounded count of requests
//! of the default mix (every operation), then the books must balance.

use std::time::Duration;

use xiaokang::loadtest::engine::Load;
use xiaokang::loadtest::mix::{Mix, Op};
use xiaokang::loadtest::{Config, Quiet};
use xiaokang::testing::TestSuite;

/// Requests the run makes (a count, not a time: the assertion does not depend on speed).
const REQUESTS: u64 = 270;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_run_of_the_default_mix_is_all_ok_and_adds_up() {
    let suite = TestSuite::start().await.expect("suite starts");
    let mix = Mix::default();
    let cfg = Config {
        addrs: suite.suite.addrs(),
        tokens: suite.tokens.clone(),
        mix: mix.clone(),
        load: Load::Concurrency(4),
        // Generous: the count ends the run, not the clock.
        duration: Duration::from_secs(300),
        max_requests: REQUESTS,
        timeout: Duration::from_secs(30),
        connections: 1,
        households: 30,
        max_in_flight: 64,
        step: None,
        watch_pids: vec![std::process::id()],
        run_id: xiaokang::loadtest::new_run_id(),
        resolve: Default::default(),
    };
    let report = xiaokang::loadtest::run(&cfg, &Quiet)
        .await
        .expect("load test runs");
    let run = report.run.as_ref().expect("a single phase");

    assert_eq!(report.planted_households, 30);
    assert_eq!(run.calls, REQUESTS, "every request was made and recorded");
    let per_rpc: u64 = run.rpcs.iter().map(|r| r.calls).sum();
    assert_eq!(per_rpc, REQUESTS, "counts per RPC add up to the total");
    for r in &run.rpcs {
        let by_code: u64 = r.codes.values().sum();
        assert_eq!(by_code, r.calls, "{}: status counts add up", r.rpc);
        assert_eq!(
            r.codes.keys().collect::<Vec<_>>(),
            vec![&"OK"],
            "{}: every call OK, got {:?}",
            r.rpc,
            r.codes
        );
        assert!(r.latency.max_ms > 0.0 && r.latency.p50_ms <= r.latency.max_ms);
    }
    assert_eq!(run.errors, 0);
    // With 270 requests every operation of the default mix is drawn.
    let ops: Vec<Op> = run.rpcs.iter().map(|r| r.op).collect();
    assert_eq!(ops, mix.ops().collect::<Vec<_>>());
    // The JSON carries the same counts.
    let json = serde_json::to_value(&report).expect("report serializes");
    assert_eq!(json["run"]["calls"], REQUESTS);
    // This process was watched.
    assert_eq!(report.memory.len(), 1);
    assert!(report.memory[0].peak_rss_mb > 0.0);
    suite.stop().await.expect("suite stops");
}

/// Step mode makes, per step, exactly rate × duration requests at a rising rate (counts,
/// not timings: the p99 bound is set out of reach).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_mode_raises_the_rate_and_reports_every_step() {
    let suite = TestSuite::start().await.expect("suite starts");
    let cfg = Config {
        addrs: suite.suite.addrs(),
        tokens: suite.tokens.clone(),
        mix: Mix::parse("get=3,update=1,summary=1").expect("mix"),
        load: Load::Rate(20.0),
        duration: Duration::from_secs(1),
        max_requests: 1_000,
        timeout: Duration::from_secs(30),
        connections: 1,
        households: 10,
        max_in_flight: 64,
        step: Some(xiaokang::loadtest::StepConfig {
            factor: 1.5,
            max_steps: 2,
            p99_bound_ms: 60_000.0,
            steps_past: 0,
            retries: 0,
        }),
        watch_pids: vec![],
        run_id: xiaokang::loadtest::new_run_id(),
        resolve: Default::default(),
    };
    let report = xiaokang::loadtest::run(&cfg, &Quiet)
        .await
        .expect("step run");
    assert!(report.run.is_none());
    assert!(!report.steps.is_empty() && report.steps.len() <= 2);
    let expected = [20u64, 30];
    for (s, want) in report.steps.iter().zip(expected) {
        assert_eq!(s.summary.target_rate, Some(want as f64));
        assert_eq!(s.summary.calls, want, "open loop issues rate × duration");
        assert_eq!(s.summary.errors, 0, "{:?}", s.summary.rpcs);
    }
    // Every step sustained (or fell behind on a slow machine): the answer is consistent.
    let all_sustained = report
        .steps
        .iter()
        .all(|s| s.verdict == xiaokang::loadtest::schedule::Verdict::Sustained);
    if all_sustained {
        assert_eq!(report.steps.len(), 2);
        assert_eq!(report.sustainable_rate, Some(30.0));
    }
    suite.stop().await.expect("suite stops");
}

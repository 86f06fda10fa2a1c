//! Unary writes and the open-loop rate in `bench all`, through the load test's own engine
//! against the whole suite started in this process (as `tests/loadtest.rs` does):
//!
//! - each of RecordIncome (registry), SettleCase (health) and RecordAssessment (water)
//!   alone at concurrency 64 for the run's seconds, against the goal rate for the
//!   database (5,000/s on SQLite with synchronous=FULL, 3,000/s on PostgreSQL) and p99 ≤
//!   20 ms;
//! - the default mix at a constant arrival rate of 3,000/s, against that rate (only OK
//!   calls count) with p99 ≤ 250 ms;
//! - the default mix at twice that rate (overload): the calls refused with
//!   RESOURCE_EXHAUSTED must answer within p99 ≤ 50 ms and the calls taken on within p99 ≤
//!   250 ms.
//!
//! These rows have no machine baseline: the "baseline" is the goal itself, so the ratio
//! reads as the share of the goal reached.

use std::time::Duration;

use xk_runtime::ServeSettings;

use super::all::{AllBenchArgs, Goal, Row, RowsFuture};
use crate::loadtest::engine::Load;
use crate::loadtest::mix::Mix;
use crate::loadtest::stats::PhaseSummary;
use crate::loadtest::{Config, Quiet};
use crate::testing::{TestDb, TestSuite};

/// Calls in flight in the unary-write rows.
const WRITE_CONCURRENCY: usize = 64;

/// The arrival rate of the open-loop row.
const OPEN_LOOP_RATE: f64 = 3_000.0;

/// Households the warm-up plants for the writes to work on.
const PLANTED: u32 = 200;

/// The goal rate of one kind of unary write on `kind`.
fn write_goal_rate(kind: TestDb) -> f64 {
    match kind {
        TestDb::Sqlite => 5_000.0,
        TestDb::Postgres => 3_000.0,
    }
}

/// One load-test phase of `mix` under `load` against `suite`.
pub(super) async fn phase(
    suite: &TestSuite,
    mix: &str,
    load: Load,
    seconds: u64,
) -> anyhow::Result<PhaseSummary> {
    let cfg = Config {
        addrs: suite.suite.addrs(),
        tokens: suite.tokens.clone(),
        mix: Mix::parse(mix).map_err(anyhow::Error::msg)?,
        load,
        duration: Duration::from_secs(seconds),
        max_requests: u64::MAX,
        timeout: Duration::from_secs(5),
        connections: 2,
        households: PLANTED,
        max_in_flight: 4_096,
        step: None,
        watch_pids: Vec::new(),
        run_id: crate::loadtest::new_run_id(),
        resolve: Default::default(),
    };
    let report = crate::loadtest::run(&cfg, &Quiet).await?;
    report
        .run
        .ok_or_else(|| anyhow::anyhow!("the load test returned no phase"))
}

/// Calls per second that answered OK.
pub(super) fn ok_rate(p: &PhaseSummary) -> f64 {
    let ok: u64 = p
        .rpcs
        .iter()
        .map(|r| r.codes.get("OK").copied().unwrap_or(0))
        .sum();
    ok as f64 / p.seconds.max(f64::MIN_POSITIVE)
}

/// The unary-write rows and the open-loop row on one database.
pub fn write_rows(kind: TestDb, args: &AllBenchArgs) -> RowsFuture<'_> {
    Box::pin(async move {
        let database = match kind {
            TestDb::Sqlite => "sqlite",
            TestDb::Postgres => "postgres",
        };
        let suite = TestSuite::start_as(kind, ServeSettings::default()).await?;
        let goal_rate = write_goal_rate(kind);
        let mut rows = Vec::new();
        for (op, subject) in [
            ("update", "RecordIncome"),
            ("settle", "SettleCase"),
            ("assess", "RecordAssessment"),
        ] {
            let p = phase(
                &suite,
                &format!("{op}=1"),
                Load::Concurrency(WRITE_CONCURRENCY),
                args.seconds,
            )
            .await?;
            rows.push(Row {
                database,
                what: "write",
                unit: "calls",
                baseline: "goal rate, c64",
                baseline_rate: goal_rate,
                subject,
                subject_rate: ok_rate(&p),
                subject_p99_ms: Some(p.overall.p99_ms),
                baseline_p99_ms: None,
                transport: "-",
                goal: Goal {
                    max_p99_ms: Some(20.0),
                    ..Goal::ratio(1.0)
                },
                cpu: p.cpu,
            });
        }
        let p = phase(
            &suite,
            crate::loadtest::mix::DEFAULT_MIX,
            Load::Rate(OPEN_LOOP_RATE),
            args.seconds,
        )
        .await?;
        rows.push(Row {
            database,
            what: "rate",
            unit: "calls",
            baseline: "arrival rate, mix",
            baseline_rate: OPEN_LOOP_RATE,
            subject: "OK answers",
            subject_rate: ok_rate(&p),
            subject_p99_ms: Some(p.overall.p99_ms),
            baseline_p99_ms: None,
            transport: "-",
            goal: Goal {
                max_p99_ms: Some(250.0),
                ..Goal::ratio(0.99)
            },
            cpu: p.cpu,
        });
        let p = phase(
            &suite,
            crate::loadtest::mix::DEFAULT_MIX,
            Load::Rate(2.0 * OPEN_LOOP_RATE),
            args.seconds,
        )
        .await?;
        let secs = p.seconds.max(f64::MIN_POSITIVE);
        let overload = |subject, calls: u64, p99_ms, max_p99_ms| Row {
            database,
            what: "overload",
            unit: "calls",
            baseline: "2x arrival rate, mix",
            baseline_rate: 2.0 * OPEN_LOOP_RATE,
            subject,
            subject_rate: calls as f64 / secs,
            subject_p99_ms: Some(p99_ms),
            baseline_p99_ms: None,
            transport: "-",
            goal: Goal {
                max_p99_ms: Some(max_p99_ms),
                ..Goal::ratio(0.0)
            },
            cpu: None,
        };
        rows.push(overload(
            "refused calls",
            p.refused_calls,
            p.refused.p99_ms,
            50.0,
        ));
        rows.push(overload(
            "accepted calls",
            p.calls - p.refused_calls,
            p.accepted.p99_ms,
            250.0,
        ));
        suite.stop().await?;
        Ok(rows)
    })
}

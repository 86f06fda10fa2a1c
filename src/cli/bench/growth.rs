//! `xiaokang bench growth`: how GetSummary's latency grows with the county, at about
//! 50,000, 500,000 and 1,000,000 people (scales 1, 10, 20 of the demo county), each size
//! loaded through the public RPCs into a fresh suite. Prints time per size and the
//! growth factor against the size factor, so the slope is visible (goal: ≤ 1 s at
//! 1,000,000 people on PostgreSQL, growth no worse than linear).

use std::process::ExitCode;
use std::time::Instant;

use tonic::codegen::InterceptedService;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::{GetSummaryRequest, ListAtRiskHouseholdsRequest};
use xk_contracts::pb::common::v1::RegionLevel;
use xk_runtime::{Principal, ServeSettings};

use super::measure::{Summary, time_calls};
use crate::demo::load::{self, Progress};
use crate::demo::{County, county_today, published};
use crate::testing::{TestDb, TestSuite};

/// Largest message either way (village-level answers of a large county are big).
const MAX_MESSAGE: usize = 256 << 20;

/// Options of the growth benchmark.
#[derive(Debug, clap::Args)]
pub struct GrowthBenchArgs {
    /// `postgres` (default) or `sqlite`.
    #[arg(long, default_value = "postgres")]
    pub database: String,
    /// Sizes as multiples of the demo county (1 ≈ 50,000 people), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,10,20")]
    pub scales: Vec<u32>,
    /// Timed GetSummary calls per size, one after the other.
    #[arg(long, default_value_t = 20)]
    pub calls: u32,
    /// Print one JSON array instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// One size's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SizeRow {
    /// Multiple of the demo county.
    pub scale: u32,
    /// Archive people at this size.
    pub people: i64,
    /// Seconds the load took.
    pub load_s: f64,
    /// GetSummary p50 (ms).
    pub summary_p50_ms: f64,
    /// GetSummary p99 (ms).
    pub summary_p99_ms: f64,
    /// One whole ListAtRiskHouseholds walk of the county (ms).
    pub at_risk_ms: f64,
    /// Households it listed.
    pub at_risk_households: u64,
}

async fn one_size(kind: TestDb, scale: u32, calls: u32) -> anyhow::Result<SizeRow> {
    let settings = ServeSettings {
        max_message_bytes: MAX_MESSAGE,
        max_call_ms: 600_000,
        ..ServeSettings::default()
    };
    let suite = TestSuite::start_as(kind, settings).await?;
    let county = County::generate_scaled(
        crate::demo::DEFAULT_SEED,
        county_today(),
        published::COUNTY,
        scale,
    );
    let people: i64 = county
        .households
        .iter()
        .filter(|h| h.status != xk_contracts::pb::registry::v1::ArchiveStatus::MonitoredOnly as i32)
        .map(|h| h.members.iter().filter(|m| m.removed_on.is_none()).count() as i64)
        .sum();
    eprintln!("scale {scale}: loading {people} archive people …");
    let started = Instant::now();
    load::load(&county, &suite.suite.addrs(), &suite.tokens, Progress::Bars).await?;
    let load_s = started.elapsed().as_secs_f64();
    drop(county);
    let c = AggregatorServiceClient::new(InterceptedService::new(
        crate::client::channel(&suite.url("aggregator"))?,
        suite.bearer(Principal::Aggregator),
    ))
    .max_decoding_message_size(MAX_MESSAGE);
    let r = GetSummaryRequest {
        region_prefix: published::COUNTY.into(),
        as_of: None,
        year: published::YEAR,
        group_by: RegionLevel::Township as i32,
        latest_year_with_data: false,
    };
    let s: Summary = time_calls(calls, || {
        let (mut c, r) = (c.clone(), r.clone());
        async move {
            let mut req = tonic::Request::new(r);
            req.set_timeout(std::time::Duration::from_secs(60));
            let s = c.get_summary(req).await?.into_inner();
            match s.summary {
                Some(s) if s.complete => Ok(()),
                _ => Err(tonic::Status::internal(
                    "a section was unavailable during the benchmark",
                )),
            }
        }
    })
    .await?;
    // One whole at-risk walk, streamed to the end (the county's 290 villages, one at a time).
    let started = Instant::now();
    let mut req = tonic::Request::new(ListAtRiskHouseholdsRequest {
        region_prefix: published::COUNTY.into(),
        year: published::YEAR,
        ..Default::default()
    });
    req.set_timeout(std::time::Duration::from_secs(600));
    let mut stream = c.clone().list_at_risk_households(req).await?.into_inner();
    let mut at_risk_households = 0u64;
    while let Some(msg) = stream.message().await? {
        at_risk_households += msg.households.len() as u64;
        anyhow::ensure!(
            msg.unavailable.is_empty(),
            "a signal was unavailable during the benchmark"
        );
    }
    let at_risk_ms = started.elapsed().as_secs_f64() * 1_000.0;
    suite.stop().await?;
    let row = SizeRow {
        scale,
        people,
        load_s,
        summary_p50_ms: s.p50_ms,
        summary_p99_ms: s.p99_ms,
        at_risk_ms,
        at_risk_households,
    };
    eprintln!("{}", serde_json::to_string(&row)?);
    Ok(row)
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: GrowthBenchArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.database.as_str() {
        "sqlite" => TestDb::Sqlite,
        "postgres" | "postgresql" => TestDb::Postgres,
        other => anyhow::bail!("--database must be sqlite or postgres, got {other}"),
    };
    let mut rows = Vec::new();
    let mut scales = args.scales.clone();
    scales.sort_unstable();
    for scale in scales {
        rows.push(one_size(kind, scale, args.calls).await?);
    }
    if args.json {
        println!("{}", serde_json::to_string(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "\nGetSummary growth ({}, county 420625 grown by the scale, by township, {} sequential calls per size)",
        args.database, args.calls
    );
    println!(
        "  {:>6} {:>10} {:>9} {:>10} {:>10} {:>12} {:>12} {:>13} {:>10}",
        "scale", "people", "load s", "p50 ms", "p99 ms", "size ×", "p50 ×", "at-risk ms", "at-risk"
    );
    let first = rows.first().cloned();
    for r in &rows {
        let (size_x, time_x) = first.as_ref().map_or((1.0, 1.0), |f| {
            (
                r.people as f64 / f.people.max(1) as f64,
                r.summary_p50_ms / f.summary_p50_ms.max(0.001),
            )
        });
        println!(
            "  {:>6} {:>10} {:>9.1} {:>10.1} {:>10.1} {:>12.1} {:>12.1} {:>13.0} {:>10}",
            r.scale,
            r.people,
            r.load_s,
            r.summary_p50_ms,
            r.summary_p99_ms,
            size_x,
            time_x,
            r.at_risk_ms,
            r.at_risk_households
        );
    }
    if let Some(last) = rows.last() {
        println!(
            "  at {} people: p50 {:.0} ms (goal <= 1,000 ms: {})",
            last.people,
            last.summary_p50_ms,
            if last.summary_p50_ms <= 1_000.0 {
                "met"
            } else {
                "NOT met"
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

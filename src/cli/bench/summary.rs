//! `xiaokang bench summary`: the demo county loaded into the whole suite, then
//! GetSummary's latency against the five SummarizeByRegion calls it makes, each timed on
//! its own. The goal: the aggregator adds less than the slowest of them (the fan-out is
//! truly parallel), and GetSummary p50 ≤ 50 ms for the demo county.

use std::process::ExitCode;

use xk_contracts::pb::aggregator::v1::GetSummaryRequest;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_runtime::ServeSettings;

use super::measure::{Summary, time_calls};
use super::parts::{Parts, svc};
use crate::demo::load::Progress;
use crate::demo::{County, county_today, published, run};
use crate::testing::{TestDb, TestSuite};

/// Largest answer accepted (a village-level summary is large).
const MAX_MESSAGE: usize = 64 << 20;

/// Options of the summary benchmark.
#[derive(Debug, clap::Args)]
pub struct SummaryBenchArgs {
    /// `sqlite` (default) or `postgres` (XK_TEST_PG_URL, default the local server).
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Timed calls of each kind, one after the other.
    #[arg(long, default_value_t = 200)]
    pub calls: u32,
    /// Group by township (default) or village.
    #[arg(long, default_value = "township")]
    pub group_by: String,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// What one summary benchmark run measured.
pub struct Measured {
    /// Seconds the demo county took to load.
    pub load_s: f64,
    /// Each SummarizeByRegion on its own, in the order registry, education, health,
    /// housing, water.
    pub parts: [(&'static str, Summary); 5],
    /// The five made at once by one client.
    pub parallel: Summary,
    /// GetSummary through the aggregator.
    pub agg: Summary,
}

/// Loads the demo county into a fresh suite on `kind` and times the calls.
pub async fn measure(kind: TestDb, calls: u32, group_by: i32) -> anyhow::Result<Measured> {
    let settings = ServeSettings {
        max_message_bytes: MAX_MESSAGE,
        ..ServeSettings::default()
    };
    let suite = TestSuite::start_as(kind, settings).await?;
    let county = County::generate(crate::demo::DEFAULT_SEED, county_today());
    let outcome =
        run::load_and_check(&county, &suite.suite.addrs(), &suite.tokens, Progress::Bars).await?;
    let load_s = outcome.load.as_ref().map_or(0.0, |l| l.seconds);
    anyhow::ensure!(
        outcome.figures.iter().all(|f| f.holds()),
        "the demo county did not load as published:\n{}",
        crate::demo::check::table(&outcome.figures)
    );
    let parts = Parts::new(&suite, group_by)?;
    let each = parts.each(calls).await?;
    let parallel = parts.all_at_once(calls).await?;
    let c = AggregatorServiceClient::new(svc(&suite, "aggregator")?)
        .max_decoding_message_size(MAX_MESSAGE);
    let r = GetSummaryRequest {
        region_prefix: published::COUNTY.to_string(),
        as_of: Some(xk_contracts::convert::date_to_pb(county_today())),
        year: published::YEAR,
        group_by,
        latest_year_with_data: false,
    };
    let agg = time_calls(calls, || {
        let (mut c, r) = (c.clone(), r.clone());
        async move {
            let s = c.get_summary(r).await?.into_inner();
            if s.summary.is_some_and(|s| s.complete) {
                Ok(())
            } else {
                Err(tonic::Status::internal(
                    "a section was unavailable during the benchmark",
                ))
            }
        }
    })
    .await?;
    suite.stop().await?;
    Ok(Measured {
        load_s,
        parts: each,
        parallel,
        agg,
    })
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: SummaryBenchArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.database.as_str() {
        "sqlite" => TestDb::Sqlite,
        "postgres" | "postgresql" => TestDb::Postgres,
        other => anyhow::bail!("--database must be sqlite or postgres, got {other}"),
    };
    let group_by = match args.group_by.as_str() {
        "township" => RegionLevel::Township,
        "village" => RegionLevel::Village,
        "county" => RegionLevel::County,
        other => anyhow::bail!("--group-by must be township, village or county, got {other}"),
    } as i32;
    let n = args.calls;
    let Measured {
        load_s,
        parts,
        parallel,
        agg,
    } = measure(kind, n, group_by).await?;

    let slowest = parts.iter().map(|(_, s)| s.p50_ms).fold(0.0, f64::max);
    let sum: f64 = parts.iter().map(|(_, s)| s.p50_ms).sum();
    let overhead = agg.p50_ms - slowest;
    if args.json {
        let mut v = serde_json::json!({
            "database": args.database,
            "group_by": args.group_by,
            "calls": n,
            "load_seconds": load_s,
            "get_summary": {"p50_ms": agg.p50_ms, "p99_ms": agg.p99_ms, "max_ms": agg.max_ms},
            "slowest_p50_ms": slowest,
            "sum_p50_ms": sum,
            "aggregator_overhead_p50_ms": overhead,
            "all_five_at_once": {"p50_ms": parallel.p50_ms, "p99_ms": parallel.p99_ms, "max_ms": parallel.max_ms},
            "aggregator_over_client_join_p50_ms": agg.p50_ms - parallel.p50_ms,
        });
        for (name, s) in &parts {
            v[*name] =
                serde_json::json!({"p50_ms": s.p50_ms, "p99_ms": s.p99_ms, "max_ms": s.max_ms});
        }
        println!("{v}");
    } else {
        println!(
            "\nGetSummary vs its five SummarizeByRegion calls ({}, demo county {} / {} people, group by {}, {n} sequential calls each)",
            args.database,
            published::COUNTY,
            published::ARCHIVE_PEOPLE,
            args.group_by
        );
        println!("  demo county load: {load_s:.1} s");
        println!(
            "  {:<28} {:>9} {:>9} {:>9}",
            "call", "p50 ms", "p99 ms", "max ms"
        );
        for (name, s) in &parts {
            println!(
                "  {:<28} {:>9.2} {:>9.2} {:>9.2}",
                format!("{name}.SummarizeByRegion"),
                s.p50_ms,
                s.p99_ms,
                s.max_ms
            );
        }
        println!(
            "  {:<28} {:>9.2} {:>9.2} {:>9.2}",
            "all five at once (client)", parallel.p50_ms, parallel.p99_ms, parallel.max_ms
        );
        println!(
            "  {:<28} {:>9.2} {:>9.2} {:>9.2}",
            "aggregator.GetSummary", agg.p50_ms, agg.p99_ms, agg.max_ms
        );
        println!(
            "  slowest part p50 {slowest:.2} ms, sum of parts p50 {sum:.2} ms; the aggregator adds {overhead:.2} ms \
             ({}: goal < slowest part), {:.2} ms over the same five calls joined by a client; \
             GetSummary p50 goal <= 50 ms: {}",
            if overhead < slowest { "met" } else { "NOT met" },
            agg.p50_ms - parallel.p50_ms,
            if agg.p50_ms <= 50.0 { "met" } else { "NOT met" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

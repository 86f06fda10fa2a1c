//! `xiaokang bench growth`: how GetSummary's latency grows with the data, and what keeping
//! the per-village running totals (rollups) costs the writes.
//!
//! Sizes are multiples of the demo county (1 ≈ 50,000 people; default 1, 20 and 200), each
//! loaded through the public import RPCs into a fresh suite (with `--bulk`, into services
//! started for a bulk load and then started again normally: `ServeSettings::bulk_load`). The county is grown in place
//! (the same 290 villages, each larger), and GetSummary takes at most a county prefix (6
//! digits, by contract), so the county is the whole data set. Per size it times
//! GetSummary for the county by township (the dispatch meeting's view), for one township
//! by village, and for the whole data set as one total, and one whole at-risk walk.
//!
//! The write cost is measured at the smallest size, in the same run: the county loaded and
//! the three unary writes (RecordIncome, SettleCase, RecordAssessment, concurrency 64)
//! driven once without rollups (`XK_ROLLUPS=false`) and once with them, each into a fresh
//! suite, in `--write-runs` such pairs. Goal: with rollups ≥ 0.85 of without, judged on
//! the median of the pairs' ratios (a county load takes 4 s on two cores, and one pair's
//! import ratio ranged 0.85–0.90 between runs of one build).

use std::process::ExitCode;
use std::time::Instant;

use tonic::codegen::InterceptedService;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::{GetSummaryRequest, ListAtRiskHouseholdsRequest};
use xk_contracts::pb::common::v1::RegionLevel;
use xk_runtime::{Principal, ServeSettings};

use super::measure::{Summary, time_calls};
use super::overhead::median;
use super::parts::Parts;
use super::writes::{ok_rate, phase};
use crate::demo::load::{self, Progress};
use crate::demo::{County, county_today, published};
use crate::loadtest::engine::Load;
use crate::testing::{TestDb, TestSuite};

/// Largest message either way (village-level answers of a large county are big).
const MAX_MESSAGE: usize = 256 << 20;

/// The township timed alone (城关镇).
const TOWNSHIP: &str = "420625100";

/// Calls in flight in the write-cost runs (as `bench all`'s unary-write rows).
const WRITE_CONCURRENCY: usize = 64;

/// The share of the writes' throughput without rollups that they must keep with them.
const WRITE_COST_GOAL: f64 = 0.85;

/// Options of the growth benchmark.
#[derive(Debug, clap::Args)]
pub struct GrowthBenchArgs {
    /// `postgres` (default) or `sqlite`.
    #[arg(long, default_value = "postgres")]
    pub database: String,
    /// Sizes as multiples of the demo county (1 ≈ 50,000 people), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,20,200")]
    pub scales: Vec<u32>,
    /// Timed calls of each GetSummary per size, one after the other.
    #[arg(long, default_value_t = 20)]
    pub calls: u32,
    /// Seconds of each unary write in the write-cost runs (0 skips the write cost).
    #[arg(long, default_value_t = 5)]
    pub write_seconds: u64,
    /// Pairs of write-cost runs (without, then with rollups); the goal is judged on the
    /// median of their ratios.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub write_runs: u32,
    /// Keep no rollups in the growth runs (the summaries then read the rows: the
    /// "before" figures).
    #[arg(long)]
    pub without_rollups: bool,
    /// Load each size through the bulk path (see `ServeSettings::bulk_load`): the import
    /// RPCs into services that do not sync and keep no rollups, then a restart with the
    /// normal settings, which builds the rollups from the rows. The load time includes
    /// the restart. The write-cost runs always load the normal way.
    #[arg(long)]
    pub bulk: bool,
    /// Print one JSON object instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// GetSummary timings of one request.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Timing {
    /// p50 (ms).
    pub p50_ms: f64,
    /// p99 (ms).
    pub p99_ms: f64,
}

impl From<Summary> for Timing {
    fn from(s: Summary) -> Timing {
        Timing {
            p50_ms: s.p50_ms,
            p99_ms: s.p99_ms,
        }
    }
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
    /// Seconds each service's part of the load took (they load side by side): which one
    /// the load waited for.
    pub load_s_by_service: Vec<(&'static str, f64)>,
    /// The county by township.
    pub county: Timing,
    /// The county by township, each service's SummarizeByRegion alone (the five calls
    /// GetSummary makes side by side): which service a slower summary waits for.
    pub county_by_service: Vec<(&'static str, Timing)>,
    /// One township by village.
    pub township: Timing,
    /// The whole data set as one total.
    pub whole: Timing,
    /// One whole ListAtRiskHouseholds walk of the county (ms).
    pub at_risk_ms: f64,
    /// Households it listed.
    pub at_risk_households: u64,
}

/// One side of the write-cost comparison.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WriteSide {
    /// Which pair of runs it belongs to (from 0).
    pub run: u32,
    /// Whether the rollups were kept.
    pub rollups: bool,
    /// Archive people loaded per second through the import RPCs.
    pub import_people_per_s: f64,
    /// OK calls per second of RecordIncome, SettleCase, RecordAssessment (c64).
    pub unary_per_s: [f64; 3],
    /// Their p99 (ms).
    pub unary_p99_ms: [f64; 3],
}

/// The unary writes of the write-cost runs: (load-test op, RPC).
const WRITES: [(&str, &str); 3] = [
    ("update", "RecordIncome"),
    ("settle", "SettleCase"),
    ("assess", "RecordAssessment"),
];

fn settings(rollups: bool) -> ServeSettings {
    ServeSettings {
        max_message_bytes: MAX_MESSAGE,
        // One import stream carries a whole service's data: at 200x health's 9.9 million
        // enrolments ran past a 10-minute bound (at about 4,200 a second), so the bound is
        // an hour; the summaries measured are timed by the benchmark, not by this bound.
        max_call_ms: 3_600_000,
        rollups,
        ..ServeSettings::default()
    }
}

/// The county grown `scale` times and its archive people.
fn county(scale: u32) -> (County, i64) {
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
    (county, people)
}

/// A suite holding the county grown `scale` times.
struct Loaded {
    suite: TestSuite,
    /// Archive people loaded.
    people: i64,
    /// Seconds the load took.
    seconds: f64,
    /// Seconds each service's part took.
    by_service: Vec<(&'static str, f64)>,
}

/// Starts a suite and loads the county grown `scale` times; `bulk`: through the bulk path
/// (a first start for loading only, then a normal one), timed up to the second start's
/// readiness.
async fn loaded(kind: TestDb, scale: u32, rollups: bool, bulk: bool) -> anyhow::Result<Loaded> {
    let first = if bulk {
        ServeSettings {
            bulk_load: true,
            rollups: false,
            ..settings(rollups)
        }
    } else {
        settings(rollups)
    };
    let suite = TestSuite::start_as(kind, first).await?;
    let (county, people) = county(scale);
    let path = if bulk { "bulk path" } else { "import RPCs" };
    eprintln!("scale {scale} (rollups {rollups}): loading {people} archive people ({path}) …");
    let started = Instant::now();
    let report = load::load(&county, &suite.suite.addrs(), &suite.tokens, Progress::Bars).await?;
    let mut by_service: Vec<(&'static str, f64)> = report
        .services
        .iter()
        .map(|&(name, _, s)| (name, s))
        .collect();
    let suite = if bulk {
        let restarting = Instant::now();
        let suite = suite.restart(settings(rollups)).await?;
        by_service.push(("restart", restarting.elapsed().as_secs_f64()));
        suite
    } else {
        suite
    };
    let seconds = started.elapsed().as_secs_f64();
    Ok(Loaded {
        suite,
        people,
        seconds,
        by_service,
    })
}

async fn one_size(kind: TestDb, scale: u32, args: &GrowthBenchArgs) -> anyhow::Result<SizeRow> {
    let Loaded {
        suite,
        people,
        seconds: load_s,
        by_service: load_s_by_service,
    } = loaded(kind, scale, !args.without_rollups, args.bulk).await?;
    let c = AggregatorServiceClient::new(InterceptedService::new(
        crate::client::channel(&suite.url("aggregator"))?,
        suite.bearer(Principal::Aggregator),
    ))
    .max_decoding_message_size(MAX_MESSAGE);
    let timed = async |prefix: &str, level: RegionLevel| -> anyhow::Result<Timing> {
        let r = GetSummaryRequest {
            region_prefix: prefix.into(),
            as_of: None,
            year: published::YEAR,
            group_by: level as i32,
            latest_year_with_data: false,
        };
        let s: Summary = time_calls(args.calls, || {
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
        Ok(Timing::from(s))
    };
    let county = timed(published::COUNTY, RegionLevel::Township).await?;
    let county_by_service = Parts::new(&suite, RegionLevel::Township as i32)?
        .each(args.calls)
        .await?
        .map(|(name, s)| (name, Timing::from(s)))
        .to_vec();
    let township = timed(TOWNSHIP, RegionLevel::Village).await?;
    let whole = timed(published::COUNTY, RegionLevel::County).await?;
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
        load_s_by_service,
        county,
        county_by_service,
        township,
        whole,
        at_risk_ms,
        at_risk_households,
    };
    eprintln!("{}", serde_json::to_string(&row)?);
    Ok(row)
}

/// The county loaded and the unary writes driven, with or without rollups.
async fn write_side(
    kind: TestDb,
    scale: u32,
    (run, rollups): (u32, bool),
    seconds: u64,
) -> anyhow::Result<WriteSide> {
    let Loaded {
        suite,
        people,
        seconds: load_s,
        ..
    } = loaded(kind, scale, rollups, false).await?;
    let mut side = WriteSide {
        run,
        rollups,
        import_people_per_s: people as f64 / load_s.max(f64::MIN_POSITIVE),
        unary_per_s: [0.0; 3],
        unary_p99_ms: [0.0; 3],
    };
    for (i, (op, _)) in WRITES.iter().enumerate() {
        let p = phase(
            &suite,
            &format!("{op}=1"),
            Load::Concurrency(WRITE_CONCURRENCY),
            seconds,
        )
        .await?;
        side.unary_per_s[i] = ok_rate(&p);
        side.unary_p99_ms[i] = p.overall.p99_ms;
    }
    suite.stop().await?;
    eprintln!("{}", serde_json::to_string(&side)?);
    Ok(side)
}

/// Everything one run measured.
#[derive(Debug, serde::Serialize)]
struct Report {
    database: String,
    sizes: Vec<SizeRow>,
    write_cost: Vec<WriteSide>,
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: GrowthBenchArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.database.as_str() {
        "sqlite" => TestDb::Sqlite,
        "postgres" | "postgresql" => TestDb::Postgres,
        other => anyhow::bail!("--database must be sqlite or postgres, got {other}"),
    };
    let mut scales = args.scales.clone();
    scales.sort_unstable();
    let mut write_cost = Vec::new();
    if args.write_seconds > 0
        && let Some(&smallest) = scales.first()
    {
        // Alternately, without first: the machine's state drifts less between the two.
        for run in 0..args.write_runs {
            for rollups in [false, true] {
                let side = write_side(kind, smallest, (run, rollups), args.write_seconds).await?;
                write_cost.push(side);
            }
        }
    }
    let mut sizes = Vec::new();
    for &scale in &scales {
        sizes.push(one_size(kind, scale, &args).await?);
    }
    let report = Report {
        database: args.database.clone(),
        sizes,
        write_cost,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_tables(&report, &args);
    }
    Ok(ExitCode::SUCCESS)
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn print_tables(report: &Report, args: &GrowthBenchArgs) {
    println!(
        "\nGetSummary growth ({}, rollups {}, county 420625 grown in place, loaded through {}, {} sequential calls each; p50 / p99 ms)",
        report.database,
        if args.without_rollups { "off" } else { "kept" },
        if args.bulk {
            "the bulk path (XK_BULK_LOAD, then a restart)"
        } else {
            "the import RPCs"
        },
        args.calls
    );
    println!(
        "  {:>5} {:>10} {:>8} {:>17} {:>17} {:>17} {:>11} {:>9}",
        "scale",
        "people",
        "load s",
        "county/township",
        "township/village",
        "whole data set",
        "at-risk ms",
        "at-risk"
    );
    let pair = |t: Timing| format!("{:.1} / {:.1}", t.p50_ms, t.p99_ms);
    for r in &report.sizes {
        println!(
            "  {:>5} {:>10} {:>8.1} {:>17} {:>17} {:>17} {:>11.0} {:>9}",
            r.scale,
            r.people,
            r.load_s,
            pair(r.county),
            pair(r.township),
            pair(r.whole),
            r.at_risk_ms,
            r.at_risk_households
        );
    }
    for r in &report.sizes {
        let parts: Vec<String> = r
            .county_by_service
            .iter()
            .map(|(name, t)| format!("{name} {}", pair(*t)))
            .collect();
        println!(
            "  county/township at {}x, each service alone: {}",
            r.scale,
            parts.join(", ")
        );
    }
    for r in &report.sizes {
        let parts: Vec<String> = r
            .load_s_by_service
            .iter()
            .map(|(name, s)| format!("{name} {s:.0}"))
            .collect();
        println!(
            "  load at {}x, seconds per service: {}",
            r.scale,
            parts.join(", ")
        );
    }
    if let (Some(first), Some(last)) = (report.sizes.first(), report.sizes.last()) {
        let flat = |f: fn(&SizeRow) -> Timing| f(last).p50_ms / f(first).p50_ms.max(0.001);
        for (what, ratio) in [
            ("county", flat(|r| r.county)),
            ("township", flat(|r| r.township)),
            ("whole data set", flat(|r| r.whole)),
        ] {
            println!(
                "  p50 at {}x / p50 at {}x, {what}: {ratio:.2} (goal <= 2: {})",
                last.scale,
                first.scale,
                met(ratio <= 2.0)
            );
        }
        for r in &report.sizes {
            let goal = if r.people >= 5_000_000 {
                Some(100.0)
            } else if r.people >= 900_000 {
                Some(50.0)
            } else {
                None
            };
            if let Some(goal) = goal {
                println!(
                    "  whole data set at {} people: p50 {:.1} ms (goal <= {goal} ms: {})",
                    r.people,
                    r.whole.p50_ms,
                    met(r.whole.p50_ms <= goal)
                );
            }
        }
        let walk = last.at_risk_ms / last.at_risk_households.max(1) as f64;
        let walk_first = first.at_risk_ms / first.at_risk_households.max(1) as f64;
        println!(
            "  at-risk walk per household listed: {walk_first:.2} ms at {}x, {walk:.2} ms at {}x",
            first.scale, last.scale
        );
    }
    if !report.write_cost.is_empty() {
        print_write_cost(report);
    }
}

/// The write-cost table: per figure the medians with and without rollups, the median of
/// the pairs' ratios (what the goal is judged on) and each pair's ratio.
fn print_write_cost(report: &Report) {
    let pairs: Vec<(&WriteSide, &WriteSide)> = report
        .write_cost
        .chunks_exact(2)
        .filter_map(|p| match p {
            [off, on] if !off.rollups && on.rollups => Some((off, on)),
            _ => None,
        })
        .collect();
    println!(
        "\nWrite cost of keeping rollups ({}, scale {}, concurrency {WRITE_CONCURRENCY}, {} pairs of runs; \
         median with / median without, median ratio, goal >= {WRITE_COST_GOAL}; each pair's ratio)",
        report.database,
        report.sizes.first().map_or(1, |s| s.scale),
        pairs.len()
    );
    let ratio = |a: f64, b: f64| a / b.max(f64::MIN_POSITIVE);
    let row = |label: &str, unit: &str, figure: &dyn Fn(&WriteSide) -> f64| {
        let ratios: Vec<f64> = pairs
            .iter()
            .map(|(off, on)| ratio(figure(on), figure(off)))
            .collect();
        let on: Vec<f64> = pairs.iter().map(|(_, on)| figure(on)).collect();
        let off: Vec<f64> = pairs.iter().map(|(off, _)| figure(off)).collect();
        let r = median(&ratios);
        let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "  {label:<28} {:>10.0} {:>10.0} {unit:<8} {r:.2} ({}); {}",
            median(&on),
            median(&off),
            met(r >= WRITE_COST_GOAL),
            each.join(", ")
        );
    };
    row("import (the county load)", "people/s", &|s| {
        s.import_people_per_s
    });
    for (i, (_, rpc)) in WRITES.iter().enumerate() {
        row(rpc, "calls/s", &|s| s.unary_per_s[i]);
        let p99 = |rollups: bool| -> Vec<f64> {
            pairs
                .iter()
                .map(|(off, on)| if rollups { on } else { off }.unary_p99_ms[i])
                .collect()
        };
        println!(
            "  {:<28} p99 {:.1} / {:.1} ms (medians)",
            "",
            median(&p99(true)),
            median(&p99(false))
        );
    }
}

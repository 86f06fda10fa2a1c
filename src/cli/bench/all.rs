//! `xiaokang bench all`: every comparison of the suite against what this machine allows,
//! on SQLite and on PostgreSQL, in one run, each with its ratio and goal.
//!
//! A comparison is a [`Row`]: a subject (the suite's RPC) measured next to its baseline
//! (the machine's bare capability) on the same database, client and concurrency. The
//! measurements that produce rows are listed in [`MEASUREMENTS`]; a new comparison is
//! one more entry there (a function returning its rows for one database).

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;

use serde::Serialize;

use super::registry::{self, RegistryBenchArgs};
use crate::testing::TestDb;

/// Options of `bench all`.
#[derive(Debug, Clone, clap::Args)]
pub struct AllBenchArgs {
    /// `sqlite`, `postgres` or `both` (the default).
    #[arg(long, default_value = "both")]
    pub database: String,
    /// Concurrent calls in the read comparisons.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds each read measurement runs (after a one-second warm-up).
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Print one JSON array of rows instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Run only these measurements (names of `MEASUREMENTS`: registry, summary, writes),
    /// e.g. to compare two builds on one part without the rest's minutes.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

/// A goal a row is reported against.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Goal {
    /// The subject's rate must be at least this share of the baseline's.
    pub min_ratio: f64,
    /// The subject's p99 must be at most this (ms), if set.
    pub max_p99_ms: Option<f64>,
    /// The subject's p99 must be at most this multiple of the baseline's p99, if set.
    pub max_p99_vs_baseline: Option<f64>,
}

impl Goal {
    /// A goal on the rate ratio alone.
    pub const fn ratio(min_ratio: f64) -> Goal {
        Goal {
            min_ratio,
            max_p99_ms: None,
            max_p99_vs_baseline: None,
        }
    }
}

/// One comparison measured in this run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// What is compared (`read`, `import`, …).
    pub what: &'static str,
    /// What the rates count (`calls`, `people`, …).
    pub unit: &'static str,
    /// The baseline's name.
    pub baseline: &'static str,
    /// Baseline rate per second.
    pub baseline_rate: f64,
    /// The subject's name.
    pub subject: &'static str,
    /// Subject rate per second.
    pub subject_rate: f64,
    /// The subject's p99 latency (ms), where it is a call rate.
    pub subject_p99_ms: Option<f64>,
    /// The baseline's p99 latency (ms), where a goal compares the two.
    pub baseline_p99_ms: Option<f64>,
    /// PostgreSQL: `TLS` or `plaintext`, as the server reports the benchmark's connection.
    pub transport: &'static str,
    /// The goal.
    pub goal: Goal,
    /// What the subject's calls cost in CPU (the load-test rows): whether the goal fits in
    /// this machine's CPUs at all.
    pub cpu: Option<crate::loadtest::cpu::CpuUse>,
}

impl Row {
    /// subject / baseline.
    pub fn ratio(&self) -> f64 {
        self.subject_rate / self.baseline_rate.max(f64::MIN_POSITIVE)
    }

    /// Whether the row meets its goal.
    pub fn meets_goal(&self) -> bool {
        self.ratio() >= self.goal.min_ratio
            && match (self.goal.max_p99_ms, self.subject_p99_ms) {
                (Some(max), Some(p99)) => p99 <= max,
                (Some(_), None) => false,
                (None, _) => true,
            }
            && match (
                self.goal.max_p99_vs_baseline,
                self.subject_p99_ms,
                self.baseline_p99_ms,
            ) {
                (Some(times), Some(p99), Some(base)) => p99 <= times * base,
                (Some(_), _, _) => false,
                (None, _, _) => true,
            }
    }
}

/// A boxed future of one measurement's rows.
pub type RowsFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<Vec<Row>>> + 'a>>;

/// A measurement: the rows it produces on one database.
pub type Measurement = for<'a> fn(TestDb, &'a AllBenchArgs) -> RowsFuture<'a>;

/// Every measurement `bench all` runs, in order, on each database.
pub const MEASUREMENTS: &[(&str, Measurement)] = &[
    ("registry", registry_rows),
    ("summary", summary_rows),
    ("writes", super::writes::write_rows),
];

/// The name of a database kind.
fn db_name(kind: TestDb) -> &'static str {
    match kind {
        TestDb::Sqlite => "sqlite",
        TestDb::Postgres => "postgres",
    }
}

/// Bare tonic echo vs GetHousehold, raw sqlx insert vs ImportHouseholds.
fn registry_rows(kind: TestDb, args: &AllBenchArgs) -> RowsFuture<'_> {
    Box::pin(async move {
        let defaults = RegistryBenchArgs {
            database: db_name(kind).to_string(),
            households: 19_139,
            people: 49_494,
            batch: 2_000,
            concurrency: args.concurrency,
            connections: 4,
            seconds: args.seconds,
            db_pool: xk_runtime::ServeSettings::default().db_pool,
            json: false,
        };
        let f = registry::measure(&defaults).await?;
        let database = db_name(kind);
        let transport = f.transport();
        let row = |what, unit, baseline, baseline_rate, subject, subject_rate, goal| Row {
            database,
            what,
            unit,
            baseline,
            baseline_rate,
            subject,
            subject_rate,
            subject_p99_ms: None,
            baseline_p99_ms: None,
            transport,
            goal,
            cpu: None,
        };
        let mut rows = vec![
            Row {
                subject_p99_ms: Some(f.get.ms(0.99)),
                ..row(
                    "read",
                    "calls",
                    "bare tonic echo",
                    f.echo.rps(),
                    "GetHousehold",
                    f.get.rps(),
                    Goal {
                        max_p99_ms: Some(5.0),
                        ..Goal::ratio(0.5)
                    },
                )
            },
            Row {
                subject_p99_ms: Some(f.get.ms(0.99)),
                baseline_p99_ms: Some(f.point_select.ms(0.99)),
                ..row(
                    "read",
                    "calls",
                    "raw point select",
                    f.point_select.rps(),
                    "GetHousehold",
                    f.get.rps(),
                    Goal {
                        max_p99_vs_baseline: Some(2.0),
                        ..Goal::ratio(0.7)
                    },
                )
            },
            row(
                "insert",
                "people",
                "server-side insert",
                f.server_rate(),
                "raw sqlx insert",
                f.raw_rate(),
                Goal::ratio(0.5),
            ),
            row(
                "import",
                "people",
                "raw sqlx insert",
                f.raw_rate(),
                "ImportHouseholds",
                f.import_rate(),
                Goal::ratio(0.5),
            ),
        ];
        if let Some((tls, plain)) = f.raw_tls_vs_plain_secs {
            // Rates of the same rows: TLS at most 1.3x the plaintext time.
            let people = f.people as f64;
            rows.push(row(
                "tls",
                "people",
                "raw insert plaintext",
                people / plain,
                "raw insert TLS",
                people / tls,
                Goal::ratio(1.0 / 1.3),
            ));
        }
        Ok(rows)
    })
}

/// The five SummarizeByRegion calls (the slowest alone, and all five joined by one
/// client) vs GetSummary, the demo county loaded. Rates are 1 / p50 of sequential calls.
/// The goal: the aggregator adds less than the slowest part (ratio >= 0.5).
fn summary_rows(kind: TestDb, _args: &AllBenchArgs) -> RowsFuture<'_> {
    Box::pin(async move {
        let m = super::summary::measure(
            kind,
            100,
            xk_contracts::pb::common::v1::RegionLevel::Township as i32,
        )
        .await?;
        let per_s = |ms: f64| if ms > 0.0 { 1_000.0 / ms } else { 0.0 };
        let slowest = m.parts.iter().map(|(_, s)| s.p50_ms).fold(0.0, f64::max);
        let database = db_name(kind);
        let row = |baseline, baseline_rate| Row {
            database,
            what: "summary",
            unit: "calls",
            baseline,
            baseline_rate,
            subject: "GetSummary",
            subject_rate: per_s(m.agg.p50_ms),
            subject_p99_ms: Some(m.agg.p99_ms),
            baseline_p99_ms: None,
            transport: "-",
            goal: Goal::ratio(0.5),
            cpu: None,
        };
        Ok(vec![
            row("slowest SummarizeByRegion", per_s(slowest)),
            row("five joined by a client", per_s(m.parallel.p50_ms)),
        ])
    })
}

/// How the benchmark's connections to `kind` travel, as the server reports it: `TLS` or
/// `plaintext` on PostgreSQL (`sslmode` from `XK_TEST_PG_URL` or `PGSSLMODE`), `-` on
/// SQLite.
async fn transport_of(kind: TestDb) -> anyhow::Result<&'static str> {
    let fresh = crate::testing::TestDatabase::create_as(kind, "bench_transport").await?;
    let db = xk_runtime::Db::connect(&fresh.url, 1).await?;
    let tls = super::baselines::tls_in_use(&db).await?;
    db.close().await?;
    fresh.drop_now().await?;
    Ok(match tls {
        Some(true) => "TLS",
        Some(false) => "plaintext",
        None => "-",
    })
}

/// The table of rows.
pub fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<9} {:<9} {:<7} {:<25} {:>12} {:<17} {:>12} {:>8} {:>6}  goal\n",
        "database",
        "transport",
        "what",
        "baseline",
        "rate/s",
        "subject",
        "rate/s",
        "p99 ms",
        "ratio"
    );
    for r in rows {
        let goal = format!(
            "ratio >= {:.2}{} {}",
            r.goal.min_ratio,
            r.goal
                .max_p99_ms
                .map(|m| format!(", p99 <= {m} ms"))
                .unwrap_or_default()
                + &r.goal
                    .max_p99_vs_baseline
                    .map(|times| {
                        let base = r.baseline_p99_ms.unwrap_or(f64::NAN);
                        format!(", p99 <= {times}x baseline's {base:.2} ms")
                    })
                    .unwrap_or_default(),
            if r.meets_goal() { "met" } else { "NOT met" }
        );
        out.push_str(&format!(
            "{:<9} {:<9} {:<7} {:<25} {:>12.0} {:<17} {:>12.0} {:>8} {:>6.2}  {goal}\n",
            r.database,
            r.transport,
            r.what,
            r.baseline,
            r.baseline_rate,
            r.subject,
            r.subject_rate,
            r.subject_p99_ms
                .map(|p| format!("{p:.2}"))
                .unwrap_or_else(|| "-".into()),
            r.ratio(),
        ));
    }
    let costs: Vec<&Row> = rows.iter().filter(|r| r.cpu.is_some()).collect();
    if !costs.is_empty() {
        out.push_str(&format!(
            "\nCPU per call (machine: every process, PostgreSQL included; this process: the \
             load generator and the services)\n{:<9} {:<17} {:>7} {:>13} {:>13} {:>13}\n",
            "database", "subject", "busy %", "machine µs", "process µs", "ceiling/s"
        ));
        for r in costs {
            let Some(c) = r.cpu else { continue };
            out.push_str(&format!(
                "{:<9} {:<17} {:>7.0} {:>13.0} {:>13.0} {:>13.0}\n",
                r.database,
                r.subject,
                c.machine_busy * 100.0,
                c.machine_us_per_call,
                c.process_us_per_call,
                c.ceiling_per_s
            ));
        }
    }
    out
}

/// Runs every measurement on the chosen databases and prints the rows.
pub async fn run(args: AllBenchArgs) -> anyhow::Result<ExitCode> {
    let kinds = match args.database.as_str() {
        "sqlite" => vec![TestDb::Sqlite],
        "postgres" | "postgresql" => vec![TestDb::Postgres],
        "both" => vec![TestDb::Sqlite, TestDb::Postgres],
        other => anyhow::bail!("--database must be sqlite, postgres or both, got {other}"),
    };
    if let Some(unknown) = args
        .only
        .iter()
        .find(|o| !MEASUREMENTS.iter().any(|(name, _)| name == o))
    {
        let names: Vec<&str> = MEASUREMENTS.iter().map(|(name, _)| *name).collect();
        anyhow::bail!(
            "--only: no measurement {unknown}; there are {}",
            names.join(", ")
        );
    }
    let mut rows = Vec::new();
    for kind in kinds {
        for (name, measure) in MEASUREMENTS {
            if !args.only.is_empty() && !args.only.iter().any(|o| o == name) {
                continue;
            }
            eprintln!("bench all: {name} on {}", db_name(kind));
            let transport = transport_of(kind).await?;
            rows.extend(measure(kind, &args).await?.into_iter().map(|mut r| {
                r.transport = transport;
                r
            }));
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", table(&rows));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(baseline: f64, subject: f64, p99: Option<f64>) -> Row {
        Row {
            database: "sqlite",
            what: "read",
            unit: "calls",
            baseline: "echo",
            baseline_rate: baseline,
            subject: "GetHousehold",
            subject_rate: subject,
            subject_p99_ms: p99,
            baseline_p99_ms: Some(2.0),
            transport: "-",
            goal: Goal {
                max_p99_ms: Some(5.0),
                ..Goal::ratio(0.5)
            },
            cpu: None,
        }
    }

    #[test]
    fn goal_against_the_baselines_p99() {
        let mut r = row(100.0, 80.0, Some(3.9));
        r.goal = Goal {
            max_p99_vs_baseline: Some(2.0),
            ..Goal::ratio(0.7)
        };
        assert!(r.meets_goal(), "3.9 ms <= 2 x 2.0 ms");
        r.subject_p99_ms = Some(4.1);
        assert!(!r.meets_goal(), "4.1 ms > 2 x 2.0 ms");
        r.subject_p99_ms = Some(3.9);
        r.baseline_p99_ms = None;
        assert!(!r.meets_goal(), "no baseline p99: not met");
        assert!(table(&[r]).contains("p99 <= 2x baseline's"));
    }

    #[test]
    fn goal_needs_the_ratio_and_the_p99() {
        assert!(row(100.0, 60.0, Some(4.0)).meets_goal());
        assert!(!row(100.0, 40.0, Some(4.0)).meets_goal());
        assert!(!row(100.0, 60.0, Some(6.0)).meets_goal());
        assert!(!row(100.0, 60.0, None).meets_goal());
        assert!((row(200.0, 50.0, None).ratio() - 0.25).abs() < 1e-12);
    }

    #[test]
    fn table_shows_ratio_and_verdict() {
        let t = table(&[row(100.0, 60.0, Some(4.0)), row(100.0, 40.0, Some(4.0))]);
        assert!(t.contains("0.60") && t.contains(" met"));
        assert!(t.contains("NOT met"));
        assert!(!t.contains("CPU per call"), "no row measured its CPU");
    }

    #[test]
    fn table_lists_the_cpu_cost_of_rows_that_measured_it() {
        let mut r = row(5_000.0, 3_900.0, Some(30.0));
        r.subject = "RecordIncome";
        r.cpu = Some(crate::loadtest::cpu::CpuUse {
            cpus: 2,
            machine_busy: 0.97,
            machine_us_per_call: 497.0,
            process_us_per_call: 412.0,
            ceiling_per_s: 4_024.0,
        });
        let t = table(&[r]);
        let line = t.lines().last().unwrap();
        for part in ["RecordIncome", "97", "497", "412", "4024"] {
            assert!(line.contains(part), "{part} missing from {line:?}");
        }
    }
}

//! `xiaokang bench services`: the four guarantee services (education, health, housing,
//! water) loaded with a county of the demo's size (DOMAIN.md §1) through their real gRPC
//! import RPCs, then asked for the county's summary by township.
//!
//! For each service, in turn, on a fresh database:
//! - Import: the client-streaming import RPC in batches of 2,000, timed end to end
//!   (rows/s). Education also imports a further 10,000 students, so its rate is not
//!   dominated by fixed costs; health also settles hospital cases one after the other
//!   and at concurrency 8 on distinct people (SettleCase/s).
//! - Summary: `SummarizeByRegion("420625", township)` called `--summary-calls` times one
//!   after the other (after a short warm-up), with p50/p99/max latency.
//!
//! The datasets are the county seeds of [`crate::fixtures`], the very ones the
//! integration tests load and check; one file per service runs its part.

mod education;
mod health;
mod housing;
mod water;

use std::process::ExitCode;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::codegen::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use xk_runtime::{HostedService, Principal, ServeSettings, ServiceSpec};

use super::measure::Summary;
use crate::fixtures::COUNTY;
use crate::testing::{Bearer, TestDatabase, TestDb, test_tokens};

/// The services this benchmark knows, in the order it runs them.
const SERVICES: [&str; 4] = ["education", "health", "housing", "water"];
/// gRPC message size allowed both ways on the benchmark's clients.
const MAX_MESSAGE: usize = 64 << 20;

/// Options of the services benchmark.
#[derive(Debug, clap::Args)]
pub struct ServicesBenchArgs {
    /// `sqlite` (default) or `postgres` (uses XK_TEST_PG_URL, default the local server).
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Timed SummarizeByRegion calls per service, made one after the other.
    #[arg(long, default_value_t = 200)]
    pub summary_calls: u32,
    /// Rows per import batch.
    #[arg(long, default_value_t = 2_000)]
    pub batch: usize,
    /// Health: SettleCase calls in each of the sequential and the concurrent run.
    #[arg(long, default_value_t = 2_000)]
    pub settle_cases: u32,
    /// Education: students in the larger, second import.
    #[arg(long, default_value_t = 10_000)]
    pub large_students: u32,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Only this service (education, health, housing or water).
    #[arg(long)]
    pub only: Option<String>,
}

/// SettleCase throughput of the health service.
#[derive(Debug, Clone, Copy)]
struct Settle {
    /// Cases settled in each run.
    cases: u32,
    /// Cases per second, one call at a time.
    sequential_per_s: f64,
    /// Cases per second, 8 calls in flight on distinct people.
    concurrent8_per_s: f64,
}

/// One measured import (and what was measured on the database it filled).
#[derive(Debug, Clone)]
struct Row {
    /// Service name.
    service: &'static str,
    /// What a row is (students, people, households, assessments).
    unit: &'static str,
    /// Rows imported.
    rows: u64,
    /// Seconds the import took.
    seconds: f64,
    /// SummarizeByRegion latency on the county-sized data, if measured after this import.
    summary: Option<Summary>,
    /// SettleCase throughput (health only).
    settle: Option<Settle>,
}

impl Row {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.seconds
    }

    fn json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "service": self.service,
            "unit": self.unit,
            "rows": self.rows,
            "seconds": self.seconds,
            "rows_per_s": self.rate(),
        });
        if let Some(s) = self.summary {
            v["summary_calls"] = s.calls.into();
            v["summary_p50_ms"] = s.p50_ms.into();
            v["summary_p99_ms"] = s.p99_ms.into();
            v["summary_max_ms"] = s.max_ms.into();
        }
        if let Some(s) = self.settle {
            v["settle_cases"] = s.cases.into();
            v["settle_sequential_per_s"] = s.sequential_per_s.into();
            v["settle_concurrency8_per_s"] = s.concurrent8_per_s.into();
        }
        v
    }
}

/// A service hosted on port 0 over its own fresh database.
struct Running {
    /// The server.
    hosted: HostedService,
    /// Its database, dropped after the server stops.
    db: TestDatabase,
    /// A connection to it.
    channel: Channel,
    /// The owning bureau's token.
    bearer: Bearer,
}

impl Running {
    async fn start(spec: ServiceSpec, kind: TestDb) -> anyhow::Result<Running> {
        let db = TestDatabase::create_as(kind, &format!("bench_{}", spec.name)).await?;
        let (table, tokens) = test_tokens();
        let settings = ServeSettings {
            max_message_bytes: MAX_MESSAGE,
            ..ServeSettings::default()
        }
        .with_call_limit(1024);
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let hosted = crate::suite::host(spec, &db.url, &settings, table, listener).await?;
        let url = hosted.url();
        xk_runtime::server::wait_until_serving(&url, spec.grpc_name, Duration::from_secs(10))
            .await?;
        let owner = spec
            .owner
            .ok_or_else(|| anyhow::anyhow!("{} has no owning bureau", spec.name))?;
        let token = tokens
            .get(&Principal::Bureau(owner))
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no test token for {}", spec.name))?;
        let channel = Endpoint::from_shared(url)?
            .tcp_nodelay(true)
            .connect()
            .await?;
        Ok(Running {
            hosted,
            db,
            channel,
            bearer: Bearer(Some(token)),
        })
    }

    fn intercepted(&self) -> InterceptedService<Channel, Bearer> {
        InterceptedService::new(self.channel.clone(), self.bearer.clone())
    }

    async fn stop(self) -> anyhow::Result<()> {
        drop(self.channel);
        self.hosted.shutdown().await?;
        self.db.drop_now().await
    }
}

/// Runs the benchmark and prints the figures.
pub async fn run(args: ServicesBenchArgs) -> anyhow::Result<ExitCode> {
    let (kind, db_kind) = match args.database.as_str() {
        "sqlite" => ("sqlite", TestDb::Sqlite),
        "postgres" | "postgresql" => ("postgres", TestDb::Postgres),
        other => anyhow::bail!("--database must be sqlite or postgres, got {other}"),
    };
    if let Some(only) = &args.only {
        anyhow::ensure!(
            SERVICES.contains(&only.as_str()),
            "--only must be one of {}, got {only}",
            SERVICES.join(", ")
        );
    }
    let build = if cfg!(debug_assertions) {
        "DEBUG (use --release for real figures)"
    } else {
        "release"
    };
    eprintln!("database: {kind}; build: {build}");

    let mut rows = Vec::new();
    for name in SERVICES {
        if args.only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        eprintln!("{name} …");
        rows.extend(match name {
            "education" => education::run(db_kind, &args).await?,
            "health" => health::run(db_kind, &args).await?,
            "housing" => housing::run(db_kind, &args).await?,
            _ => water::run(db_kind, &args).await?,
        });
    }

    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "database": kind,
                "build": if cfg!(debug_assertions) { "debug" } else { "release" },
                "batch": args.batch,
                "summary_region": COUNTY,
                "summary_group_by": "township",
                "services": rows.iter().map(Row::json).collect::<Vec<_>>(),
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "database {kind}, build {build}, batches of {}, SummarizeByRegion({COUNTY}, township) x {} sequential",
        args.batch, args.summary_calls
    );
    println!(
        "{:<10} {:>8} {:<12} {:>8} {:>10} {:>9} {:>9} {:>9}",
        "service", "rows", "unit", "seconds", "rows/s", "p50 ms", "p99 ms", "max ms"
    );
    for r in &rows {
        let (p50, p99, max) = match r.summary {
            Some(s) => (
                format!("{:.3}", s.p50_ms),
                format!("{:.3}", s.p99_ms),
                format!("{:.3}", s.max_ms),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        println!(
            "{:<10} {:>8} {:<12} {:>8.3} {:>10.0} {:>9} {:>9} {:>9}",
            r.service,
            r.rows,
            r.unit,
            r.seconds,
            r.rate(),
            p50,
            p99,
            max
        );
    }
    for r in &rows {
        if let Some(s) = r.settle {
            println!(
                "{:<10} SettleCase: {:.0} cases/s sequential, {:.0} cases/s at concurrency 8 ({} cases each, distinct people)",
                r.service, s.sequential_per_s, s.concurrent8_per_s, s.cases
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

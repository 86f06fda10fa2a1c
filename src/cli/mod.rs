//! The `xiaokang` commands.

mod bench;
mod demo;
mod health;
pub mod loadtest;
mod report;
pub mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xk_runtime::ServeSettings;

/// xiaokang: the county's poverty-alleviation guarantee services.
#[derive(Debug, Parser)]
#[command(name = "xiaokang", version, about)]
pub struct Cli {
    /// Log one INFO line for every call a service finishes, whatever its outcome. Off by
    /// default: calls a client expects to be refused or not found (NOT_FOUND,
    /// ALREADY_EXISTS, INVALID_ARGUMENT, …) and successful ones are logged at DEBUG only;
    /// overload and unavailability are WARN and server faults ERROR either way.
    #[arg(long, global = true, env = "XK_LOG_CALLS")]
    pub log_calls: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every service in one process, each with its own SQLite file under the data
    /// folder and its own port; creates the tokens file on first start.
    Up {
        /// Where the databases and the tokens file live.
        #[arg(long, env = "XK_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Address to bind every service to.
        #[arg(long, env = "XK_BIND", default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Stop after starting (for checks in scripts); normally runs until Ctrl-C/SIGTERM.
        #[arg(long, hide = true)]
        exit_after_start: bool,
        /// Load the demo county (Gucheng's published 2019 figures) if the data is empty,
        /// print the county summary, then keep serving.
        #[arg(long)]
        demo: bool,
    },
    /// Load the demo county through the public RPCs (starting the suite if none is
    /// running) and print the county summary against the published figures.
    Demo(demo::DemoArgs),
    /// Run one service.
    Serve {
        /// Which service: registry, …
        name: String,
        /// Serving settings (boxed: they outgrew the other commands).
        #[command(flatten)]
        settings: Box<ServeSettings>,
        /// Where the services are (only `serve aggregator` uses these).
        #[command(flatten)]
        upstream: Box<xk_aggregator::UpstreamArgs>,
    },
    /// Check a service: gRPC health SERVING (over TLS with --tls-ca) and/or its admin
    /// port's /readyz (--admin); exit 0 when ready (for container health checks).
    Health(health::HealthArgs),
    /// Apply a service's migrations to its database, build its rollups where missing or
    /// out of date, and exit.
    Migrate {
        /// Which service.
        name: String,
        /// Its database and policy book.
        #[command(flatten)]
        database: DatabaseArgs,
        /// Rebuild every rollup from the rows with a fresh date floor, whatever its state
        /// (summaries dated before the floor read the rows; see docs/deploy.md).
        #[arg(long)]
        rebuild_rollups: bool,
        /// PostgreSQL: partition the service's big tables by county (registry, health,
        /// education, water), one partition per county found in the rows or named by
        /// --county. Run with the service's writers stopped; see docs/deploy.md.
        #[arg(long)]
        partition_by_county: bool,
        /// With --partition-by-county: counties (six digits) to give a partition now,
        /// before their rows arrive; repeat or separate with commas.
        #[arg(
            long = "county",
            value_delimiter = ',',
            requires = "partition_by_county"
        )]
        counties: Vec<String>,
    },
    /// Recompute a service's rollups from its rows and list every village whose stored
    /// totals differ; exit 1 when any does.
    VerifyRollups {
        /// Which service.
        name: String,
        /// Its database and policy book.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Measure the registry against the machine's own baselines (bare gRPC echo, raw
    /// inserts) in one run and print the ratios.
    Bench(bench::BenchArgs),
    /// Print the county summary of a running suite (from its aggregator) as a table, as
    /// JSON (`--json`), or write it as a self-contained HTML page (`--html FILE`).
    Report(report::ReportArgs),
    /// Drive a realistic mix of bureau writes and reads at a running suite (open or
    /// closed loop, or raising the rate in steps) and report latency per RPC, status
    /// codes and, with --watch-pid, the memory of the suite's process (the soak run).
    Loadtest(Box<loadtest::LoadtestArgs>),
}

impl Cli {
    /// The `<service>` of the `xiaokang-<service>` name spans are exported under: the
    /// served service, `up` for the whole suite in one process, else the command.
    pub fn trace_service_name(&self) -> &str {
        match &self.command {
            Command::Serve { name, .. } => name,
            Command::Up { .. } => "up",
            Command::Demo(_) => "demo",
            Command::Health(_) => "health",
            Command::Migrate { .. } => "migrate",
            Command::VerifyRollups { .. } => "verify-rollups",
            Command::Bench(_) => "bench",
            Command::Report(_) => "report",
            Command::Loadtest(_) => "loadtest",
        }
    }

    /// Runs the command.
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Up {
                data_dir,
                bind,
                exit_after_start,
                demo,
            } => serve::up(&data_dir, bind, exit_after_start, demo).await,
            Command::Demo(args) => demo::demo(args).await,
            Command::Serve {
                name,
                settings,
                upstream,
            } => serve::serve_one(&name, *settings, *upstream).await,
            Command::Health(args) => health::run(args).await,
            Command::Migrate {
                name,
                database,
                rebuild_rollups,
                partition_by_county,
                counties,
            } => {
                let partition = partition_by_county.then_some(counties.as_slice());
                serve::migrate(&name, &database.settings()?, rebuild_rollups, partition).await
            }
            Command::VerifyRollups { name, database } => {
                serve::verify_rollups(&name, &database.settings()?).await
            }
            Command::Bench(args) => bench::run(args).await,
            Command::Report(args) => report::run(args).await,
            Command::Loadtest(args) => loadtest::run(*args).await,
        }
    }
}

/// Where a one-off command (migrate, verify-rollups) finds a service's database and the
/// policy book it runs with.
#[derive(Debug, clap::Args)]
pub struct DatabaseArgs {
    /// Database URL.
    #[arg(long, env = "XK_DATABASE_URL")]
    database_url: Option<String>,
    /// A file holding the database URL (a container secret), instead of `--database-url`;
    /// trailing line breaks are trimmed.
    #[arg(long, env = "XK_DATABASE_URL_FILE")]
    database_url_file: Option<PathBuf>,
    /// The policy book the service runs with (its figures that depend on a policy number
    /// are totalled with it); the embedded one by default.
    #[arg(long, env = "XK_POLICY_FILE")]
    policy_file: Option<PathBuf>,
}

impl DatabaseArgs {
    /// The database URL and the settings the service would start with.
    fn settings(&self) -> anyhow::Result<(String, xk_runtime::ServeSettings)> {
        let url = serve::migrate_database_url(
            self.database_url.as_deref(),
            self.database_url_file.as_deref(),
        )?;
        let settings = xk_runtime::ServeSettings {
            policy_file: self.policy_file.clone(),
            ..xk_runtime::ServeSettings::default()
        };
        Ok((url, settings))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    #[test]
    fn log_calls_is_taken_before_or_after_the_command() {
        // Only meaningful when the environment does not set it (CI does not).
        if std::env::var_os("XK_LOG_CALLS").is_none() {
            assert!(
                !Cli::try_parse_from(["xiaokang", "report"])
                    .unwrap()
                    .log_calls
            );
        }
        for args in [
            ["xiaokang", "--log-calls", "report"],
            ["xiaokang", "report", "--log-calls"],
        ] {
            assert!(Cli::try_parse_from(args).unwrap().log_calls, "{args:?}");
        }
    }

    #[test]
    fn serve_aggregator_takes_the_resolve_settings() {
        let cli = Cli::try_parse_from([
            "xiaokang",
            "serve",
            "aggregator",
            "--water-url",
            "http://water:50055",
            "--resolve-interval-ms",
            "250",
            "--resolve-file",
            "/etc/xk-hosts",
        ])
        .unwrap();
        let super::Command::Serve { upstream, .. } = cli.command else {
            panic!("not serve");
        };
        let resolve = upstream.resolve.settings().unwrap();
        assert_eq!(resolve.interval, std::time::Duration::from_millis(250));
        assert_eq!(
            resolve.file.as_deref(),
            Some(std::path::Path::new("/etc/xk-hosts"))
        );
    }
}

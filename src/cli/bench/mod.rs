//! `xiaokang bench`: measurements that print figures (speed targets are met here, not in
//! timed tests).
//!
//! - `registry`: ImportHouseholds vs a raw sqlx insert, GetHousehold vs a bare tonic
//!   server, and GetHousehold with the metrics layer on and off, in one run.
//! - `services`: education, health, housing and water loaded with a demo-sized county
//!   through their import RPCs (rows/s, health's SettleCase/s), then SummarizeByRegion
//!   latency (p50/p99/max).
//! - `summary`: the demo county in the whole suite; GetSummary p50/p99 against the five
//!   SummarizeByRegion calls it fans out to, each timed on its own.
//! - `all`: every comparison against the machine's baselines (echo and a raw point select
//!   vs GetHousehold, a server-side insert vs the raw client insert vs ImportHouseholds,
//!   TLS vs plaintext, unary writes and the open-loop rate against their goals, …) on
//!   SQLite and PostgreSQL in one run, with ratios; every PostgreSQL row says whether it
//!   ran over TLS.
//! - `partition`: the registry's, health's and water's reads on PostgreSQL over a
//!   province-like data set, before and after partitioning it by county.

mod all;
mod baselines;
mod growth;
mod measure;
mod overhead;
mod partition;
mod parts;
mod registry;
mod services;
mod summary;
mod writes;

use std::process::ExitCode;

/// Which benchmark.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// The registry against the machine's own baselines.
    Registry(registry::RegistryBenchArgs),
    /// The four guarantee services: import rate and summary latency.
    Services(services::ServicesBenchArgs),
    /// The demo county in the whole suite: GetSummary against its five
    /// SummarizeByRegion calls.
    Summary(summary::SummaryBenchArgs),
    /// GetSummary at 1x, 20x and 200x the demo county (about 50,000, 1 million and 10 million people) and the write cost of the rollups (PostgreSQL by default).
    Growth(growth::GrowthBenchArgs),
    /// Every comparison with its ratio, on SQLite and PostgreSQL, in one run.
    All(all::AllBenchArgs),
    /// The registry's, health's and water's reads on PostgreSQL before and after
    /// partitioning by county.
    Partition(partition::PartitionBenchArgs),
}

/// Benchmark options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Which benchmark.
    #[command(subcommand)]
    pub command: BenchCommand,
}

/// Runs the chosen benchmark.
pub async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        BenchCommand::Registry(a) => registry::run(a).await,
        BenchCommand::Services(a) => services::run(a).await,
        BenchCommand::Summary(a) => summary::run(a).await,
        BenchCommand::Growth(a) => growth::run(a).await,
        BenchCommand::All(a) => all::run(a).await,
        BenchCommand::Partition(a) => partition::run(a).await,
    }
}

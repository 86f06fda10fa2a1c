//! `xiaokang bench`: measurements that print figures (speed targets are met here, not in
//! timed tests).
//!
//! - `registry`: ImportHouseholds vs a raw sqlx insert, GetHousehold vs a bare tonic
//!   server, in one run.

mod registry;

use std::process::ExitCode;

/// Which benchmark.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// The registry against the machine's own baselines.
    Registry(registry::RegistryBenchArgs),
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
    }
}

//! `xiaokang bench` (filled in below).

use std::process::ExitCode;

/// Benchmark options.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {}

/// Runs the benchmarks.
pub async fn run(_args: BenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet")
}

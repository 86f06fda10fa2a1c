//! `xiaokang`: run, serve, check and measure the suite. See `xiaokang --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    xk_runtime::telemetry::init();
    let cli = xiaokang::cli::Cli::parse();
    match cli.run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

//! `xiaokang`: run, serve, check and measure the suite. See `xiaokang --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = xiaokang::cli::Cli::parse();
    xk_runtime::telemetry::init();
    xk_runtime::telemetry::set_log_calls(cli.log_calls);
    match cli.run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

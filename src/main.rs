//! `xiaokang`: run, serve, check and measure the suite. See `xiaokang --help`.

#![warn(missing_docs)]

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = xiaokang::cli::Cli::parse();
    let traces = match xk_runtime::telemetry::init_with_traces(cli.trace_service_name()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    xk_runtime::telemetry::set_log_calls(cli.log_calls);
    let code = match cli.run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    };
    // After the graceful shutdown: the spans of the last calls go out before exit.
    if let Some(traces) = traces
        && let Err(e) = traces.shutdown().await
    {
        eprintln!("warning: {e:#}");
    }
    code
}

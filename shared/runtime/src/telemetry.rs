//! Logging setup. Logs go to stderr (stdout is the commands' output: `report --json >
//! file` must stay clean), structured (JSON with `XK_LOG_FORMAT=json`), coloured only when
//! stderr is a terminal and `NO_COLOR` is unset, filtered by `RUST_LOG` (default `info`),
//! and never carry a whole resident id or name: use `ResidentId`'s `Debug` or `masked()`
//! and `mask_name` from `xk_contracts::types`.
//!
//! Calls: every finished call is logged by the trace layer ([`crate::layers`]) at a level
//! chosen by its outcome. Outcomes a caller expects and handles (OK, NOT_FOUND,
//! ALREADY_EXISTS, INVALID_ARGUMENT, …) are DEBUG, so a demo load or a client probing for
//! records does not fill the terminal; [`set_log_calls`] (`XK_LOG_CALLS`, `--log-calls`)
//! raises them to one INFO line per call. Overload and unavailability are WARN and server
//! faults ERROR whatever the setting.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing_subscriber::EnvFilter;

/// Whether every finished call gets an INFO line (see [`set_log_calls`]).
static LOG_CALLS: AtomicBool = AtomicBool::new(false);

/// Installs the global subscriber once; later calls are no-ops (tests host many services).
pub fn init() {
    install(None::<tracing_subscriber::layer::Identity>);
}

/// As [`init`], and exports spans over OTLP when `XK_OTLP_ENDPOINT` /
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set (see [`crate::traces`]), reporting as
/// `xiaokang-<service>`. The returned exporter must be shut down after the graceful
/// shutdown so the last spans reach the collector; `None` when export is off (or the
/// subscriber was already installed by an earlier call).
pub fn init_with_traces(service: &str) -> anyhow::Result<Option<crate::traces::Traces>> {
    match crate::traces::endpoint_from_env() {
        Some(endpoint) => init_exporting_to(&endpoint, service),
        None => {
            init();
            Ok(None)
        }
    }
}

/// As [`init_with_traces`] with an explicit collector endpoint (tests run their own).
pub fn init_exporting_to(
    endpoint: &str,
    service: &str,
) -> anyhow::Result<Option<crate::traces::Traces>> {
    let (traces, layer) = crate::traces::exporter(endpoint, service)?;
    Ok(install(Some(layer)).then_some(traces))
}

/// Installs the log lines plus `extra` (the span exporter); false when a subscriber was
/// already installed.
fn install<L>(extra: Option<L>) -> bool
where
    L: tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync + 'static,
{
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("XK_LOG_FORMAT").is_ok_and(|v| v == "json");
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let lines = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(!no_color && std::io::stderr().is_terminal());
    // A per-layer filter: RUST_LOG picks the log lines without hiding spans from the
    // exporter, which has its own filter.
    let lines = if json {
        lines.json().with_filter(filter).boxed()
    } else {
        lines.with_filter(filter).boxed()
    };
    let extra = extra.map(|l| l.boxed());
    tracing_subscriber::registry()
        .with(extra)
        .with(lines)
        .try_init()
        .is_ok()
}

/// Logs one INFO line for every finished call, whatever its outcome, when `on`; otherwise
/// (the default) outcomes a caller expects are logged at DEBUG only. Process-wide, like
/// the subscriber itself.
pub fn set_log_calls(on: bool) {
    LOG_CALLS.store(on, Ordering::Relaxed);
}

/// Whether [`set_log_calls`] asked for an INFO line per call.
pub fn log_calls() -> bool {
    LOG_CALLS.load(Ordering::Relaxed)
}

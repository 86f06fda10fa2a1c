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
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("XK_LOG_FORMAT").is_ok_and(|v| v == "json");
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(!no_color && std::io::stderr().is_terminal());
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
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

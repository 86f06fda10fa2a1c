//! Logging setup. Logs are structured (JSON with `XK_LOG_FORMAT=json`), filtered by
//! `RUST_LOG` (default `info`), and never carry a whole resident id or name: use
//! `ResidentId`'s `Debug` or `masked()` and `mask_name` from `xk_contracts::types`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are no-ops (tests host many services).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("XK_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

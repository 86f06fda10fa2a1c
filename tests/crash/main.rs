//! Crash safety, proven against the real binary: `xiaokang serve <service>` runs as a child
//! process over a SQLite file or a PostgreSQL database (`XK_TEST_DATABASE`), a writer
//! sends imports (client streams of batches) and single writes, each with a request_id,
//! while the test SIGKILLs the process at seeded random moments. After each kill the
//! process is restarted (waited for until SERVING) and the write that was not acknowledged
//! is retried with the SAME request_id. At the end every acknowledged write is present
//! exactly once, no record is half-written, and the audit and idempotency tables hold one
//! row per request_id.
//!
//! The seed is `XK_CRASH_SEED` or the clock; it is printed first, so a failure can be
//! replayed. `XK_CRASH_KILLS` sets the kills per service (default 20).
//!
//! Module map: [`harness`] (the child process, its working folder), [`writes`] ([`writes::Op`],
//! [`writes::send`] and the kill/restart/retry loop [`writes::run_with_kills`]), [`audit`]
//! (one audit and idempotency row per request_id), then one workload + check per service:
//! [`registry`], [`water`].

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod harness;
mod registry;
mod water;
mod writes;

use std::time::{Duration, Instant};

use registry::registry_under_kills;
use water::water_under_kills;

/// Rounds of each workload (one import + single writes per round): enough work that the
/// kills land on writes rather than on an idle process.
const ROUNDS: usize = 16;
/// The one token every principal the test uses shares (the server needs >= 16 chars).
const TOKEN: &str = "crash-test-token-0123456789";
/// A village of 城关镇 (registry households and water assessments live there).
const VILLAGE: &str = "420625100201";
/// How long a restarted process may take to answer health (debug build, migrations).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// A kill lands this long (uniform, ms) after the process answered health: short enough
/// that most kills land while a write is in flight (mid-stream, mid-commit, before the
/// answer), since the writes run back to back.
const KILL_AFTER_MS: std::ops::Range<u64> = 1..40;

/// The seed: `XK_CRASH_SEED`, else the clock.
fn seed() -> u64 {
    std::env::var("XK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// Kills per service: `XK_CRASH_KILLS`, else 20.
fn kills() -> usize {
    std::env::var("XK_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_once_and_whole() {
    let seed = seed();
    eprintln!("crash test seed {seed} (replay with XK_CRASH_SEED={seed})");
    let started = Instant::now();
    let r = registry_under_kills(seed).await;
    eprintln!("registry under kills: {r:?} in {:?}", started.elapsed());
    let started = Instant::now();
    let w = water_under_kills(seed).await;
    eprintln!("water under kills: {w:?} in {:?}", started.elapsed());
    assert_eq!(r.kills, kills());
    assert_eq!(w.kills, kills());
}

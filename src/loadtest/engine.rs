//! Driving calls: an open loop (constant arrival rate, latency from the intended send
//! time) or a closed loop (a fixed number of calls in flight), bounded by time and by a
//! request count, recording every call.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::mix::Mix;
use super::schedule::intended_offset;
use super::stats::Recorder;
use super::workload::Workload;

/// How load is applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// Open loop: this many requests per second, whatever the answers' speed.
    Rate(f64),
    /// Closed loop: this many calls in flight, each started when the previous one ends.
    Concurrency(usize),
}

/// One timed phase.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    /// Rate or concurrency.
    pub load: Load,
    /// Longest the phase runs.
    pub duration: Duration,
    /// Most requests the phase makes.
    pub max_requests: u64,
    /// Open loop: most calls in flight at once (a client-side bound on memory; waiting
    /// for a slot still counts in latency, measured from the intended send time).
    pub max_in_flight: usize,
}

/// Live counters for a progress display.
#[derive(Debug, Default)]
pub struct Live {
    /// Calls finished.
    pub done: AtomicU64,
    /// Calls finished with a status other than OK.
    pub errors: AtomicU64,
}

/// What a phase measured.
#[derive(Debug, Clone)]
pub struct PhaseResult {
    /// Per-RPC latency and status counts.
    pub recorder: Recorder,
    /// From the first intended send to the last answer.
    pub elapsed: Duration,
}

/// Shared state of one phase's tasks.
struct Shared {
    /// The calls.
    work: Workload,
    /// The traffic mix.
    mix: Mix,
    /// Samples.
    rec: Mutex<Recorder>,
    /// Progress counters.
    live: Arc<Live>,
    /// Sequence numbers of requests (unique across phases of a run).
    seq: Arc<AtomicU64>,
}

impl Shared {
    /// Makes call `seq` and records it, its latency measured from `since`.
    async fn one(&self, seq: u64, since: Instant) {
        let op = self.mix.pick(seq);
        let outcome = self.work.call(op, seq).await;
        let latency = since.elapsed();
        if let Ok(mut r) = self.rec.lock() {
            r.record(op, latency, outcome);
        }
        self.live.done.fetch_add(1, Ordering::Relaxed);
        if !outcome.is_ok() {
            self.live.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Runs one phase. `seq` numbers requests across phases so request ids stay fresh.
pub async fn run_phase(
    work: &Workload,
    mix: &Mix,
    phase: Phase,
    seq: Arc<AtomicU64>,
    live: Arc<Live>,
) -> PhaseResult {
    let shared = Arc::new(Shared {
        work: work.clone(),
        mix: mix.clone(),
        rec: Mutex::new(Recorder::default()),
        live,
        seq,
    });
    let start = Instant::now();
    let stop_at = start + phase.duration;
    let issued = Arc::new(AtomicU64::new(0));
    match phase.load {
        Load::Rate(rate) => {
            let slots = Arc::new(tokio::sync::Semaphore::new(phase.max_in_flight.max(1)));
            let mut tasks = tokio::task::JoinSet::new();
            let mut i = 0u64;
            while i < phase.max_requests {
                let intended = start + intended_offset(i, rate);
                if intended >= stop_at {
                    break;
                }
                tokio::time::sleep_until(intended).await;
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    break;
                };
                let s = shared.clone();
                let seq = s.seq.fetch_add(1, Ordering::Relaxed);
                tasks.spawn(async move {
                    s.one(seq, intended).await;
                    drop(permit);
                });
                i += 1;
                // Reap finished tasks as we go so the set stays small.
                while tasks.try_join_next().is_some() {}
            }
            while tasks.join_next().await.is_some() {}
        }
        Load::Concurrency(n) => {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..n.max(1) {
                let s = shared.clone();
                let issued = issued.clone();
                let max = phase.max_requests;
                tasks.spawn(async move {
                    loop {
                        let now = Instant::now();
                        if now >= stop_at || issued.fetch_add(1, Ordering::Relaxed) >= max {
                            break;
                        }
                        let seq = s.seq.fetch_add(1, Ordering::Relaxed);
                        s.one(seq, now).await;
                    }
                });
            }
            while tasks.join_next().await.is_some() {}
        }
    }
    let elapsed = start.elapsed();
    let recorder = shared.rec.lock().map(|r| r.clone()).unwrap_or_default();
    PhaseResult { recorder, elapsed }
}

//! `xiaokang loadtest`: drives a realistic mix of bureau writes and reads at a running
//! suite and reports what it sustained.
//!
//! Module map:
//! - [`mix`]: the operations and their weights (`--mix get=40,...`), pure.
//! - [`schedule`]: open-loop send times, step rates and the step verdict, pure.
//! - [`stats`]: HdrHistogram per RPC, status-code counts, percentiles, table and JSON, pure.
//! - [`memory`]: RSS / high-water mark of watched processes from `/proc` (the soak run).
//! - [`cpu`]: CPU per call over a phase, of the machine and of this process, from `/proc`.
//! - [`workload`]: clients with the right tokens, the warm-up's planted data, one call.
//! - [`engine`]: the open and closed loops, bounded in time and count.
//!
//! [`run`] ties them together: warm up, then one phase (or a step series), watching memory.

pub mod cpu;
pub mod engine;
pub mod memory;
pub mod mix;
pub mod schedule;
pub mod stats;
pub mod workload;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use serde::Serialize;
use xk_runtime::Principal;

use crate::client::SuiteAddrs;
use engine::{Live, Load, Phase};
use memory::MemReport;
use mix::Mix;
use schedule::{StepOutcome, StepPlan, Verdict};
use stats::PhaseSummary;

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where each service answers.
    pub addrs: SuiteAddrs,
    /// Token per principal.
    pub tokens: HashMap<Principal, String>,
    /// The traffic mix.
    pub mix: Mix,
    /// Rate (open loop) or concurrency (closed loop); in step mode the first rate.
    pub load: Load,
    /// Longest the run (each step, in step mode) lasts.
    pub duration: Duration,
    /// Most requests the run (each step) makes.
    pub max_requests: u64,
    /// Deadline of every call.
    pub timeout: Duration,
    /// HTTP/2 connections per service.
    pub connections: usize,
    /// Households planted in warm-up.
    pub households: u32,
    /// Open loop: most calls in flight.
    pub max_in_flight: usize,
    /// Step mode: how rates grow and the p99 bound; None for a single phase.
    pub step: Option<StepConfig>,
    /// Processes whose memory is watched.
    pub watch_pids: Vec<u32>,
    /// This run's id (8 hex digits); prefixes the ids it creates.
    pub run_id: String,
    /// How target host names are re-resolved (each connection balances over all
    /// addresses of its target).
    pub resolve: xk_aggregator::resolve::ResolveSettings,
}

/// Step mode settings.
#[derive(Debug, Clone, Copy)]
pub struct StepConfig {
    /// Rate growth per step.
    pub factor: f64,
    /// Steps at most.
    pub max_steps: u32,
    /// A step whose p99 passes this fails.
    pub p99_bound_ms: f64,
    /// Steps still run after the first failing one, to show how overload is shed.
    pub steps_past: u32,
    /// A failing step is run again at the same rate up to this many times before the rate
    /// counts as failed (one noisy p99 on a shared machine should not end the search).
    pub retries: u32,
}

/// One step of a step run.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// 0 for the first run at this rate, then 1, 2, … for retries.
    pub attempt: u32,
    /// The verdict.
    pub verdict: Verdict,
    /// What it measured.
    #[serde(flatten)]
    pub summary: PhaseSummary,
}

/// What a run reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The run id (prefix of every id it created).
    pub run_id: String,
    /// The mix, as given.
    pub mix: Vec<&'static str>,
    /// Households planted by the warm-up; existing ones sampled.
    pub planted_households: usize,
    /// Existing households sampled from the target as read targets.
    pub existing_households: usize,
    /// The single phase (None in step mode).
    pub run: Option<PhaseSummary>,
    /// The steps (step mode).
    pub steps: Vec<StepReport>,
    /// Step mode: highest rate that met the bounds with no errors.
    pub sustainable_rate: Option<f64>,
    /// Memory of the watched processes.
    pub memory: Vec<MemReport>,
}

impl Report {
    /// The human table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "run {}: {} planted households, {} existing sampled\n",
            self.run_id, self.planted_households, self.existing_households
        );
        if let Some(r) = &self.run {
            out.push_str(&r.table());
        }
        for (i, s) in self.steps.iter().enumerate() {
            let retry = if s.attempt > 0 {
                format!(" (retry {})", s.attempt)
            } else {
                String::new()
            };
            out.push_str(&format!("\nstep {}{retry} — {:?}\n", i + 1, s.verdict));
            out.push_str(&s.summary.table());
        }
        if !self.steps.is_empty() {
            out.push_str(&format!(
                "\nhighest sustainable rate: {}\n",
                self.sustainable_rate
                    .map(|r| format!("{r:.0}/s"))
                    .unwrap_or_else(|| "none (the first step failed)".into())
            ));
        }
        for m in &self.memory {
            out.push_str(&format!(
                "pid {}: RSS first {:.1} MB, last {:.1} MB, peak {:.1} MB, VmHWM {:.1} MB, growth {:+.1} MB ({} samples)\n",
                m.pid, m.first_rss_mb, m.last_rss_mb, m.peak_rss_mb, m.hwm_mb, m.growth_mb, m.samples
            ));
        }
        out
    }
}

/// Observes a run's progress (a progress bar, or nothing).
pub trait Progress: Send + Sync {
    /// A phase starts: its label and length.
    fn phase(&self, label: &str, duration: Duration);
    /// Called about ten times a second with the live counters.
    fn tick(&self, elapsed: Duration, live: &Live);
    /// The phase ended.
    fn done(&self);
}

/// No progress display.
pub struct Quiet;

impl Progress for Quiet {
    fn phase(&self, _: &str, _: Duration) {}
    fn tick(&self, _: Duration, _: &Live) {}
    fn done(&self) {}
}

/// A fresh run id: 8 hex digits.
pub fn new_run_id() -> String {
    xk_runtime::auth::random_token()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(8)
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Runs one phase with a progress ticker; returns its summary (with its CPU cost).
async fn phase(
    work: &workload::Workload,
    cfg: &Config,
    load: Load,
    seq: Arc<AtomicU64>,
    label: &str,
    progress: &dyn Progress,
) -> PhaseSummary {
    let live = Arc::new(Live::default());
    progress.phase(label, cfg.duration);
    let p = Phase {
        load,
        duration: cfg.duration,
        max_requests: cfg.max_requests,
        max_in_flight: cfg.max_in_flight,
    };
    let before = cpu::read();
    let fut = engine::run_phase(work, &cfg.mix, p, seq, live.clone());
    tokio::pin!(fut);
    let start = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let result = loop {
        tokio::select! {
            r = &mut fut => break r,
            _ = tick.tick() => progress.tick(start.elapsed(), &live),
        }
    };
    let after = cpu::read();
    progress.done();
    let (rate, conc) = match load {
        Load::Rate(r) => (Some(r), None),
        Load::Concurrency(c) => (None, Some(c)),
    };
    let mut summary = PhaseSummary::of(&result.recorder, result.elapsed, rate, conc);
    summary.cpu = before
        .zip(after)
        .and_then(|(b, a)| cpu::CpuUse::between(b, a, summary.calls));
    summary
}

/// Warms up, runs the phase (or steps), and reports.
pub async fn run(cfg: &Config, progress: &dyn Progress) -> anyhow::Result<Report> {
    let clients = workload::Clients::connect(
        &cfg.addrs,
        &cfg.tokens,
        &cfg.mix,
        cfg.connections,
        &cfg.resolve,
    )?;
    let work =
        workload::Workload::warm_up(clients, &cfg.mix, cfg.households, &cfg.run_id, cfg.timeout)
            .await?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    let watcher = tokio::spawn(memory::watch(cfg.watch_pids.clone(), stop_rx));
    let seq = Arc::new(AtomicU64::new(0));
    let mut report = Report {
        run_id: cfg.run_id.clone(),
        mix: cfg.mix.ops().map(|o| o.key()).collect(),
        planted_households: work.fixture.households.len(),
        existing_households: work.fixture.existing.len(),
        run: None,
        steps: Vec::new(),
        sustainable_rate: None,
        memory: Vec::new(),
    };
    match (cfg.step, cfg.load) {
        (Some(step), Load::Rate(start_rate)) => {
            let plan = StepPlan {
                start_rate,
                factor: step.factor,
                max_steps: step.max_steps,
            };
            let mut verdicts = Vec::new();
            let mut past = 0;
            for rate in plan.rates() {
                let mut attempt = 0;
                let verdict = loop {
                    let label = format!("step at {rate:.0}/s");
                    let summary =
                        phase(&work, cfg, Load::Rate(rate), seq.clone(), &label, progress).await;
                    let verdict = schedule::judge_step(
                        &StepOutcome {
                            target_rate: rate,
                            achieved_rate: summary.rps,
                            p99_ms: summary.overall.p99_ms,
                            errors: summary.errors,
                        },
                        step.p99_bound_ms,
                    );
                    report.steps.push(StepReport {
                        attempt,
                        verdict,
                        summary,
                    });
                    if verdict == Verdict::Sustained || attempt >= step.retries {
                        break verdict;
                    }
                    attempt += 1;
                };
                verdicts.push((rate, verdict));
                if verdicts.iter().any(|(_, v)| *v != Verdict::Sustained) {
                    if past >= step.steps_past {
                        break;
                    }
                    past += 1;
                }
            }
            report.sustainable_rate = schedule::highest_sustainable(&verdicts);
        }
        (Some(_), Load::Concurrency(_)) => {
            anyhow::bail!("--step needs --rate (an open loop)")
        }
        (None, load) => {
            report.run = Some(phase(&work, cfg, load, seq, "load", progress).await);
        }
    }
    let _ = stop_tx.send(());
    report.memory = watcher.await.unwrap_or_default();
    Ok(report)
}

//! What a run measured: a latency histogram and status-code counts per RPC, and their
//! summaries (percentiles, throughput) as a human table or JSON (pure).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::mix::Op;

/// Lowest latency the histograms hold, in microseconds.
const HIST_LOW_US: u64 = 1;
/// Highest latency the histograms hold (a minute, in microseconds); longer is clamped.
const HIST_HIGH_US: u64 = 60_000_000;
/// Significant figures kept (0.1% resolution).
const HIST_SIGFIG: u8 = 3;

/// A fresh latency histogram in microseconds.
pub fn histogram() -> Histogram<u64> {
    // Constant bounds that hdrhistogram accepts (a unit test builds one), not input.
    Histogram::new_with_bounds(HIST_LOW_US, HIST_HIGH_US, HIST_SIGFIG)
        .expect("constant histogram bounds are valid")
}

/// The canonical gRPC name of a status code (`OK`, `RESOURCE_EXHAUSTED`, …).
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// How one call ended: its gRPC status, and for the aggregator's reads whether the answer
/// was complete (a summary or household file with a section unavailable is OK on the wire
/// but degraded; the load test counts it apart, as `OK_INCOMPLETE`, and not as OK).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The gRPC status code.
    pub code: tonic::Code,
    /// OK, but some section of the answer was unavailable.
    pub incomplete: bool,
}

/// The name an OK-but-incomplete answer is counted under.
pub const INCOMPLETE: &str = "OK_INCOMPLETE";

impl Outcome {
    /// A plain status.
    pub fn status(code: tonic::Code) -> Outcome {
        Outcome {
            code,
            incomplete: false,
        }
    }

    /// The name it is counted under.
    pub fn name(self) -> &'static str {
        if self.code == tonic::Code::Ok && self.incomplete {
            INCOMPLETE
        } else {
            code_name(self.code)
        }
    }

    /// Whether it is a full success.
    pub fn is_ok(self) -> bool {
        self.name() == "OK"
    }
}

/// Latency and outcomes of one RPC.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// Latency of every call (microseconds), whatever its status.
    pub hist: Histogram<u64>,
    /// Latency of the calls refused with RESOURCE_EXHAUSTED (shed): the server's goal is
    /// to refuse fast, so these are measured apart from the calls it took on.
    pub refused: Histogram<u64>,
    /// Latency of every other call (answered, or failed in any other way).
    pub accepted: Histogram<u64>,
    /// Calls per status code.
    pub codes: BTreeMap<&'static str, u64>,
}

impl Default for OpStats {
    fn default() -> Self {
        OpStats {
            hist: histogram(),
            refused: histogram(),
            accepted: histogram(),
            codes: BTreeMap::new(),
        }
    }
}

/// Everything one run (or one step) measured, per operation.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    /// Stats per operation.
    pub ops: BTreeMap<Op, OpStats>,
}

impl Recorder {
    /// Records one finished call.
    pub fn record(&mut self, op: Op, latency: Duration, outcome: Outcome) {
        let s = self.ops.entry(op).or_default();
        let us = (latency.as_micros() as u64).clamp(HIST_LOW_US, HIST_HIGH_US);
        // Within bounds by the clamp above; a failure would only lose one sample.
        let _ = s.hist.record(us);
        let _ = if outcome.code == tonic::Code::ResourceExhausted {
            s.refused.record(us)
        } else {
            s.accepted.record(us)
        };
        *s.codes.entry(outcome.name()).or_insert(0) += 1;
    }

    /// Adds another recorder's samples.
    pub fn merge(&mut self, other: &Recorder) {
        for (op, s) in &other.ops {
            let mine = self.ops.entry(*op).or_default();
            let _ = mine.hist.add(&s.hist);
            let _ = mine.refused.add(&s.refused);
            let _ = mine.accepted.add(&s.accepted);
            for (c, n) in &s.codes {
                *mine.codes.entry(c).or_insert(0) += n;
            }
        }
    }

    /// Calls recorded.
    pub fn total(&self) -> u64 {
        self.ops.values().map(|s| s.hist.len()).sum()
    }

    /// Calls that did not end OK (incomplete answers included).
    pub fn errors(&self) -> u64 {
        self.ops
            .values()
            .flat_map(|s| s.codes.iter())
            .filter(|(c, _)| **c != "OK")
            .map(|(_, n)| n)
            .sum()
    }

    /// The summary of every RPC over `elapsed`.
    pub fn summarize(&self, elapsed: Duration) -> Vec<RpcSummary> {
        self.ops
            .iter()
            .map(|(op, s)| RpcSummary::of(*op, s, elapsed))
            .collect()
    }

    /// The latency histogram of every call together.
    pub fn overall(&self) -> Histogram<u64> {
        self.merged(|s| &s.hist)
    }

    /// The latency histogram of every call refused with RESOURCE_EXHAUSTED.
    pub fn refused(&self) -> Histogram<u64> {
        self.merged(|s| &s.refused)
    }

    /// The latency histogram of every call not refused with RESOURCE_EXHAUSTED.
    pub fn accepted(&self) -> Histogram<u64> {
        self.merged(|s| &s.accepted)
    }

    fn merged(&self, which: impl Fn(&OpStats) -> &Histogram<u64>) -> Histogram<u64> {
        let mut all = histogram();
        for s in self.ops.values() {
            let _ = all.add(which(s));
        }
        all
    }
}

/// Milliseconds of a microsecond histogram value.
fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Percentiles of a histogram, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Slowest call.
    pub max_ms: f64,
}

impl Percentiles {
    /// The percentiles of `h` (all zero when empty).
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles {
                p50_ms: 0.0,
                p90_ms: 0.0,
                p99_ms: 0.0,
                p999_ms: 0.0,
                max_ms: 0.0,
            };
        }
        Percentiles {
            p50_ms: ms(h.value_at_quantile(0.5)),
            p90_ms: ms(h.value_at_quantile(0.9)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// One RPC's line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RpcSummary {
    /// The mix key (`get`, …).
    pub op: Op,
    /// The RPC (`registry.GetHousehold`, …).
    pub rpc: &'static str,
    /// Calls made (every status).
    pub calls: u64,
    /// Calls per second over the run.
    pub rps: f64,
    /// Latency percentiles over every call.
    #[serde(flatten)]
    pub latency: Percentiles,
    /// Calls per gRPC status code.
    pub codes: BTreeMap<&'static str, u64>,
}

impl RpcSummary {
    /// The summary of `s` over `elapsed`.
    pub fn of(op: Op, s: &OpStats, elapsed: Duration) -> RpcSummary {
        let secs = elapsed.as_secs_f64().max(1e-9);
        RpcSummary {
            op,
            rpc: op.rpc(),
            calls: s.hist.len(),
            rps: s.hist.len() as f64 / secs,
            latency: Percentiles::of(&s.hist),
            codes: s.codes.clone(),
        }
    }
}

/// The whole of one timed phase (a plain run, or one step of a step run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseSummary {
    /// `open` (constant rate) or `closed` (fixed concurrency).
    pub mode: &'static str,
    /// Asked rate (open loop), requests per second.
    pub target_rate: Option<f64>,
    /// Calls in flight (closed loop).
    pub concurrency: Option<usize>,
    /// Seconds the phase ran.
    pub seconds: f64,
    /// Calls made.
    pub calls: u64,
    /// Calls that did not end OK.
    pub errors: u64,
    /// Calls completed per second.
    pub rps: f64,
    /// Latency over every call.
    pub overall: Percentiles,
    /// Calls refused with RESOURCE_EXHAUSTED (shed by the server).
    pub refused_calls: u64,
    /// Latency of the calls refused with RESOURCE_EXHAUSTED: how fast overload is refused.
    pub refused: Percentiles,
    /// Latency of every other call: what the callers the server took on waited.
    pub accepted: Percentiles,
    /// Per RPC.
    pub rpcs: Vec<RpcSummary>,
    /// What the phase's calls cost in CPU (Linux; set by the run, not by [`PhaseSummary::of`]).
    pub cpu: Option<super::cpu::CpuUse>,
}

impl PhaseSummary {
    /// Summarizes a recorder over `elapsed`.
    pub fn of(
        rec: &Recorder,
        elapsed: Duration,
        target_rate: Option<f64>,
        concurrency: Option<usize>,
    ) -> PhaseSummary {
        let calls = rec.total();
        PhaseSummary {
            mode: if target_rate.is_some() {
                "open"
            } else {
                "closed"
            },
            target_rate,
            concurrency,
            seconds: elapsed.as_secs_f64(),
            calls,
            errors: rec.errors(),
            rps: calls as f64 / elapsed.as_secs_f64().max(1e-9),
            overall: Percentiles::of(&rec.overall()),
            refused_calls: rec.refused().len(),
            refused: Percentiles::of(&rec.refused()),
            accepted: Percentiles::of(&rec.accepted()),
            rpcs: rec.summarize(elapsed),
            cpu: None,
        }
    }

    /// A human table: one line per RPC, then the total.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let load = match (self.target_rate, self.concurrency) {
            (Some(r), _) => format!("open loop at {r:.0}/s"),
            (None, Some(c)) => format!("closed loop, concurrency {c}"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{load}: {} calls in {:.1} s = {:.0}/s, {} not OK\n",
            self.calls, self.seconds, self.rps, self.errors
        ));
        out.push_str(&format!(
            "{:<30} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}  codes\n",
            "rpc", "calls", "rps", "p50 ms", "p90 ms", "p99 ms", "p99.9", "max ms"
        ));
        let line = |name: &str, calls: u64, rps: f64, l: &Percentiles, codes: String| {
            format!(
                "{:<30} {:>8} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}\n",
                name, calls, rps, l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms, codes
            )
        };
        for r in &self.rpcs {
            let codes = r
                .codes
                .iter()
                .map(|(c, n)| format!("{c}={n}"))
                .collect::<Vec<_>>()
                .join(" ");
            out.push_str(&line(r.rpc, r.calls, r.rps, &r.latency, codes));
        }
        let refused = self.refused_calls;
        let accepted = self.calls - refused;
        let secs = self.seconds.max(1e-9);
        out.push_str(&line(
            "accepted (not shed)",
            accepted,
            accepted as f64 / secs,
            &self.accepted,
            String::new(),
        ));
        out.push_str(&line(
            "refused (RESOURCE_EXHAUSTED)",
            refused,
            refused as f64 / secs,
            &self.refused,
            String::new(),
        ));
        out.push_str(&line(
            "all",
            self.calls,
            self.rps,
            &self.overall,
            String::new(),
        ));
        if let Some(cpu) = &self.cpu {
            out.push_str(&cpu.line());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Recorder {
        let mut r = Recorder::default();
        for i in 1..=1000u64 {
            r.record(
                Op::Get,
                Duration::from_micros(i * 10),
                Outcome::status(tonic::Code::Ok),
            );
        }
        r.record(
            Op::Settle,
            Duration::from_millis(3),
            Outcome::status(tonic::Code::ResourceExhausted),
        );
        r.record(
            Op::Settle,
            Duration::from_millis(1),
            Outcome::status(tonic::Code::Ok),
        );
        r
    }

    #[test]
    fn percentiles_come_from_the_samples() {
        let r = sample();
        let s = PhaseSummary::of(&r, Duration::from_secs(2), Some(500.0), None);
        let get = &s.rpcs[0];
        assert_eq!(get.op, Op::Get);
        assert_eq!(get.calls, 1000);
        assert!((get.latency.p50_ms - 5.0).abs() < 0.05, "{:?}", get.latency);
        assert!((get.latency.p90_ms - 9.0).abs() < 0.05);
        assert!((get.latency.p99_ms - 9.9).abs() < 0.05);
        assert!((get.latency.max_ms - 10.0).abs() < 0.05);
        assert!((get.rps - 500.0).abs() < 1e-9);
        assert_eq!(s.calls, 1002);
        assert_eq!(s.errors, 1);
        // The shed call is measured apart from the calls taken on.
        assert_eq!(s.refused_calls, 1);
        assert!((s.refused.p99_ms - 3.0).abs() < 0.05, "{:?}", s.refused);
        assert!((s.accepted.max_ms - 10.0).abs() < 0.05, "{:?}", s.accepted);
        assert!(s.accepted.p50_ms < 5.1, "{:?}", s.accepted);
    }

    #[test]
    fn codes_are_counted_by_canonical_name() {
        let r = sample();
        let settle = &r.ops[&Op::Settle];
        assert_eq!(settle.codes.get("RESOURCE_EXHAUSTED"), Some(&1));
        assert_eq!(settle.codes.get("OK"), Some(&1));
        assert_eq!(code_name(tonic::Code::Unavailable), "UNAVAILABLE");
    }

    #[test]
    fn incomplete_answers_are_not_ok() {
        let degraded = Outcome {
            code: tonic::Code::Ok,
            incomplete: true,
        };
        assert_eq!(degraded.name(), INCOMPLETE);
        assert!(!degraded.is_ok());
        let mut r = Recorder::default();
        r.record(Op::Summary, Duration::from_millis(2), degraded);
        assert_eq!(r.errors(), 1);
        // A failed call is its status, whatever the flag says.
        let failed = Outcome {
            code: tonic::Code::Unavailable,
            incomplete: true,
        };
        assert_eq!(failed.name(), "UNAVAILABLE");
    }

    #[test]
    fn merging_adds_counts_and_samples() {
        let mut a = sample();
        a.merge(&sample());
        assert_eq!(a.total(), 2004);
        assert_eq!(a.errors(), 2);
        assert_eq!(a.ops[&Op::Get].hist.len(), 2000);
    }

    #[test]
    fn json_shape_is_stable() {
        let s = PhaseSummary::of(&sample(), Duration::from_secs(1), None, Some(8));
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["mode"], "closed");
        assert_eq!(v["concurrency"], 8);
        assert_eq!(v["calls"], 1002);
        let rpc = &v["rpcs"][1];
        assert_eq!(rpc["op"], "settle");
        assert_eq!(rpc["rpc"], "health.SettleCase");
        assert_eq!(rpc["codes"]["RESOURCE_EXHAUSTED"], 1);
        for k in [
            "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "rps", "calls",
        ] {
            assert!(rpc.get(k).is_some(), "missing {k}");
        }
        assert!(v["overall"]["p99_ms"].is_number());
        assert_eq!(v["refused_calls"], 1);
        assert!(v["refused"]["p99_ms"].is_number());
        assert!(v["accepted"]["p99_ms"].is_number());
    }

    #[test]
    fn table_lists_every_rpc_and_the_total() {
        let t = PhaseSummary::of(&sample(), Duration::from_secs(1), Some(10.0), None).table();
        assert!(t.contains("registry.GetHousehold"));
        assert!(t.contains("RESOURCE_EXHAUSTED=1"));
        let refused = t
            .lines()
            .find(|l| l.starts_with("refused"))
            .unwrap_or_default();
        assert_eq!(refused.split_whitespace().nth(2), Some("1"), "{t}");
        assert!(t.lines().last().unwrap_or_default().starts_with("all"));
    }
}

//! How the benchmarks time calls: a fixed concurrency for a fixed time ([`drive`], the
//! registry benchmark and the metrics-overhead run), or a number of calls one after the
//! other after a warm-up ([`time_calls`], the services, summary and growth benchmarks).
//! A leaf: every benchmark uses it and it uses none of them.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tonic::transport::{Channel, Endpoint};

/// Summary calls made (and not counted) before the timed ones.
const WARM_UP_CALLS: u32 = 5;

/// Calls made by [`drive`] and their latency.
pub struct Latency {
    /// Calls timed.
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Seconds timed.
    pub seconds: f64,
    /// Latency in microseconds.
    pub hist: Histogram<u64>,
}

impl Latency {
    /// Calls per second.
    pub fn rps(&self) -> f64 {
        self.calls as f64 / self.seconds
    }
    /// Latency at quantile `q`, in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }
    /// Adds another run's calls, time and latencies to these (runs taken one after the
    /// other: their seconds add up).
    pub fn merge(&mut self, other: Latency) {
        self.calls += other.calls;
        self.errors += other.errors;
        self.seconds += other.seconds;
        // Both histograms share the bounds `drive` gives them, so adding cannot fail.
        let _ = self.hist.add(&other.hist);
    }
}

/// `n` (at least one) HTTP/2 connections to `url`, each connected before timing starts.
pub(super) async fn channels(url: &str, n: usize) -> anyhow::Result<Vec<Channel>> {
    let mut out = Vec::new();
    for _ in 0..n.max(1) {
        out.push(
            Endpoint::from_shared(url.to_string())?
                .tcp_nodelay(true)
                .connect()
                .await?,
        );
    }
    Ok(out)
}

/// Runs `call` from `concurrency` tasks for `seconds` (plus a warm-up) and collects latency.
pub(super) async fn drive<F, Fut>(concurrency: usize, seconds: u64, call: F) -> Latency
where
    F: Fn(usize, u64) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let warm_until = Instant::now() + Duration::from_secs(1);
    let stop_at = warm_until + Duration::from_secs(seconds);
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let call = call.clone();
        let errors = errors.clone();
        tasks.push(tokio::spawn(async move {
            let mut hist =
                Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
            let mut calls = 0u64;
            let mut i = t as u64;
            loop {
                let started = Instant::now();
                if started >= stop_at {
                    break;
                }
                let ok = call(t, i).await;
                i = i.wrapping_add(7919);
                if started >= warm_until {
                    calls += 1;
                    let _ = hist.record(started.elapsed().as_micros().max(1) as u64);
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            (calls, hist)
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
    let mut calls = 0;
    for t in tasks {
        if let Ok((c, h)) = t.await {
            calls += c;
            let _ = all.add(h);
        }
    }
    Latency {
        calls,
        errors: errors.load(Ordering::Relaxed),
        seconds: seconds as f64,
        hist: all,
    }
}

/// Latency of the timed summary calls, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Summary {
    /// Calls timed.
    pub(super) calls: u64,
    /// Median.
    pub(super) p50_ms: f64,
    /// 99th percentile.
    pub(super) p99_ms: f64,
    /// Slowest call.
    pub(super) max_ms: f64,
}

impl Summary {
    fn from_hist(h: &Histogram<u64>) -> Summary {
        Summary {
            calls: h.len(),
            p50_ms: h.value_at_quantile(0.5) as f64 / 1000.0,
            p99_ms: h.value_at_quantile(0.99) as f64 / 1000.0,
            max_ms: h.max() as f64 / 1000.0,
        }
    }
}

/// Makes `WARM_UP_CALLS` untimed calls, then `n` timed ones, one after the other.
pub(super) async fn time_calls<F, Fut>(n: u32, call: F) -> anyhow::Result<Summary>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), tonic::Status>>,
{
    for _ in 0..WARM_UP_CALLS {
        call().await?;
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for _ in 0..n {
        let started = Instant::now();
        call().await?;
        hist.record(started.elapsed().as_micros().clamp(1, 60_000_000) as u64)?;
    }
    Ok(Summary::from_hist(&hist))
}

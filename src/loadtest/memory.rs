//! Watching a process's memory during a run (`--watch-pid`): resident set size (VmRSS)
//! and its high-water mark (VmHWM) read from `/proc/PID/status`, sampled periodically.
//! A long run with it is the soak test: growth from the first to the last sample that
//! keeps climbing under steady load is a leak.

use std::time::Duration;

use serde::Serialize;

/// How often the watcher samples.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(500);

/// One reading of a process's memory, in kilobytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemSample {
    /// Resident set size now (VmRSS).
    pub rss_kb: u64,
    /// Peak resident set size since the process started (VmHWM).
    pub hwm_kb: u64,
}

/// Reads VmRSS and VmHWM out of the text of `/proc/PID/status`.
pub fn parse_status(text: &str) -> Option<MemSample> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(MemSample {
        rss_kb: field("VmRSS:")?,
        hwm_kb: field("VmHWM:")?,
    })
}

/// Reads a process's memory now (None when it is gone or /proc is unavailable).
pub fn sample(pid: u32) -> Option<MemSample> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .as_deref()
        .and_then(parse_status)
}

/// What was seen of one process over a run, in megabytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemReport {
    /// The process watched.
    pub pid: u32,
    /// Samples taken.
    pub samples: u64,
    /// RSS at the first sample.
    pub first_rss_mb: f64,
    /// RSS at the last sample.
    pub last_rss_mb: f64,
    /// Highest RSS sampled.
    pub peak_rss_mb: f64,
    /// The kernel's high-water mark at the last sample (catches peaks between samples).
    pub hwm_mb: f64,
    /// last − first RSS: growth over the run.
    pub growth_mb: f64,
}

/// Accumulates samples of one process.
#[derive(Debug, Clone, Default)]
pub struct MemTrack {
    /// First sample seen.
    first: Option<MemSample>,
    /// Latest sample seen.
    last: Option<MemSample>,
    /// Highest RSS seen (kB).
    peak_rss_kb: u64,
    /// Samples taken.
    samples: u64,
}

impl MemTrack {
    /// Adds a sample.
    pub fn add(&mut self, s: MemSample) {
        self.first.get_or_insert(s);
        self.last = Some(s);
        self.peak_rss_kb = self.peak_rss_kb.max(s.rss_kb);
        self.samples += 1;
    }

    /// The report (None before any sample).
    pub fn report(&self, pid: u32) -> Option<MemReport> {
        let (first, last) = (self.first?, self.last?);
        let mb = |kb: u64| kb as f64 / 1024.0;
        Some(MemReport {
            pid,
            samples: self.samples,
            first_rss_mb: mb(first.rss_kb),
            last_rss_mb: mb(last.rss_kb),
            peak_rss_mb: mb(self.peak_rss_kb),
            hwm_mb: mb(last.hwm_kb),
            growth_mb: mb(last.rss_kb) - mb(first.rss_kb),
        })
    }
}

/// Samples `pids` every [`SAMPLE_EVERY`] until `stop` fires, then reports each.
pub async fn watch(pids: Vec<u32>, mut stop: tokio::sync::oneshot::Receiver<()>) -> Vec<MemReport> {
    let mut tracks: Vec<MemTrack> = vec![MemTrack::default(); pids.len()];
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    loop {
        for (pid, t) in pids.iter().zip(tracks.iter_mut()) {
            if let Some(s) = sample(*pid) {
                t.add(s);
            }
        }
        tokio::select! {
            _ = tick.tick() => {}
            _ = &mut stop => break,
        }
    }
    for (pid, t) in pids.iter().zip(tracks.iter_mut()) {
        if let Some(s) = sample(*pid) {
            t.add(s);
        }
    }
    pids.iter()
        .zip(tracks.iter())
        .filter_map(|(pid, t)| t.report(*pid))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\txiaokang\nVmPeak:\t  900000 kB\nVmHWM:\t   204800 kB\nVmRSS:\t   102400 kB\nThreads:\t5\n";

    #[test]
    fn reads_rss_and_high_water_mark() {
        assert_eq!(
            parse_status(STATUS),
            Some(MemSample {
                rss_kb: 102_400,
                hwm_kb: 204_800
            })
        );
        assert_eq!(parse_status("Name:\tx\n"), None);
    }

    #[test]
    fn tracks_peak_and_growth() {
        let mut t = MemTrack::default();
        assert!(t.report(1).is_none());
        for (rss, hwm) in [(100, 100), (300, 300), (200, 300)] {
            t.add(MemSample {
                rss_kb: rss * 1024,
                hwm_kb: hwm * 1024,
            });
        }
        let r = t.report(7).unwrap();
        assert_eq!((r.pid, r.samples), (7, 3));
        assert_eq!(r.peak_rss_mb, 300.0);
        assert_eq!(r.hwm_mb, 300.0);
        assert_eq!(r.growth_mb, 100.0);
    }

    #[test]
    fn samples_this_process() {
        let s = sample(std::process::id()).expect("this process has a /proc status");
        assert!(s.rss_kb > 0 && s.hwm_kb >= s.rss_kb);
    }
}

//! What a phase's calls cost in CPU, from the kernel's counters (`/proc/stat` for the whole
//! machine, `/proc/self/stat` for this process; Linux only, `None` elsewhere).
//!
//! A throughput goal is only reachable if the calls fit in the machine's CPUs: a call that
//! costs 500 µs of CPU, summed over the load generator, the services and PostgreSQL, allows
//! at most 4,000 calls a second on 2 CPUs whatever the code does about waiting. The
//! machine figure counts every process, so it is the benchmark's cost only on an
//! otherwise quiet machine (the benchmarks say to run them on one), and it counts this
//! machine only: against services on other hosts it is the load generator's cost.

use std::time::Instant;

use serde::Serialize;

/// One reading of the counters, in the kernel's clock ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Ticks all CPUs spent running anything (user, nice, system, irq, softirq).
    busy: u64,
    /// Ticks all CPUs counted in all (busy, idle, iowait, and steal: time the hypervisor
    /// gave to other machines).
    total: u64,
    /// CPUs the machine counts.
    cpus: u32,
    /// Ticks this process ran (user and system).
    process: u64,
    /// When it was read (to turn ticks into seconds without assuming the tick rate).
    at: Instant,
}

/// The CPU a phase's calls cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CpuUse {
    /// CPUs of the machine.
    pub cpus: u32,
    /// Share of the machine's CPU time that was busy during the phase (0–1).
    pub machine_busy: f64,
    /// Machine CPU time per call (µs): this process and every other one (PostgreSQL).
    pub machine_us_per_call: f64,
    /// This process's CPU time per call (µs): the load generator, and the services when
    /// they run in the same process (`bench`).
    pub process_us_per_call: f64,
    /// Calls per second the machine could answer at this cost with every CPU busy.
    pub ceiling_per_s: f64,
}

/// Busy ticks, all ticks and CPUs from the text of `/proc/stat`.
pub fn parse_machine(stat: &str) -> Option<(u64, u64, u32)> {
    let mut lines = stat.lines();
    let first = lines.next()?;
    let mut fields = first.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let n: Vec<u64> = fields.map_while(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let [user, nice, system, idle, iowait, irq, softirq, steal, ..] = n[..] else {
        return None;
    };
    let busy = user + nice + system + irq + softirq;
    let cpus = lines
        .filter(|l| {
            l.strip_prefix("cpu")
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count();
    Some((
        busy,
        busy + idle + iowait + steal,
        u32::try_from(cpus).ok()?,
    ))
}

/// User plus system ticks from the text of `/proc/<pid>/stat`.
pub fn parse_process(stat: &str) -> Option<u64> {
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    // After the name: state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Reads the counters now.
pub fn read() -> Option<Reading> {
    let at = Instant::now();
    let (busy, total, cpus) = parse_machine(&std::fs::read_to_string("/proc/stat").ok()?)?;
    let process = parse_process(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    Some(Reading {
        busy,
        total,
        cpus,
        process,
        at,
    })
}

impl CpuUse {
    /// The cost of `calls` made between two readings; `None` without calls or time.
    pub fn between(before: Reading, after: Reading, calls: u64) -> Option<CpuUse> {
        let secs = after.at.duration_since(before.at).as_secs_f64();
        let total = after.total.checked_sub(before.total)? as f64;
        let cpus = after.cpus.max(1);
        if calls == 0 || secs <= 0.0 || total <= 0.0 {
            return None;
        }
        // Every CPU counts its ticks, so all ticks over the phase are cpus x secs x rate.
        let tick_secs = f64::from(cpus) * secs / total;
        let busy = after.busy.saturating_sub(before.busy) as f64;
        let process = after.process.saturating_sub(before.process) as f64;
        let per_call_us = |ticks: f64| ticks * tick_secs * 1e6 / calls as f64;
        let machine_us_per_call = per_call_us(busy);
        Some(CpuUse {
            cpus,
            machine_busy: busy / total,
            machine_us_per_call,
            process_us_per_call: per_call_us(process),
            ceiling_per_s: if machine_us_per_call > 0.0 {
                f64::from(cpus) * 1e6 / machine_us_per_call
            } else {
                f64::INFINITY
            },
        })
    }

    /// One line for a human.
    pub fn line(&self) -> String {
        format!(
            "CPU of this machine: {:.0}% of {} CPUs busy; {:.0} µs of machine CPU per call \
             ({:.0} µs in this process, the rest in other processes: the services when they \
             run apart, PostgreSQL; services on other hosts are not counted); at that cost \
             {} CPUs answer at most {:.0} calls/s",
            self.machine_busy * 100.0,
            self.cpus,
            self.machine_us_per_call,
            self.process_us_per_call,
            self.cpus,
            self.ceiling_per_s
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const STAT: &str = "cpu  79878 0 9036 22817 827 0 154 360 0 0\n\
                        cpu0 39289 0 3898 13094 72 0 12 152 0 0\n\
                        cpu1 40589 0 5138 9723 755 0 141 207 0 0\n\
                        intr 123\nctxt 456\ncpu_freq_is_not_a_cpu 1\n";

    #[test]
    fn the_machine_line_sums_busy_and_all_ticks_and_counts_cpus() {
        let (busy, total, cpus) = parse_machine(STAT).unwrap();
        assert_eq!(busy, 79_878 + 9_036 + 154);
        assert_eq!(total, busy + 22_817 + 827 + 360);
        assert_eq!(cpus, 2);
        assert_eq!(parse_machine("intr 1\n"), None);
        assert_eq!(parse_machine("cpu 1 2 3\n"), None, "too few fields");
    }

    #[test]
    fn process_ticks_are_user_plus_system_whatever_the_name() {
        let stat = "13441 (a (b) c) R 13434 13434 4304 0 -1 4194304 95 0 0 0 17 5 0 0 20 0 1";
        assert_eq!(parse_process(stat), Some(17 + 5));
        assert_eq!(parse_process("garbage"), None);
    }

    #[test]
    fn cost_per_call_and_ceiling_follow_from_the_ticks() {
        let t0 = Instant::now();
        let before = Reading {
            busy: 1_000,
            total: 2_000,
            cpus: 2,
            process: 100,
            at: t0,
        };
        // 2 CPUs for 2 s at 100 ticks/s: 400 ticks in all, 300 busy, 200 of them ours.
        let after = Reading {
            busy: 1_300,
            total: 2_400,
            cpus: 2,
            process: 300,
            at: t0 + Duration::from_secs(2),
        };
        let u = CpuUse::between(before, after, 6_000).unwrap();
        assert!((u.machine_busy - 0.75).abs() < 1e-9);
        // 300 ticks = 3 CPU-seconds over 6,000 calls: 500 µs a call, 2 CPUs -> 4,000/s.
        assert!((u.machine_us_per_call - 500.0).abs() < 1e-6);
        assert!((u.process_us_per_call - 2e6 / 6_000.0).abs() < 1e-6);
        assert!((u.ceiling_per_s - 4_000.0).abs() < 1e-6);
        assert!(u.line().contains("4000 calls/s"), "{}", u.line());
        assert_eq!(CpuUse::between(before, after, 0), None);
    }
}

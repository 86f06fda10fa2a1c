//! When requests are due and how a step run raises the rate (pure).
//!
//! - Open loop: request `i` of a run at `rate` per second is *intended* at `i / rate`
//!   seconds after the start, whatever happened to earlier requests; its latency is
//!   measured from that instant, so time spent waiting behind slow calls is counted
//!   (no coordinated omission).
//! - Step mode: rates `start, start × factor, …` for a bounded number of steps; each step
//!   is judged by [`judge_step`], and [`highest_sustainable`] is the last rate before the
//!   first failing step.

use std::time::Duration;

/// The intended send instant of request `i` at `rate` requests per second, as an offset
/// from the start of the run.
pub fn intended_offset(i: u64, rate: f64) -> Duration {
    if rate <= 0.0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(i as f64 / rate)
}

/// How a step run raises the rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepPlan {
    /// Rate of the first step (requests per second).
    pub start_rate: f64,
    /// Each step's rate is the previous one times this (> 1).
    pub factor: f64,
    /// Steps at most (bounds the run's length).
    pub max_steps: u32,
}

impl StepPlan {
    /// The rate of every step, rounded to whole requests per second.
    pub fn rates(&self) -> Vec<f64> {
        let mut out = Vec::new();
        let mut r = self.start_rate;
        for _ in 0..self.max_steps {
            out.push(r.round().max(1.0));
            r *= self.factor;
        }
        out
    }
}

/// What one step measured, as far as judging it needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOutcome {
    /// The rate asked for.
    pub target_rate: f64,
    /// Calls completed per second.
    pub achieved_rate: f64,
    /// 99th percentile latency over every call of the step, in milliseconds.
    pub p99_ms: f64,
    /// Calls that did not end OK.
    pub errors: u64,
}

/// The verdict on one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Met the latency bound with no errors and kept up with the rate.
    Sustained,
    /// Some calls failed (shed, timed out or refused).
    Errors,
    /// p99 passed the bound.
    P99OverBound,
    /// Completed fewer than [`KEEP_UP_SHARE`] of the asked rate.
    FellBehind,
}

/// Share of the asked rate a step must complete to count as keeping up.
pub const KEEP_UP_SHARE: f64 = 0.9;

/// Judges a step against the p99 bound: errors first, then latency, then throughput.
pub fn judge_step(s: &StepOutcome, p99_bound_ms: f64) -> Verdict {
    if s.errors > 0 {
        Verdict::Errors
    } else if s.p99_ms > p99_bound_ms {
        Verdict::P99OverBound
    } else if s.achieved_rate < s.target_rate * KEEP_UP_SHARE {
        Verdict::FellBehind
    } else {
        Verdict::Sustained
    }
}

/// The highest rate sustained before the first failing step (none if the first failed).
pub fn highest_sustainable(steps: &[(f64, Verdict)]) -> Option<f64> {
    steps
        .iter()
        .take_while(|(_, v)| *v == Verdict::Sustained)
        .map(|(r, _)| *r)
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_loop_spaces_requests_evenly() {
        assert_eq!(intended_offset(0, 100.0), Duration::ZERO);
        assert_eq!(intended_offset(50, 100.0), Duration::from_millis(500));
        assert_eq!(intended_offset(3_000, 1_000.0), Duration::from_secs(3));
        assert_eq!(intended_offset(7, 0.0), Duration::ZERO);
    }

    #[test]
    fn steps_grow_by_the_factor_and_are_bounded() {
        let p = StepPlan {
            start_rate: 100.0,
            factor: 1.5,
            max_steps: 4,
        };
        assert_eq!(p.rates(), vec![100.0, 150.0, 225.0, 338.0]);
    }

    fn outcome(errors: u64, p99_ms: f64, achieved: f64) -> StepOutcome {
        StepOutcome {
            target_rate: 100.0,
            achieved_rate: achieved,
            p99_ms,
            errors,
        }
    }

    #[test]
    fn judges_errors_then_latency_then_throughput() {
        assert_eq!(judge_step(&outcome(0, 4.0, 99.0), 5.0), Verdict::Sustained);
        assert_eq!(judge_step(&outcome(1, 4.0, 99.0), 5.0), Verdict::Errors);
        assert_eq!(
            judge_step(&outcome(0, 6.0, 99.0), 5.0),
            Verdict::P99OverBound
        );
        assert_eq!(judge_step(&outcome(0, 4.0, 80.0), 5.0), Verdict::FellBehind);
        assert_eq!(judge_step(&outcome(3, 60.0, 10.0), 5.0), Verdict::Errors);
    }

    #[test]
    fn highest_sustainable_is_the_last_before_the_first_failure() {
        use Verdict::*;
        let steps = [
            (100.0, Sustained),
            (150.0, Sustained),
            (225.0, P99OverBound),
            (338.0, Sustained),
        ];
        assert_eq!(highest_sustainable(&steps), Some(150.0));
        assert_eq!(highest_sustainable(&[(100.0, Errors)]), None);
        assert_eq!(highest_sustainable(&[]), None);
    }
}

//! Deadline arithmetic and the retry rule of the aggregator's upstream calls.

use std::time::Duration;

use tonic::Code;

/// The share of the caller's budget kept back for combining the answers and sending the
/// reply: the upstream calls get the rest, so the summary is back before the caller gives
/// up even when every upstream call runs to its own deadline.
pub const MARGIN_PERCENT: u32 = 10;

/// The smallest margin kept back, whatever the budget: combining and replying is never
/// free, and a 10% margin of a short deadline would be too small to be useful.
pub const MIN_MARGIN: Duration = Duration::from_millis(25);

/// The shortest per-call budget worth sending: below it a call cannot complete, so it is
/// reported DEADLINE_EXCEEDED without being sent.
pub const MIN_CALL_BUDGET: Duration = Duration::from_millis(5);

/// Retries after the first attempt, only for UNAVAILABLE reads (brief: at most 2).
pub const MAX_RETRIES: u32 = 2;

/// The first retry's backoff; doubled for the second. Small, because the whole summary
/// must fit in the caller's deadline.
pub const BASE_BACKOFF: Duration = Duration::from_millis(20);

/// The budget of each upstream call: the caller's deadline (`grpc-timeout`) or the
/// configured default when it sent none, capped by the default too (a caller cannot make
/// the aggregator hold upstream calls open longer than the operator allows), minus the
/// margin. `None` when nothing useful is left.
pub fn call_budget(incoming: Option<Duration>, default: Duration) -> Option<Duration> {
    let total = incoming.map_or(default, |d| d.min(default));
    let margin = (total * MARGIN_PERCENT / 100).max(MIN_MARGIN);
    let budget = total.checked_sub(margin)?;
    (budget >= MIN_CALL_BUDGET).then_some(budget)
}

/// Whether a failed read is retried: only UNAVAILABLE (the request did not reach a
/// service that could answer), only while retries remain, and only if the backoff plus a
/// minimal call still fits in what is left of the budget. Returns the backoff to wait.
pub fn retry_after(code: Code, attempt: u32, remaining: Duration) -> Option<Duration> {
    if code != Code::Unavailable || attempt >= MAX_RETRIES {
        return None;
    }
    let backoff = BASE_BACKOFF * 2u32.pow(attempt);
    (remaining > backoff + MIN_CALL_BUDGET).then_some(backoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_keeps_a_margin_and_respects_the_cap() {
        let d = Duration::from_secs(5);
        assert_eq!(
            call_budget(Some(Duration::from_secs(1)), d),
            Some(Duration::from_millis(900))
        );
        // A short deadline keeps the minimum margin.
        assert_eq!(
            call_budget(Some(Duration::from_millis(100)), d),
            Some(Duration::from_millis(75))
        );
        // No deadline: the default.
        assert_eq!(call_budget(None, d), Some(Duration::from_millis(4500)));
        // A longer deadline is capped by the default.
        assert_eq!(
            call_budget(Some(Duration::from_secs(60)), d),
            Some(Duration::from_millis(4500))
        );
        // Nothing useful left.
        assert_eq!(call_budget(Some(Duration::from_millis(20)), d), None);
        assert_eq!(call_budget(Some(Duration::from_millis(29)), d), None);
    }

    #[test]
    fn retries_only_unavailable_at_most_twice_within_the_budget() {
        let lots = Duration::from_secs(1);
        assert_eq!(retry_after(Code::Unavailable, 0, lots), Some(BASE_BACKOFF));
        assert_eq!(
            retry_after(Code::Unavailable, 1, lots),
            Some(BASE_BACKOFF * 2)
        );
        assert_eq!(retry_after(Code::Unavailable, 2, lots), None);
        for c in [
            Code::DeadlineExceeded,
            Code::Internal,
            Code::NotFound,
            Code::PermissionDenied,
            Code::ResourceExhausted,
        ] {
            assert_eq!(retry_after(c, 0, lots), None, "{c:?}");
        }
        assert_eq!(
            retry_after(Code::Unavailable, 0, Duration::from_millis(24)),
            None
        );
    }
}

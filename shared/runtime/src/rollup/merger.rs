//! PostgreSQL's background merge: a task per process that moves the pending deltas into
//! the totals shortly after writes commit, so that no write pays for the merge.
//!
//! A PostgreSQL write commits its rows with the deltas its triggers wrote and leaves them
//! pending (summaries add them in through the `_live` view, see [`super`]). After a
//! commit wakes it, the merger waits [`MergeTiming::gather`] for more commits, then merges
//! every scope whose lock is free in one transaction of its own ([`Rollups::merge_pending`]):
//! one merge for all the writes of that moment, instead of one per group-commit batch on
//! the write path (which cost the imports and unary writes a quarter of their rate). With
//! nothing written it still looks every [`MergeTiming::idle_look`], for deltas another replica, or a
//! process that stopped before its merge, left pending.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;

use super::Rollups;

/// When the merger merges ([`crate::ServeSettings`]'s `rollup_merge_ms` and
/// `rollup_idle_merge_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeTiming {
    /// How long after a commit wakes the merger it merges: the commits of that time share
    /// one merge. At the default second and 3,000 writes a second the delta tables hold a
    /// few thousand rows (an import statement leaves one per village and key combination),
    /// which a summary's `_live` view adds in for a millisecond or two; merging ten times a
    /// second instead cost the county import 7 points of its rate on two cores.
    pub gather: Duration,
    /// How often it looks for pending deltas while this process writes nothing.
    pub idle_look: Duration,
    /// The most often it vacuums the delta tables after merging writes, so that the dead
    /// rows its merges leave do not slow the summaries that read those tables.
    pub vacuum_every: Duration,
    /// The most villages one merge transaction locks
    /// ([`super::DEFAULT_SCOPES_PER_MERGE`] says why there is a bound).
    pub scopes_per_merge: usize,
}

impl Default for MergeTiming {
    fn default() -> Self {
        MergeTiming {
            gather: Duration::from_millis(1_000),
            idle_look: Duration::from_secs(5),
            vacuum_every: Duration::from_secs(1),
            scopes_per_merge: super::DEFAULT_SCOPES_PER_MERGE,
        }
    }
}

/// The running merge task; dropping it (the last clone of the service's `Db`) stops it.
#[derive(Debug)]
pub(crate) struct Merger {
    /// The task, aborted on drop (a merge cut short rolls back whole).
    task: JoinHandle<()>,
}

impl Drop for Merger {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Merger {
    /// Starts merging `rollups` over `conn` in the background, when `timing` says; each
    /// round is counted for `service` ([`crate::metrics::ROLLUP_MERGES`]), with the deltas
    /// it left pending ([`crate::metrics::ROLLUP_PENDING`]).
    pub(crate) fn spawn(
        service: &'static str,
        conn: DatabaseConnection,
        rollups: Rollups,
        timing: MergeTiming,
    ) -> Merger {
        let task = tokio::spawn(async move {
            // Whether a merge of this process's writes has left dead delta rows since the
            // last vacuum, and when that vacuum ran.
            let mut unvacuumed = false;
            let mut vacuumed_at = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    _ = rollups.wake.notified() => {
                        tokio::time::sleep(timing.gather).await;
                        unvacuumed = true;
                    }
                    _ = tokio::time::sleep(timing.idle_look) => {}
                }
                let merged = rollups.merge_pending(&conn).await;
                if unvacuumed && vacuumed_at.elapsed() >= timing.vacuum_every {
                    // Every summary reads the delta tables whole, and each merge deletes
                    // what it moved: without this the dead rows pile up between
                    // autovacuum's visits (a minute apart at best).
                    if let Err(e) = rollups.vacuum_deltas(&conn).await {
                        tracing::warn!(service, error = %e, "rollup delta tables not vacuumed");
                    }
                    unvacuumed = false;
                    vacuumed_at = tokio::time::Instant::now();
                }
                // Set before the round is counted, so that whoever sees the round sees
                // what it left.
                match rollups.pending_rows(&conn).await {
                    Ok(rows) => crate::metrics::record_rollup_pending(service, rows),
                    Err(e) => tracing::debug!(service, error = %e, "pending deltas not counted"),
                }
                crate::metrics::record_rollup_merge(service, merged.is_ok());
                if let Err(e) = merged {
                    // They stay pending, counted by summaries; the next round retries.
                    tracing::warn!(service, error = %e, "rollup deltas not merged this round");
                }
            }
        });
        Merger { task }
    }

    /// Stops the task (graceful shutdown, before the last merge).
    pub(crate) fn stop(&self) {
        self.task.abort();
    }
}

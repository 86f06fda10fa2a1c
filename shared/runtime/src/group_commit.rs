//! Group commit: concurrent writes to one database share one transaction and one commit.
//!
//! Without it every write pays its own commit, and on SQLite (`synchronous=FULL`) that is an
//! fsync behind the one-writer lock: concurrent writers queue and each waits for the
//! previous writer's fsync. With it [`Db::write`](crate::db::Db::write) runs like this:
//!
//! 1. A writer locks the open batch (a `tokio::sync::Mutex`, which is FIFO-fair). If no
//!    batch is open it begins a write transaction and becomes the batch's leader.
//! 2. It runs its own work inside a savepoint ([`SAVEPOINTS`]): claim the request id →
//!    the handler's work → record the response and the audit row, which the batch's
//!    commit stores for all members at once ([`crate::idempotency`]). It leaves its
//!    savepoint open; the next member's first statement releases it and opens its own
//!    (`RELEASE SAVEPOINT a; SAVEPOINT b`), and on SQLite claims its request id in the same
//!    statement: a write costs two round trips to the connection fewer on SQLite, one on
//!    PostgreSQL, than savepoint, claim, work, release each on its own. (Leaving *every* savepoint open
//!    made SQLite slower: every page a statement writes is checked against each open
//!    savepoint, so a batch's nesting cost grew with its square; here at most two are
//!    open.) If any of that fails it runs `ROLLBACK TO SAVEPOINT` + `RELEASE`, forgets
//!    what it recorded, and returns its error at once (a unique
//!    violation only after the batch's commit, so that the caller's explanation, which
//!    reads committed rows, finds a batch-mate's row): it wrote nothing, and on PostgreSQL the rollback also clears the failed statement's abort state, so its
//!    neighbours carry on. A conflict (deadlock, serialization failure) fails the same way
//!    and answers the retry marker, so the retry layer runs the call again.
//! 3. It subscribes to the batch's commit result and unlocks.
//! 4. After its own work the leader starts the closer (a spawned task, so the batch is
//!    committed even if the leader's caller goes away). The closer locks again; by FIFO
//!    everyone who was already waiting has joined first. It takes the batch out (later
//!    arrivals start the next one), unlocks, commits, and publishes the result.
//!
//! Durability: a write — including the replay of a request id found inside the batch,
//! whose first answer may not be committed yet — is acknowledged only after the commit of
//! its batch succeeded. If the commit fails, every member gets UNAVAILABLE and nothing of
//! the batch is written: the same promise as one transaction per write.
//!
//! Cancellation: tonic drops a handler's future when the client cancels or the deadline
//! passes. A member holds the lock in a [`Member`] guard while it works; dropped before its
//! work is clean, the guard spawns a task that rolls back to its savepoint while still
//! holding the lock, so no neighbour uses the transaction before it is clean. If that
//! rollback fails the batch is poisoned: rolled back whole, every member UNAVAILABLE.
//!
//! PostgreSQL runs several lanes, each with its own open batch, so that writes are not all
//! serialised on one connection; a row lock held by one lane's batch makes a writer of
//! another lane wait for that batch's commit (every such wait is one PostgreSQL sees, so
//! a cycle is a deadlock it detects, answered as a conflict and retried).
//!
//! A batch holds at most [`MAX_MEMBERS`] writes; the next writer closes a full one and
//! starts another. On SQLite the next batch then waits for the write lock until the full
//! one has committed; on PostgreSQL its work overlaps the previous batch's commit.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use prost::Message;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};
use tonic::Status;

use crate::api_error::ApiError;
use crate::db::{Db, WriteTxn};
use crate::idempotency::Idempotent;
use crate::write::{Audit, Written};

/// The most writes one batch holds: bounds the transaction's size and the wait of its
/// first member, whatever the load.
pub const MAX_MEMBERS: usize = 256;

/// The savepoint names, taken in turn by a batch's members. A member's first statement
/// releases its predecessor's savepoint (if still open) and opens its own, so at most one
/// is open between members and the two names always differ: a rollback to a member's own
/// savepoint can never reach its predecessor's, and fails (poisoning the batch) if the
/// member's savepoint was never opened. Two fixed names keep the statements few, so the
/// connection's statement cache holds them all.
const SAVEPOINTS: [&str; 2] = ["xk_write_0", "xk_write_1"];

/// A batch's commit result, shared by all its members (`None` until it is known).
type Outcome = Option<Result<(), Status>>;

/// The group committer of one database (shared by the clones of its [`Db`]).
pub(crate) struct GroupCommit {
    /// The open batch of each lane, if any; whoever holds a lane's lock may use its
    /// transaction. SQLite has one lane (one writer at a time); PostgreSQL may run several
    /// batches side by side, so its writes are not all serialised on one connection.
    lanes: Vec<Arc<Mutex<Option<Batch>>>>,
    /// Spreads writes over the lanes in turn.
    next_lane: AtomicUsize,
    /// Numbers batches, so a closer takes only its own batch.
    next_batch: AtomicU64,
    /// Batches finished (committed or rolled back): fewer than writes when grouping works.
    batches: AtomicU64,
    /// Writes that ran in a batch (including failed and replayed ones).
    members: AtomicU64,
    /// The service label of the metrics, once [`Db::with_query_metrics`] names it.
    pub(crate) service: OnceLock<&'static str>,
}

impl fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupCommit")
            .field("batches", &self.batches.load(Ordering::Relaxed))
            .field("members", &self.members.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Counts of a database's group commits so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Batches finished, each with one commit (or one rollback if poisoned).
    pub batches: u64,
    /// Writes that ran inside those batches.
    pub members: u64,
    /// Batches that may be open at once.
    pub lanes: usize,
}

/// One open shared transaction.
struct Batch {
    /// Its number (see [`GroupCommit::next_batch`]).
    id: u64,
    /// The shared transaction (on SQLite it holds the writer lock).
    txn: WriteTxn,
    /// Writes that joined so far.
    members: usize,
    /// Set when a member could not undo its statements: the batch must not commit.
    poisoned: bool,
    /// The savepoint of the last member that succeeded, left open: the next member's
    /// first statement releases it (one round trip instead of two), or the closer does
    /// just before the commit. `None` at the start and after a member that was undone.
    open_savepoint: Option<&'static str>,
    /// Publishes the commit result to every member.
    done: watch::Sender<Outcome>,
}

impl GroupCommit {
    /// A committer with `lanes` (at least one) batches open at a time.
    pub(crate) fn new(lanes: usize) -> Self {
        GroupCommit {
            lanes: (0..lanes.max(1))
                .map(|_| Arc::new(Mutex::new(None)))
                .collect(),
            next_lane: AtomicUsize::new(0),
            next_batch: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            members: AtomicU64::new(0),
            service: OnceLock::new(),
        }
    }

    /// Batches and members so far.
    pub(crate) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            batches: self.batches.load(Ordering::Relaxed),
            members: self.members.load(Ordering::Relaxed),
            lanes: self.lanes.len(),
        }
    }

    /// Runs one idempotent, audited write as a member of the open batch (see the module
    /// doc) and returns once the batch committed, or at once with the member's own error.
    pub(crate) async fn write_once<R, F>(
        self: &Arc<Self>,
        db: &Db,
        idem: &Idempotent,
        work: F,
    ) -> Result<Written<R>, ApiError>
    where
        R: Message + Default,
        F: AsyncFnOnce(&WriteTxn) -> Result<(R, Audit), ApiError>,
    {
        let lane = self.next_lane.fetch_add(1, Ordering::Relaxed) % self.lanes.len();
        let mut guard = self.lanes[lane].clone().lock_owned().await;
        if guard.as_ref().is_some_and(|b| b.members >= MAX_MEMBERS) {
            let full = guard.take();
            let this = self.clone();
            tokio::spawn(async move { this.finish(full).await });
        }
        let leader = guard.is_none();
        if leader {
            let txn = db.begin_write().await?;
            let id = self.next_batch.fetch_add(1, Ordering::Relaxed);
            let (done, _) = watch::channel(None);
            *guard = Some(Batch {
                id,
                txn,
                members: 0,
                poisoned: false,
                open_savepoint: None,
                done,
            });
        }
        let Some(batch) = guard.as_mut() else {
            return Err(Status::internal("group commit: no batch after opening one").into());
        };
        batch.members += 1;
        let savepoint = SAVEPOINTS[batch.members % 2];
        let mut committed = batch.done.subscribe();
        let batch_id = batch.id;
        let mark = batch.txn.bookkeeping_mark();
        let mut member = Member {
            guard: Some(guard),
            savepoint,
            mark,
            dirty: true,
            closer: leader.then(|| (self.clone(), lane, batch_id)),
        };
        let result = member.run(idem, work).await;
        drop(member);
        let written = match result {
            Ok(written) => written,
            Err(ApiError::Db(e)) if crate::errors::is_unique_violation(&e) => {
                // The key may be a batch-mate's, not committed yet: callers explain a
                // unique violation by reading committed rows (`explain_conflict`), so
                // answer once the batch has committed and those rows are there to find.
                let _ = wait(&mut committed).await;
                return Err(ApiError::Db(e));
            }
            Err(e) => return Err(e),
        };
        wait(&mut committed).await?;
        Ok(written)
    }

    /// Takes batch `id` out of `lane`, if it is still open there, and commits it.
    async fn close(self: Arc<Self>, lane: usize, id: u64) {
        let batch = {
            let mut open = self.lanes[lane].lock().await;
            if open.as_ref().is_some_and(|b| b.id == id) {
                open.take()
            } else {
                None
            }
        };
        self.finish(batch).await;
    }

    /// Commits `batch` (rolls it back if poisoned) and tells its members.
    async fn finish(&self, batch: Option<Batch>) {
        let Some(Batch {
            txn,
            members,
            poisoned,
            open_savepoint,
            done,
            ..
        }) = batch
        else {
            return;
        };
        let outcome = if poisoned {
            drop(txn);
            Err(Status::unavailable(
                "a write in the same batch could not be undone; nothing was written, retry",
            ))
        } else {
            release_then_commit(txn, open_savepoint).await
        };
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.members.fetch_add(members as u64, Ordering::Relaxed);
        let service = self.service.get().copied().unwrap_or("unknown");
        crate::metrics::record_group_commit(service, members);
        let _ = done.send(Some(outcome));
    }
}

/// Releases the last member's savepoint, then commits. The commit's own statements (the
/// bookkeeping, SQLite's rollup merge) must not run inside a savepoint: SQLite copies
/// every page a statement changes inside one to a sub-journal first.
async fn release_then_commit(txn: WriteTxn, open: Option<&'static str>) -> Result<(), Status> {
    if let Some(savepoint) = open
        && let Err(e) = txn
            .execute_unprepared(&format!("RELEASE SAVEPOINT {savepoint}"))
            .await
    {
        tracing::error!(error = %e, "group commit: the last savepoint could not be released; the batch rolls back");
        return Err(Status::unavailable(
            "the batch could not be completed; nothing was written, retry",
        ));
    }
    txn.commit().await
}

/// Waits for the commit result of a batch.
async fn wait(committed: &mut watch::Receiver<Outcome>) -> Result<(), Status> {
    committed
        .wait_for(Option::is_some)
        .await
        .map(|o| o.clone())
        .ok()
        .flatten()
        .unwrap_or_else(|| Err(Status::unavailable("the write's batch was abandoned")))
}

/// One write inside a batch, holding the batch's lock while it works.
struct Member {
    /// The lock on the open batch; given back when the member is done.
    guard: Option<OwnedMutexGuard<Option<Batch>>>,
    /// This member's savepoint (see [`SAVEPOINTS`]).
    savepoint: &'static str,
    /// The transaction's recorded writes before this member's: a rollback to the
    /// savepoint forgets the ones after it.
    mark: usize,
    /// Whether statements of this member may be in the transaction without a `RELEASE`
    /// or a rollback to its savepoint (true until the member cleaned up).
    dirty: bool,
    /// Set for the leader: the committer, lane and batch to close once the member is done.
    closer: Option<(Arc<GroupCommit>, usize, u64)>,
}

impl Member {
    /// The batch this member works in.
    fn batch(&mut self) -> Option<&mut Batch> {
        self.guard.as_mut().and_then(|g| g.as_mut())
    }

    /// Savepoint → claim → work → record; or rollback to the savepoint. The savepoint of
    /// a member that succeeded stays open for the next member's first statement to release
    /// (see [`Batch::open_savepoint`]).
    async fn run<R, F>(&mut self, idem: &Idempotent, work: F) -> Result<Written<R>, ApiError>
    where
        R: Message + Default,
        F: AsyncFnOnce(&WriteTxn) -> Result<(R, Audit), ApiError>,
    {
        let (sp, mark) = (self.savepoint, self.mark);
        let Some(batch) = self.batch() else {
            return Err(Status::internal("group commit: member without a batch").into());
        };
        let txn = &batch.txn;
        let opening = match batch.open_savepoint.take() {
            Some(previous) => format!("RELEASE SAVEPOINT {previous}; SAVEPOINT {sp}"),
            None => format!("SAVEPOINT {sp}"),
        };
        let opened = open(txn, idem, opening).await;
        let outcome = match opened {
            Ok(Claim::Claimed(first)) => crate::write::run_claimed(txn, idem, first, work).await,
            Ok(Claim::ToDo) => crate::write::claim_and_run(txn, idem, work).await,
            Err(e) => Err(e),
        };
        let cleaned = match &outcome {
            Ok(_) => {
                batch.open_savepoint = Some(sp);
                Ok(())
            }
            // A failed opening statement may have stopped before opening the savepoint:
            // then the rollback to it fails and the batch is poisoned, below.
            Err(_) => undo(txn, sp, mark).await,
        };
        if let Err(e) = cleaned {
            tracing::error!(error = %e, "group commit: a savepoint could not be closed; the batch rolls back");
            batch.poisoned = true;
            self.dirty = false;
            return Err(Status::unavailable("the write could not be completed; retry").into());
        }
        self.dirty = false;
        outcome
    }
}

/// What a member's opening statement did about its request id.
enum Claim<R> {
    /// It claimed the id too (SQLite): `Some` first answer if the id had one.
    Claimed(Option<R>),
    /// It only opened the savepoint (PostgreSQL): claim the id next.
    ToDo,
}

/// Runs a member's opening statement (`opening`: release the predecessor's savepoint,
/// open its own). On SQLite the request id's claim goes in the same statement: every
/// statement is a round trip to the connection's worker thread, and the writer's chain of
/// round trips is what limits SQLite's write rate. PostgreSQL cannot bind values in a
/// statement of several commands, so it claims in a statement of its own.
async fn open<R: Message + Default>(
    txn: &WriteTxn,
    idem: &Idempotent,
    opening: String,
) -> Result<Claim<R>, ApiError> {
    let backend = txn.get_database_backend();
    if backend != DbBackend::Sqlite {
        txn.execute_unprepared(&opening)
            .await
            .map_err(crate::errors::db_status)?;
        return Ok(Claim::ToDo);
    }
    let claim = idem.claim_statement(backend);
    let sql = format!("{opening}; {}", claim.sql);
    let opened = Statement {
        sql,
        values: claim.values,
        db_backend: backend,
    };
    let inserted = txn
        .execute_raw(opened)
        .await
        .map_err(crate::errors::db_status)?
        .rows_affected();
    Ok(Claim::Claimed(idem.claimed(txn, inserted == 1).await?))
}

/// Undoes a member's statements: back to its savepoint, then drops the savepoint, and
/// forgets the responses and audit rows recorded since `mark`.
async fn undo(txn: &WriteTxn, savepoint: &str, mark: usize) -> Result<(), DbErr> {
    txn.execute_unprepared(&format!("ROLLBACK TO SAVEPOINT {savepoint}"))
        .await?;
    txn.forget_since(mark);
    txn.execute_unprepared(&format!("RELEASE SAVEPOINT {savepoint}"))
        .await?;
    Ok(())
}

impl Drop for Member {
    /// Gives the lock back; a member dropped mid-work is first rolled back to its
    /// savepoint (under the lock), and a leader's batch is then closed, in a spawned task.
    fn drop(&mut self) {
        let mut guard = self.guard.take();
        let dirty = self.dirty;
        let closer = self.closer.take();
        if !dirty {
            drop(guard.take());
            if closer.is_none() {
                return;
            }
        }
        let savepoint = self.savepoint;
        let mark = self.mark;
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to clean up on (it is shutting down): never commit a half write.
            if let Some(batch) = guard.as_mut().and_then(|g| g.as_mut()) {
                batch.poisoned |= dirty;
            }
            return;
        };
        runtime.spawn(async move {
            if let Some(mut guard) = guard
                && let Some(batch) = guard.as_mut()
                && dirty
                && let Err(e) = undo(&batch.txn, savepoint, mark).await
            {
                tracing::error!(error = %e, "group commit: a cancelled write could not be undone; the batch rolls back");
                batch.poisoned = true;
            }
            if let Some((group, lane, id)) = closer {
                group.close(lane, id).await;
            }
        });
    }
}

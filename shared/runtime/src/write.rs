//! The write path, written once: every mutating RPC is
//! validate → [`Db::write`] (one idempotent, audited transaction around the domain rule and
//! the store change) → response.
//!
//! After zero-to-production's `try_processing` / `save_response`: the handler does not
//! repeat begin → claim the request id → work → store the response and the audit row →
//! commit; it hands the work to [`Db::write`], which does the rest. Updates of a versioned
//! record (load under a row lock → check the etag → apply the rule → save with a new
//! etag) go through [`update`], which a store opts into by implementing [`RecordStore`].
//!
//! A failed write writes nothing: the transaction is dropped, and so rolled back, before
//! the error leaves [`Db::write`].

use prost::Message;

use crate::api_error::ApiError;
use crate::db::{Db, WriteTxn};
use crate::idempotency::Idempotent;

/// What a write leaves in the audit log besides who and which request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audit {
    /// What it wrote to: a household id, "batch of 500" (never a resident id or a name).
    pub target: String,
    /// A short description: counts, the new status (never personal data).
    pub detail: String,
}

impl Audit {
    /// An audit entry for `target` with `detail`.
    pub fn new(target: impl Into<String>, detail: impl Into<String>) -> Self {
        Audit {
            target: target.into(),
            detail: detail.into(),
        }
    }
}

/// The answer of an idempotent write, and whether it was the first time.
#[derive(Debug, Clone, PartialEq)]
pub enum Written<R> {
    /// The work was done now and committed.
    Fresh(R),
    /// The request id was answered before: its first answer, nothing written.
    Replayed(R),
}

impl<R> Written<R> {
    /// The response, either way.
    pub fn into_inner(self) -> R {
        match self {
            Written::Fresh(r) | Written::Replayed(r) => r,
        }
    }
}

impl Db {
    /// Runs `work` as one idempotent, audited write: opens the write transaction, claims
    /// the request id (a retry gets the first answer and runs nothing), runs `work`,
    /// stores its response for retries with the audit row, and commits. If `work` fails,
    /// nothing is written.
    pub async fn write<R, F>(&self, idem: &Idempotent, work: F) -> Result<R, ApiError>
    where
        R: Message + Default,
        F: AsyncFnOnce(&WriteTxn) -> Result<(R, Audit), ApiError>,
    {
        Ok(self.write_once(idem, work).await?.into_inner())
    }

    /// [`Db::write`], telling a fresh write from a replayed one (imports count both).
    ///
    /// With group commit on (the default) the write shares a transaction and its commit
    /// with concurrent ones ([`crate::group_commit`]); it is acknowledged only after that
    /// commit, and fails alone, writing nothing, if its own work fails.
    pub async fn write_once<R, F>(&self, idem: &Idempotent, work: F) -> Result<Written<R>, ApiError>
    where
        R: Message + Default,
        F: AsyncFnOnce(&WriteTxn) -> Result<(R, Audit), ApiError>,
    {
        match self.group() {
            Some(group) => group.write_once(self, idem, work).await,
            None => self.write_alone(idem, work).await,
        }
    }

    /// [`Db::write_once`] in a transaction of its own, whatever the group commit setting.
    pub(crate) async fn write_alone<R, F>(
        &self,
        idem: &Idempotent,
        work: F,
    ) -> Result<Written<R>, ApiError>
    where
        R: Message + Default,
        F: AsyncFnOnce(&WriteTxn) -> Result<(R, Audit), ApiError>,
    {
        let txn = self.begin_write().await?;
        let written = claim_and_run(&txn, idem, work).await?;
        if matches!(written, Written::Fresh(_)) {
            txn.commit().await?;
        }
        Ok(written)
    }
}

/// Inside `txn`: claims the request id (a retry gets its first answer and runs nothing),
/// runs `work`, and stores its response with the audit row. The caller commits (a
/// transaction of its own, or a group commit's batch).
pub(crate) async fn claim_and_run<R, F>(
    txn: &WriteTxn,
    idem: &Idempotent,
    work: F,
) -> Result<Written<R>, ApiError>
where
    R: Message + Default,
    F: AsyncFnOnce(&WriteTxn) -> Result<(R, Audit), ApiError>,
{
    let first = idem.begin::<R>(txn).await?;
    run_claimed(txn, idem, first, work).await
}

/// The rest of [`claim_and_run`] once the request id's claim is known: `first` is the id's
/// first answer if it had one (replayed, nothing run), else `work` runs and its response
/// and audit row are recorded.
pub(crate) async fn run_claimed<R, F>(
    txn: &WriteTxn,
    idem: &Idempotent,
    first: Option<R>,
    work: F,
) -> Result<Written<R>, ApiError>
where
    R: Message + Default,
    F: AsyncFnOnce(&WriteTxn) -> Result<(R, Audit), ApiError>,
{
    if let Some(first) = first {
        return Ok(Written::Replayed(first));
    }
    let (response, audit) = work(txn).await?;
    idem.finish(txn, &response, &audit.target, &audit.detail)
        .await?;
    Ok(Written::Fresh(response))
}

/// A stored record that updates change under an etag.
pub trait Versioned: Send {
    /// The resource type named in NOT_FOUND and ABORTED answers ("household").
    const KIND: &'static str;

    /// The version the record was read at.
    fn etag(&self) -> &str;
}

/// How a service's store locks and saves one kind of versioned record in a write
/// transaction.
pub trait RecordStore: Sync {
    /// The record.
    type Record: Versioned;

    /// Loads the record named `id` under a row lock (so concurrent writers queue rather
    /// than conflict); NOT_FOUND if there is none.
    fn lock(
        &self,
        txn: &WriteTxn,
        id: &str,
    ) -> impl Future<Output = Result<Self::Record, ApiError>> + Send;

    /// Saves `record`, which was read at `read_etag`, and returns it as stored (with its
    /// new etag and derived fields).
    fn save(
        &self,
        txn: &WriteTxn,
        record: &Self::Record,
        read_etag: &str,
    ) -> impl Future<Output = Result<Self::Record, ApiError>> + Send;
}

/// ABORTED unless `sent` (when the caller sent one) is the record's current etag.
pub fn check_etag(
    what: &'static str,
    name: &str,
    sent: Option<&str>,
    current: &str,
) -> Result<(), ApiError> {
    match sent {
        Some(sent) if sent != current => Err(ApiError::Stale {
            what,
            name: name.to_string(),
            sent: sent.to_string(),
            current: current.to_string(),
        }),
        _ => Ok(()),
    }
}

/// One idempotent update of the record `id`: lock it, check `etag` if the caller sent one
/// (without one the row lock orders concurrent writers), let `apply` run the domain rule
/// on it (returning the audit detail), save it, and answer with `respond(stored)`.
pub async fn update<S, R>(
    db: &Db,
    store: &S,
    idem: &Idempotent,
    id: &str,
    etag: Option<&str>,
    apply: impl FnOnce(&mut S::Record) -> Result<String, ApiError> + Send,
    respond: impl FnOnce(S::Record) -> R + Send,
) -> Result<R, ApiError>
where
    S: RecordStore,
    R: Message + Default,
{
    db.write(idem, async |txn| {
        let mut record = store.lock(txn, id).await?;
        check_etag(S::Record::KIND, id, etag, record.etag())?;
        let read_etag = record.etag().to_string();
        let detail = apply(&mut record)?;
        let stored = store.save(txn, &record, &read_etag).await?;
        Ok((respond(stored), Audit::new(id, detail)))
    })
    .await
}

#[cfg(test)]
mod tests;

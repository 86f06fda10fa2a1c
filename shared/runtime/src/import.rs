//! The client-streaming import loop, written once.
//!
//! Every `Import*` RPC streams batches; each batch carries its own `request_id` and is
//! checked, then committed in its own idempotent transaction ([`Db::write_once`]), so a
//! client that lost the stream resends it whole: committed batches replay, the rest land.
//! A service describes its import with an [`Importer`] (how to check a batch, how to write
//! one) and a tally ([`ImportTally`], its response message); [`run`] does the loop, the
//! counting, and the error that says how far the stream got.

use futures::{Stream, StreamExt};
use prost::Message;
use tonic::Status;
use xk_contracts::ImportBatch;

use crate::api_error::ApiError;
use crate::auth::Principal;
use crate::db::{Db, WriteTxn};
use crate::idempotency::Idempotent;
use crate::write::{Audit, Written};

/// The running total an import answers with (its response message).
pub trait ImportTally: Message + Default {
    /// Adds the counts of one freshly committed batch (including its one
    /// `batches_committed`).
    fn add(&mut self, batch: &Self);
    /// Counts one batch that was committed before and replayed now.
    fn add_replayed(&mut self);
    /// (batches committed, batches replayed) so far, for the error that stops the stream.
    fn progress(&self) -> (i64, i64);
}

/// How one service imports one kind of record.
pub trait Importer: Sync {
    /// One message of the stream: a batch with its request id and the RPC it belongs to.
    type Batch: Message + Default + Send + ImportBatch;
    /// A batch that passed [`Importer::check`], ready to write.
    type Checked: Send + Sync;
    /// The response: the stream's running total.
    type Tally: ImportTally + Send;

    /// Checks a whole batch before anything is written: every violation, each field path
    /// starting with `prefix` (`"batch[3]."`).
    fn check(&self, batch: Self::Batch, prefix: &str) -> Result<Self::Checked, ApiError>;

    /// Writes a checked batch in `txn`; returns the batch's own tally (with
    /// `batches_committed` 1) and its audit entry.
    fn write(
        &self,
        txn: &WriteTxn,
        batch: &Self::Checked,
    ) -> impl Future<Output = Result<(Self::Tally, Audit), ApiError>> + Send;

    /// Called after a failed write has been rolled back, to make the error more useful
    /// (name the record of the batch that collided with a stored one). Default: as is.
    fn explain(
        &self,
        error: ApiError,
        _batch: &Self::Checked,
        _prefix: &str,
    ) -> impl Future<Output = ApiError> + Send {
        async move { error }
    }
}

/// Runs an import stream to its end: batch by batch, check → one idempotent transaction.
/// The first failing batch stops the stream with its error, which also says how many
/// earlier batches were committed and replayed (those stay committed).
pub async fn run<I, S>(
    db: &Db,
    importer: &I,
    principal: Principal,
    mut stream: S,
) -> Result<I::Tally, Status>
where
    I: Importer,
    S: Stream<Item = Result<I::Batch, Status>> + Unpin + Send,
{
    let mut total = I::Tally::default();
    let mut batch_no = 0usize;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let prefix = format!("batch[{batch_no}].");
        batch_no += 1;
        let one = async {
            let idem = Idempotent::new(
                principal,
                I::Batch::METHOD,
                batch.request_id(),
                &format!("{prefix}request_id"),
                &batch,
            )?;
            let checked = importer.check(batch, &prefix)?;
            // Its own transaction, not a group commit: a batch of hundreds of rows already
            // spreads its commit over them, and holding a shared batch open for its work
            // would delay the acknowledgement of every unary write grouped with it.
            match db
                .write_alone(&idem, async |txn| importer.write(txn, &checked).await)
                .await
            {
                Ok(written) => Ok(written),
                Err(e) => Err(importer.explain(e, &checked, &prefix).await),
            }
        };
        match one.await {
            Ok(Written::Fresh(tally)) => total.add(&tally),
            Ok(Written::Replayed(_first)) => {
                tracing::debug!(method = I::Batch::METHOD, "import batch replayed");
                total.add_replayed();
            }
            Err(e) => return Err(with_progress(Status::from(e), &total)),
        }
    }
    Ok(total)
}

/// Adds to an import's error how much of the stream was committed before it.
pub fn with_progress<T: ImportTally>(status: Status, done: &T) -> Status {
    let (committed, replayed) = done.progress();
    let message = format!(
        "{} ({committed} earlier batches committed, {replayed} replayed; resend the rest with the same request ids)",
        status.message(),
    );
    let mut out = Status::with_details(status.code(), message, status.details().to_vec().into());
    // Keep the metadata (the conflict-retry marker among it) of the original status.
    *out.metadata_mut() = status.metadata().clone();
    out
}

/// Each service's import response is its stream's tally. They live here because the trait
/// and the messages are both foreign to the service crates.
macro_rules! tally {
    ($response:ty, $($count:ident),+) => {
        impl ImportTally for $response {
            fn add(&mut self, batch: &Self) {
                self.batches_committed += batch.batches_committed;
                $(self.$count += batch.$count;)+
            }
            fn add_replayed(&mut self) {
                self.batches_replayed += 1;
            }
            fn progress(&self) -> (i64, i64) {
                (
                    i64::from(self.batches_committed),
                    i64::from(self.batches_replayed),
                )
            }
        }
    };
}

mod tallies {
    use super::ImportTally;
    use xk_contracts::pb;

    tally!(
        pb::registry::v1::ImportHouseholdsResponse,
        households_imported,
        people_imported
    );
    tally!(pb::education::v1::ImportStudentsResponse, students_imported);
    tally!(
        pb::health::v1::ImportEnrolmentsResponse,
        enrolments_imported
    );
    tally!(
        pb::housing::v1::ImportRelocationsResponse,
        households_imported,
        people_imported
    );
    tally!(
        pb::water::v1::ImportAssessmentsResponse,
        assessments_imported
    );
}

//! The client-streaming import loop, written once.
//!
//! Every `Import*` RPC streams batches; each batch carries its own `request_id` and is
//! checked, then committed in its own idempotent transaction ([`Db::write_once`]), so a
//! client that lost the stream resends it whole: committed batches replay, the rest land.
//! A service describes its import with an [`Importer`] (how many records a batch may
//! hold, how to check them, how to write a batch) and a tally ([`ImportTally`], its
//! response message); [`run`] does the loop, the batch's size check, the counting, and the
//! error that says how far the stream got.

use futures::{Stream, StreamExt};
use prost::Message;
use tonic::Status;
use xk_contracts::ImportBatch;

use crate::api_error::ApiError;
use crate::auth::Principal;
use crate::db::{Db, WriteTxn};
use crate::errors::Violations;
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

/// An import's batch message, tied to the response its batches add up to (the table at
/// the end of this module states each pair once).
pub trait Tallied {
    /// The response: the stream's running total.
    type Tally: ImportTally + Send;
}

/// The response of the import whose importer is `I`.
pub type TallyOf<I> = <<I as Importer>::Batch as Tallied>::Tally;

/// How one service imports one kind of record.
pub trait Importer: Sync {
    /// One message of the stream: a batch with its request id, the RPC it belongs to and
    /// its records, and the response the stream answers with.
    type Batch: Message + Default + Send + ImportBatch + Tallied;
    /// A batch that passed [`Importer::check`], ready to write.
    type Checked: Send + Sync;

    /// The most records one batch may hold (bounds a batch's transaction and memory); a
    /// batch holds at least one.
    const MAX_RECORDS: usize;

    /// Checks a whole batch's records before anything is written: every violation, each
    /// field path starting with `prefix` (`"batch[3]."`). The batch's size is checked by
    /// [`run`], around this.
    fn check(&self, batch: Self::Batch, prefix: &str) -> Result<Self::Checked, ApiError>;

    /// Writes a checked batch in `txn`; returns the batch's own tally (with
    /// `batches_committed` 1) and its audit entry.
    fn write(
        &self,
        txn: &WriteTxn,
        batch: &Self::Checked,
    ) -> impl Future<Output = Result<(TallyOf<Self>, Audit), ApiError>> + Send;

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
) -> Result<TallyOf<I>, Status>
where
    I: Importer,
    S: Stream<Item = Result<I::Batch, Status>> + Unpin + Send,
{
    let mut total = TallyOf::<I>::default();
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
            let checked = check(importer, batch, &prefix)?;
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

/// Checks a batch: its size (INVALID_ARGUMENT on its records field unless it holds 1 to
/// [`Importer::MAX_RECORDS`]), then its records ([`Importer::check`]); every violation at
/// once, the size's first. Malformed values win over rule breaches, as in
/// [`ApiError::merge`]: a bad size drops the records' other errors.
fn check<I: Importer>(importer: &I, batch: I::Batch, prefix: &str) -> Result<I::Checked, ApiError> {
    let n = batch.records();
    let mut size = Violations::new();
    if n == 0 || n > I::MAX_RECORDS {
        let records = I::Batch::RECORDS;
        size.add(
            format!("{prefix}{records}"),
            format!("a batch holds 1 to {} {records}, got {n}", I::MAX_RECORDS),
        );
    }
    let checked = importer.check(batch, prefix);
    if size.is_empty() {
        return checked;
    }
    if let Err(ApiError::Invalid(records)) = checked {
        size.extend_prefixed("", records);
    }
    Err(ApiError::Invalid(size))
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

/// Each service's import response is its stream's tally, and the tally of its batch
/// message. They live here because the traits and the messages are both foreign to the
/// service crates.
macro_rules! tally {
    ($batch:ty => $response:ty, $($count:ident),+) => {
        impl Tallied for $batch {
            type Tally = $response;
        }

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
    use super::{ImportTally, Tallied};
    use xk_contracts::pb::{education, health, housing, registry, water};

    tally!(
        registry::v1::ImportHouseholdsRequest => registry::v1::ImportHouseholdsResponse,
        households_imported,
        people_imported
    );
    tally!(
        education::v1::ImportStudentsRequest => education::v1::ImportStudentsResponse,
        students_imported
    );
    tally!(
        health::v1::ImportEnrolmentsRequest => health::v1::ImportEnrolmentsResponse,
        enrolments_imported
    );
    tally!(
        housing::v1::ImportRelocationsRequest => housing::v1::ImportRelocationsResponse,
        households_imported,
        people_imported
    );
    tally!(
        water::v1::ImportAssessmentsRequest => water::v1::ImportAssessmentsResponse,
        assessments_imported
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use xk_contracts::pb::water::v1::{ImportAssessmentsRequest, ImportAssessmentsResponse};

    /// Checks a batch's records as good, or its first record as bad.
    struct Records {
        bad: bool,
    }

    impl Importer for Records {
        type Batch = ImportAssessmentsRequest;
        type Checked = usize;
        const MAX_RECORDS: usize = 2;

        fn check(&self, batch: Self::Batch, prefix: &str) -> Result<usize, ApiError> {
            if self.bad {
                return Err(ApiError::invalid(
                    format!("{prefix}assessments[0].x"),
                    "bad",
                ));
            }
            Ok(batch.assessments.len())
        }

        async fn write(
            &self,
            _txn: &WriteTxn,
            _batch: &usize,
        ) -> Result<(ImportAssessmentsResponse, Audit), ApiError> {
            unreachable!("only checked here")
        }
    }

    /// The field paths and descriptions of a check's violations.
    fn violations(checked: Result<usize, ApiError>) -> Vec<(String, String)> {
        match checked {
            Err(ApiError::Invalid(v)) => v.items().to_vec(),
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    fn batch(records: usize) -> ImportAssessmentsRequest {
        ImportAssessmentsRequest {
            request_id: "r".into(),
            assessments: vec![Default::default(); records],
        }
    }

    #[test]
    fn a_batch_holds_one_to_max_records_and_its_records_violations_follow_the_size() {
        let good = Records { bad: false };
        let bad = Records { bad: true };
        assert_eq!(check(&good, batch(2), "batch[0].").ok(), Some(2));
        let size = |n: usize| {
            (
                "batch[1].assessments".to_string(),
                format!("a batch holds 1 to 2 assessments, got {n}"),
            )
        };
        assert_eq!(violations(check(&good, batch(0), "batch[1].")), [size(0)]);
        assert_eq!(violations(check(&good, batch(3), "batch[1].")), [size(3)]);
        let record = ("batch[1].assessments[0].x".to_string(), "bad".to_string());
        assert_eq!(
            violations(check(&bad, batch(3), "batch[1].")),
            [size(3), record.clone()]
        );
        assert_eq!(violations(check(&bad, batch(1), "batch[1].")), [record]);
    }
}

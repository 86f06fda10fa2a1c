//! Household assessments: RecordAssessment, and ImportAssessments through the runtime's
//! import loop. Both check and grade every assessment before the transaction (as if its
//! village had no configured area), then, inside it, grade again those of villages whose
//! area is configured, check that their schemes are registered, and store them.

use std::collections::HashSet;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use tonic::Status;
use xk_contracts::pb::water::v1::*;
use xk_runtime::db::WriteTxn;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::import::Importer;
use xk_runtime::write::Audit;
use xk_runtime::{ApiError, clock, required};

use super::mapping::prepare;
use super::{MAX_IMPORT_BATCH, WaterApi};
use crate::domain::validate::fields;
use crate::domain::{FieldViolation, PolicyBook, Thresholds, rules};
use crate::store::assessments::{self as store, NewAssessment, Recorded};
use crate::store::{schemes, villages};

/// One assessment of a request, checked and graded with the area it states (or the
/// policy's default): what it was sent as, to grade it again by its village's configured
/// area, and where it sits in the request.
pub(super) struct Prepared {
    /// Its field path in the request (`assessment`, `batch[2].assessments[5]`).
    prefix: String,
    /// As sent.
    sent: Assessment,
    /// As it would be stored if its village has no configured area.
    new: NewAssessment,
}

/// How assessments are checked and stored on one day under one policy book.
pub(super) struct Assessor<'a> {
    /// The grading thresholds by year.
    book: &'a PolicyBook<Thresholds>,
    /// The county's today, for "not in the future".
    today: NaiveDate,
    /// How this database reads the history and current statuses (partitioned or not).
    reads: store::Reads,
}

impl Assessor<'_> {
    /// Checks and grades every assessment before anything is touched; all violations at
    /// once.
    fn prepare(
        &self,
        sent: impl IntoIterator<Item = (String, Assessment)>,
    ) -> Result<Vec<Prepared>, ApiError> {
        let mut items = Vec::new();
        let mut found = Vec::new();
        for (prefix, sent) in sent {
            match prepare(&sent, &prefix, self.today, self.book, None) {
                Ok(new) => items.push(Prepared { prefix, sent, new }),
                Err(v) => found.extend(v),
            }
        }
        ApiError::check("", found)?;
        Ok(items)
    }

    /// In the write transaction: grades again each assessment of a village with a
    /// configured area (FAILED_PRECONDITION when it states another), checks the schemes,
    /// and stores them all.
    async fn store(&self, txn: &WriteTxn, items: &[Prepared]) -> Result<Vec<Recorded>, ApiError> {
        let mut codes: Vec<&str> = items.iter().map(|p| p.new.village_code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        let configured = villages::village_areas(&**txn, &codes).await?;
        let mut news = Vec::with_capacity(items.len());
        let mut found = Vec::new();
        for p in items {
            match configured.get(&p.new.village_code) {
                None => news.push(p.new.clone()),
                Some(area) => match prepare(&p.sent, &p.prefix, self.today, self.book, Some(*area))
                {
                    Ok(new) => news.push(new),
                    Err(v) => found.extend(v),
                },
            }
        }
        ApiError::check("", found)?;
        let prefixes = items.iter().map(|p| p.prefix.as_str());
        check_schemes(&**txn, prefixes.zip(&news)).await?;
        store::record(&**txn, self.reads, news).await
    }
}

/// FAILED_PRECONDITION (UNKNOWN_SCHEME) for every centralized supply naming a scheme that
/// is not registered; `items` pairs each assessment with its field prefix.
async fn check_schemes<'a, C: ConnectionTrait>(
    conn: &C,
    items: impl Iterator<Item = (&'a str, &'a NewAssessment)> + Clone,
) -> Result<(), ApiError> {
    let mut ids: Vec<&str> = items
        .clone()
        .filter_map(|(_, n)| n.scheme_id.as_deref())
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    let known = schemes::existing_schemes(conn, &ids).await?;
    let missing = items.filter_map(|(prefix, n)| {
        let id = n.scheme_id.as_deref()?;
        (!known.contains(id)).then(|| {
            FieldViolation::rule(
                rules::UNKNOWN_SCHEME,
                format!("{prefix}.{}", fields::SCHEME_ID),
                format!("scheme {id} is not registered: create it with CreateScheme first"),
            )
        })
    });
    ApiError::check("", missing.collect())
}

/// RecordAssessment: grades one assessment and stores it; it becomes the household's
/// current status unless an assessment of a later date is stored already.
pub(super) async fn record(
    api: &WaterApi,
    idem: Idempotent,
    req: RecordAssessmentRequest,
) -> Result<RecordAssessmentResponse, ApiError> {
    let sent = required(req.assessment, "assessment")?;
    let assessor = Assessor {
        book: &api.policy,
        today: clock::today(),
        reads: store::Reads::of(&api.db),
    };
    let items = assessor.prepare([("assessment".to_string(), sent)])?;
    api.db
        .write(&idem, async |txn| {
            let recorded = assessor.store(txn, &items).await?;
            let (Some(r), Some(item)) = (recorded.into_iter().next(), items.first()) else {
                return Err(Status::internal("the store recorded nothing").into());
            };
            let detail = format!(
                "verdict {}{}",
                item.new.grades.verdict.label_zh(),
                if r.became_current {
                    ", current"
                } else {
                    ", history only"
                }
            );
            let audit = Audit::new(&item.new.household_id, detail);
            Ok((
                RecordAssessmentResponse {
                    assessment: Some(r.assessment),
                    became_current: r.became_current,
                },
                audit,
            ))
        })
        .await
}

/// ImportAssessments: the stream's importer, for [`xk_runtime::import::run`].
pub(super) fn import(api: &WaterApi) -> Result<Assessor<'_>, ApiError> {
    Ok(Assessor {
        book: &api.policy,
        today: clock::today(),
        reads: store::Reads::of(&api.db),
    })
}

impl Importer for Assessor<'_> {
    type Batch = ImportAssessmentsRequest;
    type Checked = Vec<Prepared>;
    const MAX_RECORDS: usize = MAX_IMPORT_BATCH;

    fn check(&self, batch: Self::Batch, prefix: &str) -> Result<Self::Checked, ApiError> {
        let sent = batch
            .assessments
            .into_iter()
            .enumerate()
            .map(|(j, a)| (format!("{prefix}assessments[{j}]"), a));
        self.prepare(sent)
    }

    async fn write(
        &self,
        txn: &WriteTxn,
        batch: &Vec<Prepared>,
    ) -> Result<(ImportAssessmentsResponse, Audit), ApiError> {
        self.store(txn, batch).await?;
        let n = batch.len();
        let households: HashSet<&str> = batch.iter().map(|p| p.new.household_id.as_str()).collect();
        let tally = ImportAssessmentsResponse {
            batches_committed: 1,
            batches_replayed: 0,
            assessments_imported: n as i64,
        };
        let audit = Audit::new(
            format!("batch of {n}"),
            format!("{n} assessments of {} households", households.len()),
        );
        Ok((tally, audit))
    }
}

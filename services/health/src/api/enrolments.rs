//! Enrol and ImportEnrolments: a person's enrolment for a coverage year, with the premium
//! and who pays it from that year's policy. A duplicate (the person enrolled for the year
//! already, or twice in one batch) is ALREADY_EXISTS naming its field; it is found after
//! the rollback, so the common path is the inserts alone.

use chrono::{NaiveDate, Utc};
use tonic::Status;
use xk_contracts::pb::health::v1::*;
use xk_contracts::types::{HouseholdId, RegionCode, ResidentId};
use xk_runtime::db::WriteTxn;
use xk_runtime::errors::is_unique_violation;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::import::{Importer, TallyOf};
use xk_runtime::{ApiError, Audit, Db, Violations, clock};

use super::convert::{enrolment_to_pb, payer_of};
use super::{HealthApi, MAX_IMPORT_BATCH};
use crate::domain::PolicyBook;
use crate::store::entities::enrolment;
use crate::store::{self, mask};

/// Enrol: one person for one coverage year.
pub(super) async fn enrol(
    api: &HealthApi,
    idem: Idempotent,
    req: EnrolRequest,
) -> Result<EnrolResponse, ApiError> {
    let Some(e) = req.enrolment.as_ref() else {
        return Err(ApiError::invalid("enrolment", "required"));
    };
    let mut v = Violations::new();
    let row = enrolment_row(e, "enrolment.", clock::today(), &api.policy, &mut v);
    v.into_result()?;
    let Some(row) = row else {
        return Err(ApiError::invalid("enrolment", "could not be read"));
    };
    let rows = std::slice::from_ref(&row);
    let written = api
        .db
        .write(&idem, async |txn| {
            store::insert_enrolments(&**txn, rows).await?;
            let target = format!("enrolment {} {}", mask(&row.resident_id), row.coverage_year);
            let response = EnrolResponse {
                enrolment: Some(enrolment_to_pb(&row)),
            };
            Ok((response, Audit::new(target, "enrolled")))
        })
        .await;
    match written {
        Err(e) => Err(name_the_duplicate(&api.db, e, rows, |_| "enrolment.".into()).await),
        ok => ok,
    }
}

/// ImportEnrolments: the stream's importer, for the runtime's import loop (batches of
/// enrolments, each checked whole and committed in its own idempotent transaction).
pub(super) fn import(api: &HealthApi) -> Result<EnrolmentImport<'_>, ApiError> {
    Ok(EnrolmentImport {
        db: &api.db,
        policy: &api.policy,
        today: clock::today(),
    })
}

/// How ImportEnrolments checks and writes one batch.
pub(super) struct EnrolmentImport<'a> {
    /// For naming a duplicate after the batch's rollback.
    db: &'a Db,
    /// Premiums and who pays them, per coverage year.
    policy: &'a PolicyBook,
    /// The county's today when the stream began: birth dates may not lie after it.
    today: NaiveDate,
}

/// The field prefix of enrolment `j` of a batch whose prefix is `batch` (`"batch[2]."`).
fn in_batch(batch: &str, j: usize) -> String {
    format!("{batch}enrolments[{j}].")
}

impl Importer for EnrolmentImport<'_> {
    type Batch = ImportEnrolmentsRequest;
    type Checked = Vec<enrolment::Model>;
    const MAX_RECORDS: usize = MAX_IMPORT_BATCH;

    fn check(&self, batch: Self::Batch, prefix: &str) -> Result<Self::Checked, ApiError> {
        let mut v = Violations::new();
        let rows: Vec<enrolment::Model> = batch
            .enrolments
            .iter()
            .enumerate()
            .filter_map(|(j, e)| {
                enrolment_row(e, &in_batch(prefix, j), self.today, self.policy, &mut v)
            })
            .collect();
        v.into_result()?;
        Ok(rows)
    }

    async fn write(
        &self,
        txn: &WriteTxn,
        rows: &Self::Checked,
    ) -> Result<(TallyOf<Self>, Audit), ApiError> {
        store::insert_enrolments(&**txn, rows).await?;
        let n = rows.len();
        let tally = ImportEnrolmentsResponse {
            batches_committed: 1,
            batches_replayed: 0,
            enrolments_imported: n as i64,
        };
        Ok((
            tally,
            Audit::new(format!("batch of {n}"), format!("{n} enrolments")),
        ))
    }

    async fn explain(&self, error: ApiError, rows: &Self::Checked, prefix: &str) -> ApiError {
        name_the_duplicate(self.db, error, rows, |j| in_batch(prefix, j)).await
    }
}

/// After a failed insert of `rows` (rolled back): a unique violation becomes
/// ALREADY_EXISTS naming the first duplicate's field (`field_prefix(i)` + `resident_id`),
/// or ABORTED when a concurrent write took the key and is gone again; anything else is
/// returned as it is.
async fn name_the_duplicate(
    db: &Db,
    error: ApiError,
    rows: &[enrolment::Model],
    field_prefix: impl Fn(usize) -> String,
) -> ApiError {
    match error {
        ApiError::Db(e) if is_unique_violation(&e) => {
            match store::find_enrolment_conflict(db.conn(), rows, field_prefix).await {
                Ok(Some(conflict)) => conflict,
                Ok(None) => ApiError::Status(Status::aborted(
                    "a concurrent write enrolled the same person for the same year; retry",
                )),
                Err(e) => e,
            }
        }
        other => other,
    }
}

/// Checks an enrolment (fields under `p`) and builds its row with the premium and payer
/// from the coverage year's policy. `None` when a violation was recorded.
fn enrolment_row(
    e: &Enrolment,
    p: &str,
    today: NaiveDate,
    book: &PolicyBook,
    v: &mut Violations,
) -> Option<enrolment::Model> {
    let before = v.items().len();
    let resident = v
        .check(
            format!("{p}resident_id"),
            ResidentId::parse(&e.resident_id, today),
        )
        .map(|r| r.as_str().to_string());
    let household = v
        .check(
            format!("{p}household_id"),
            HouseholdId::parse(&e.household_id),
        )
        .map(|h| h.as_str().to_string());
    let village = v
        .check(
            format!("{p}village_code"),
            RegionCode::parse(&e.village_code),
        )
        .map(|c| c.as_str().to_string());
    let policy = if (2000..=2100).contains(&e.coverage_year) {
        let found = book.for_year(e.coverage_year);
        if found.is_none() {
            v.add(
                format!("{p}coverage_year"),
                format!(
                    "no policy covers coverage year {}: the policy book starts in {}",
                    e.coverage_year,
                    book.first_year()
                ),
            );
        }
        found
    } else {
        v.add(
            format!("{p}coverage_year"),
            format!(
                "must be a year between 2000 and 2100, got {}",
                e.coverage_year
            ),
        );
        None
    };
    // Saturating: a coverage year of i32::MIN is already refused above and must not
    // overflow (a panic in debug builds) on its way to that answer.
    let year_before = e.coverage_year.saturating_sub(1);
    let collection_year = if e.collection_year == 0 {
        year_before
    } else {
        e.collection_year
    };
    if collection_year != year_before && collection_year != e.coverage_year {
        v.add(
            format!("{p}collection_year"),
            format!(
                "premiums for coverage year {} are collected in {} or {}, got {}",
                e.coverage_year, year_before, e.coverage_year, e.collection_year
            ),
        );
    }
    let scheme = match Scheme::try_from(e.scheme) {
        Ok(Scheme::Unspecified | Scheme::ResidentBasic) => Scheme::ResidentBasic,
        Err(_) => {
            v.add(format!("{p}scheme"), format!("unknown scheme {}", e.scheme));
            Scheme::ResidentBasic
        }
    };
    if let Some(policy) = policy
        && e.premium_fen != 0
        && e.premium_fen != policy.premium.individual_fen
    {
        v.add(
            format!("{p}premium_fen"),
            format!(
                "the individual premium for coverage year {} is {} fen by policy, got {}",
                e.coverage_year, policy.premium.individual_fen, e.premium_fen
            ),
        );
    }
    if v.items().len() > before {
        return None;
    }
    let (policy, resident, household, village) = (policy?, resident?, household?, village?);
    let split = policy.premium.split(e.registered_poor);
    Some(enrolment::Model {
        resident_id: resident,
        coverage_year: e.coverage_year,
        household_id: household,
        village_code: village,
        collection_year,
        scheme: scheme as i32,
        registered_poor: e.registered_poor,
        premium_fen: policy.premium.individual_fen,
        government_paid_fen: split.government_fen,
        personal_paid_fen: split.personal_fen,
        payer: payer_of(split.government_fen, split.personal_fen) as i32,
        created_at: Utc::now(),
    })
}

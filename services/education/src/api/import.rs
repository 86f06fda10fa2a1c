//! ImportStudents: the runtime's import loop ([`xk_runtime::import::run`]) with the
//! education batch: every student checked as CreateStudent checks one (against the policy
//! of the school year the stream started in), then the batch stored in one transaction, or
//! ALREADY_EXISTS naming the first record whose resident id is recorded.

use std::collections::HashSet;

use chrono::NaiveDate;
use xk_contracts::pb::education::v1::{ImportStudentsRequest, ImportStudentsResponse};
use xk_runtime::db::WriteTxn;
use xk_runtime::import::Importer;
use xk_runtime::{ApiError, Audit, clock};

use super::convert::check_student;
use super::guarantee::new_record;
use super::{EducationApi, MAX_IMPORT_BATCH};
use crate::domain::FieldViolation;
use crate::domain::policy::Policy;
use crate::store::{self, StudentRecord, mask};

/// One import stream: the day and the policy its students are judged by.
pub(super) struct StudentImport<'a> {
    /// Today, when the stream started.
    today: NaiveDate,
    /// The policy of today's school year.
    policy: &'a Policy,
}

/// A batch that passed the checks: the records to store, and the batch's place in the
/// stream (`batch[3].`) to name a colliding record by.
pub(super) struct CheckedBatch {
    /// The students as they will be stored.
    records: Vec<StudentRecord>,
    /// The field-path prefix of the batch.
    prefix: String,
}

impl Importer for StudentImport<'_> {
    type Batch = ImportStudentsRequest;
    type Checked = CheckedBatch;
    const MAX_RECORDS: usize = MAX_IMPORT_BATCH;

    fn check(&self, batch: ImportStudentsRequest, prefix: &str) -> Result<CheckedBatch, ApiError> {
        let mut students = batch.students;
        let mut v: Vec<FieldViolation> = Vec::new();
        let mut seen = HashSet::new();
        for (j, s) in students.iter_mut().enumerate() {
            let record = format!("{prefix}students[{j}]");
            v.extend(
                check_student(s, self.today, self.policy)
                    .into_iter()
                    .map(|f| f.prefixed(&record)),
            );
            if !seen.insert(s.resident_id.clone()) {
                v.push(FieldViolation::invalid(
                    format!("{record}.resident_id"),
                    "appears twice in the batch",
                ));
            }
        }
        ApiError::check("", v)?;
        Ok(CheckedBatch {
            records: students
                .into_iter()
                .map(|s| new_record(s, self.today, self.policy))
                .collect(),
            prefix: prefix.to_string(),
        })
    }

    async fn write(
        &self,
        txn: &WriteTxn,
        batch: &CheckedBatch,
    ) -> Result<(ImportStudentsResponse, Audit), ApiError> {
        let ids: Vec<&str> = batch
            .records
            .iter()
            .map(|r| r.student.resident_id.as_str())
            .collect();
        let taken = store::existing_students(&**txn, &ids).await?;
        if let Some(j) = ids.iter().position(|id| taken.contains(*id)) {
            return Err(ApiError::AlreadyExists {
                what: "student",
                name: mask(ids[j]),
                field: format!("{}students[{j}].resident_id", batch.prefix),
            });
        }
        store::insert_students(&**txn, &batch.records).await?;
        let n = batch.records.len();
        let tally = ImportStudentsResponse {
            batches_committed: 1,
            batches_replayed: 0,
            students_imported: n as i64,
        };
        Ok((
            tally,
            Audit::new(format!("batch of {n}"), format!("{n} students")),
        ))
    }
}

/// ImportStudents: the stream's importer, for the runtime's import loop (each batch in its
/// own idempotent transaction).
pub(super) fn import_students(api: &EducationApi) -> Result<StudentImport<'_>, ApiError> {
    let today = clock::today();
    Ok(StudentImport {
        today,
        policy: api.policy_today(today)?,
    })
}

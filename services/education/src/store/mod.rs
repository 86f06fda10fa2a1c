//! The education service's I/O: students and the rows that hang off them. No rules here:
//! callers pass records the domain has checked and guarantees it has computed.

pub mod entities;
pub mod exceptions;
pub mod expenses;
pub mod migration;
pub mod query;
pub mod rollups;
pub mod subsidies;
pub mod summary;

use std::collections::HashSet;

use chrono::{NaiveDate, Utc};
use prost::Message;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use xk_contracts::convert::{date_from_pb, date_to_pb};
use xk_contracts::pb::education::v1::{Letter, ReturnCase, Student, StudentStatus, Survey, Visit};
use xk_contracts::types::ResidentId;
use xk_runtime::ApiError;
use xk_runtime::partition::{Lookup, find_by_key};
use xk_runtime::query::{
    Keyset, insert_chunks, one_or_not_found, refuse_existing, stored_keys, update_at_version,
    upsert_columns,
};

use entities::{case, letter, student, survey, survey_finding, visit};
pub use query::prefix_range;
use query::rows_of_student;

/// The students table (read by key through [`xk_runtime::Db::lookup`]).
pub const STUDENTS: &str = "students";

/// The tables a province's PostgreSQL database may partition by county
/// (`xiaokang migrate education --partition-by-county`): the students, keyed by resident
/// id, unique across the province still.
pub const PARTITIONABLE: &[xk_runtime::partition::Partitionable] =
    &[xk_runtime::partition::Partitionable {
        table: STUDENTS,
        key: &["resident_id"],
        region: "village_code",
    }];

/// Rows per multi-row INSERT: students have 16 columns, so 500 rows stay well under the
/// bound-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const INSERT_CHUNK: usize = 500;

/// A resident id for messages and logs: masked, never whole.
pub fn mask(id: &str) -> String {
    ResidentId::parse_stored(id)
        .map(|r| r.masked())
        .unwrap_or_else(|_| "(unparseable id)".into())
}

/// A student as stored: the record plus the derived columns kept beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct StudentRecord {
    /// The record reads return; output fields (guaranteed, reason, open_case,
    /// status_since, etag) are filled in.
    pub student: Student,
    /// Last day a time-limited guarantee holds; `None` when it does not lapse.
    pub guaranteed_until: Option<NaiveDate>,
    /// Letters sent about the student.
    pub letters_sent: i32,
    /// Subsidy payments recorded.
    pub subsidy_count: i32,
    /// Their total, fen.
    pub subsidy_total_fen: i64,
    /// Day the current status was recorded.
    pub status_since: NaiveDate,
    /// Optimistic-concurrency version (the etag).
    pub version: i64,
    /// The village of the stored row (the student's, until a change moves it): a save
    /// finds the row by it as well as its key, so that over partitions by county it
    /// touches that county's partition alone.
    pub stored_village: String,
}

fn row(r: &StudentRecord) -> student::ActiveModel {
    let mut doc = r.student.clone();
    doc.etag.clear();
    let s = &r.student;
    student::ActiveModel {
        resident_id: Set(s.resident_id.clone()),
        household_id: Set(s.household_id.clone()),
        village_code: Set(s.village_code.clone()),
        status: Set(s.status),
        grade: Set(s.grade),
        incoming: Set(s.incoming),
        guaranteed: Set(s.guaranteed),
        guaranteed_until: Set(r.guaranteed_until),
        open_case: Set(s.open_case),
        letters_sent: Set(r.letters_sent),
        subsidy_count: Set(r.subsidy_count),
        subsidy_total_fen: Set(r.subsidy_total_fen),
        status_since: Set(r.status_since),
        version: Set(r.version),
        doc: Set(doc.encode_to_vec()),
        updated_at: Set(Utc::now()),
    }
}

fn unreadable(what: &str) -> ApiError {
    ApiError::Db(sea_orm::DbErr::Custom(format!(
        "stored {what} record is unreadable"
    )))
}

fn decode(m: student::Model) -> Result<StudentRecord, ApiError> {
    let mut s = Student::decode(m.doc.as_slice()).map_err(|e| {
        tracing::error!(student = %mask(&m.resident_id), error = %e, "stored record does not decode");
        unreadable("student")
    })?;
    s.guaranteed = m.guaranteed;
    s.open_case = m.open_case;
    s.status_since = Some(date_to_pb(m.status_since));
    s.etag = m.version.to_string();
    Ok(StudentRecord {
        student: s,
        guaranteed_until: m.guaranteed_until,
        letters_sent: m.letters_sent,
        subsidy_count: m.subsidy_count,
        subsidy_total_fen: m.subsidy_total_fen,
        status_since: m.status_since,
        version: m.version,
        stored_village: m.village_code,
    })
}

/// Which of these resident ids are recorded already.
pub async fn existing_students<C: ConnectionTrait>(
    conn: &C,
    ids: &[&str],
) -> Result<HashSet<String>, ApiError> {
    stored_keys::<student::Entity, _>(conn, student::Column::ResidentId, ids, INSERT_CHUNK).await
}

/// Inserts new students (version 1), in multi-row statements.
pub async fn insert_students<C: ConnectionTrait>(
    conn: &C,
    batch: &[StudentRecord],
) -> Result<(), ApiError> {
    insert_chunks(conn, batch.iter().map(row).collect(), INSERT_CHUNK).await
}

/// Reads one student (`lookup`: how this database reads a student by id, from
/// [`xk_runtime::Db::lookup`] of [`STUDENTS`]).
pub async fn get_student<C: ConnectionTrait>(
    conn: &C,
    lookup: Lookup,
    id: &str,
) -> Result<StudentRecord, ApiError> {
    load_student(conn, lookup, id, false).await
}

/// Reads one student to change it, locking the row until the transaction ends
/// ([`xk_runtime::db::for_update`]): concurrent writes to one student queue.
pub async fn lock_student<C: ConnectionTrait>(
    conn: &C,
    lookup: Lookup,
    id: &str,
) -> Result<StudentRecord, ApiError> {
    load_student(conn, lookup, id, true).await
}

async fn load_student<C: ConnectionTrait>(
    conn: &C,
    lookup: Lookup,
    id: &str,
    for_update: bool,
) -> Result<StudentRecord, ApiError> {
    let row = find_by_key::<student::Entity, _>(conn, lookup, id.to_string(), for_update).await?;
    decode(row.ok_or_else(|| ApiError::not_found("student", mask(id)))?)
}

/// Writes a changed student if its version is still `r.version`; returns it with the new
/// version (etag).
pub async fn save_student<C: ConnectionTrait>(
    conn: &C,
    r: &StudentRecord,
) -> Result<StudentRecord, ApiError> {
    let mut next = r.clone();
    next.version = r.version + 1;
    next.student.etag = next.version.to_string();
    next.student.status_since = Some(date_to_pb(next.status_since));
    next.stored_village = next.student.village_code.clone();
    let mut am = row(&next);
    am.resident_id = sea_orm::ActiveValue::Unchanged(r.student.resident_id.clone());
    use student::Column as S;
    let update = student::Entity::update_many()
        .set(am)
        .filter(S::VillageCode.eq(&r.stored_village));
    let id = (S::ResidentId, r.student.resident_id.as_str());
    if !update_at_version(conn, update, id, (S::Version, r.version)).await? {
        // Only to name the current version in the refusal: the direct read is right in
        // every database, if slower over partitions.
        let current = get_student(conn, Lookup::Direct, &r.student.resident_id).await?;
        return Err(ApiError::Stale {
            what: "student",
            name: mask(&r.student.resident_id),
            sent: r.version.to_string(),
            current: current.student.etag,
        });
    }
    Ok(next)
}

/// The filter of a student list.
#[derive(Debug, Clone, Default)]
pub struct StudentFilter {
    /// Region prefix (digits) or empty.
    pub region_prefix: String,
    /// Status or any.
    pub status: Option<StudentStatus>,
}

impl StudentFilter {
    /// A stable description, for binding page tokens to the filter.
    pub fn fingerprint(&self) -> String {
        format!("students;r={};s={:?}", self.region_prefix, self.status)
    }
}

/// One page of students in resident-id order (the page's region prefix is the filter's).
pub async fn list_students<C: ConnectionTrait>(
    conn: &C,
    f: &StudentFilter,
    page: Keyset<'_>,
) -> Result<Vec<Student>, ApiError> {
    use student::Column as S;
    let mut q = student::Entity::find();
    if let Some(s) = f.status {
        q = q.filter(S::Status.eq(s as i32));
    }
    let rows = page.rows(conn, q, (S::VillageCode, S::ResidentId)).await?;
    rows.into_iter()
        .map(|m| decode(m).map(|r| r.student))
        .collect()
}

/// A letter row as the domain and the wire see it.
pub fn letter_to_pb(m: &letter::Model) -> Letter {
    Letter {
        number: m.number.clone(),
        resident_id: m.resident_id.clone(),
        sent_on: Some(date_to_pb(m.sent_on)),
        recipient: m.recipient.clone(),
        reply_on: m.reply_on.map(date_to_pb),
        proof_ref: m.proof_ref.clone().unwrap_or_default(),
    }
}

/// Every letter about a student, in sending order.
pub async fn letters_of<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Vec<letter::Model>, ApiError> {
    use letter::Column as L;
    rows_of_student::<letter::Entity, _>(conn, L::ResidentId, id, [L::SentOn, L::Number]).await
}

/// One letter by number, locked until the transaction ends
/// ([`xk_runtime::db::for_update`]): it is read to be changed.
pub async fn lock_letter<C: ConnectionTrait>(
    conn: &C,
    number: &str,
) -> Result<letter::Model, ApiError> {
    let select = xk_runtime::db::for_update(letter::Entity::find_by_id(number.to_string()));
    one_or_not_found(conn, select, "letter", number).await
}

/// Inserts a letter; ALREADY_EXISTS if its number is taken.
pub async fn insert_letter<C: ConnectionTrait>(conn: &C, m: letter::Model) -> Result<(), ApiError> {
    let taken = letter::Entity::find_by_id(m.number.clone());
    refuse_existing(conn, taken, "letter", (&m.number, "letter.number")).await?;
    let am: letter::ActiveModel = m.into();
    letter::Entity::insert(am)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Records a reply or proof on a letter.
pub async fn update_letter<C: ConnectionTrait>(
    conn: &C,
    m: &letter::Model,
) -> Result<(), ApiError> {
    letter::Entity::update_many()
        .col_expr(letter::Column::ReplyOn, Expr::value(m.reply_on))
        .col_expr(letter::Column::ProofRef, Expr::value(m.proof_ref.clone()))
        .col_expr(letter::Column::HasProof, Expr::value(m.has_proof))
        .filter(letter::Column::Number.eq(&m.number))
        .exec(conn)
        .await?;
    Ok(())
}

/// Visits and class hours of a student in one school year (by its start year).
pub async fn visit_totals<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    school_year: i32,
) -> Result<(i64, i64), ApiError> {
    let row: Option<(i64, Option<i64>)> = visit::Entity::find()
        .select_only()
        .column_as(Expr::col(visit::Column::Id).count(), "n")
        .column_as(Expr::cust("CAST(SUM(hours) AS BIGINT)"), "h")
        .filter(visit::Column::ResidentId.eq(id))
        .filter(visit::Column::SchoolYear.eq(school_year))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(row.map_or((0, 0), |(n, h)| (n, h.unwrap_or(0))))
}

/// Records a visit.
pub async fn insert_visit<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    date: NaiveDate,
    school_year: i32,
    teacher: &str,
    hours: i64,
) -> Result<(), ApiError> {
    visit::Entity::insert(visit::ActiveModel {
        id: NotSet,
        resident_id: Set(id.to_string()),
        visit_date: Set(date),
        school_year: Set(school_year),
        teacher: Set(teacher.to_string()),
        hours: Set(hours),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Every visit of a student, in date order.
pub async fn visits_of<C: ConnectionTrait>(conn: &C, id: &str) -> Result<Vec<Visit>, ApiError> {
    use visit::Column as V;
    let rows =
        rows_of_student::<visit::Entity, _>(conn, V::ResidentId, id, [V::VisitDate, V::Id]).await?;
    Ok(rows
        .into_iter()
        .map(|v| Visit {
            date: Some(date_to_pb(v.visit_date)),
            teacher: v.teacher,
            hours: v.hours,
        })
        .collect())
}

fn decode_case(m: &case::Model) -> Result<ReturnCase, ApiError> {
    ReturnCase::decode(m.doc.as_slice()).map_err(|e| {
        tracing::error!(case = %m.case_id, error = %e, "stored case does not decode");
        unreadable("case")
    })
}

/// One case by id, locked until the transaction ends ([`xk_runtime::db::for_update`]):
/// it is read to be changed.
pub async fn lock_case<C: ConnectionTrait>(
    conn: &C,
    case_id: &str,
) -> Result<ReturnCase, ApiError> {
    let select = xk_runtime::db::for_update(case::Entity::find_by_id(case_id.to_string()));
    decode_case(&one_or_not_found(conn, select, "case", case_id).await?)
}

/// Inserts or replaces a case.
pub async fn save_case<C: ConnectionTrait>(
    conn: &C,
    c: &ReturnCase,
    open: bool,
) -> Result<(), ApiError> {
    let opened_on = c
        .opened_on
        .as_ref()
        .and_then(|d| date_from_pb(d).ok())
        .ok_or_else(|| unreadable("case"))?;
    let am = case::ActiveModel {
        case_id: Set(c.case_id.clone()),
        resident_id: Set(c.resident_id.clone()),
        open: Set(open),
        opened_on: Set(opened_on),
        doc: Set(c.encode_to_vec()),
    };
    use case::Column as K;
    upsert_columns(conn, am, [K::CaseId], [K::Open, K::Doc]).await
}

/// Every case of a student, oldest first.
pub async fn cases_of<C: ConnectionTrait>(conn: &C, id: &str) -> Result<Vec<ReturnCase>, ApiError> {
    use case::Column as K;
    let rows =
        rows_of_student::<case::Entity, _>(conn, K::ResidentId, id, [K::OpenedOn, K::CaseId])
            .await?;
    rows.iter().map(decode_case).collect()
}

/// Inserts a survey and its findings; ALREADY_EXISTS if its id is taken.
pub async fn insert_survey<C: ConnectionTrait>(
    conn: &C,
    s: &Survey,
    conducted_on: NaiveDate,
) -> Result<(), ApiError> {
    let taken = survey::Entity::find_by_id(s.survey_id.clone());
    refuse_existing(conn, taken, "survey", (&s.survey_id, "survey.survey_id")).await?;
    survey::Entity::insert(survey::ActiveModel {
        survey_id: Set(s.survey_id.clone()),
        name: Set(s.name.clone()),
        conducted_on: Set(conducted_on),
    })
    .exec_without_returning(conn)
    .await?;
    // Plain rows (every column set), converted to active models for the insert.
    let findings = s.findings.iter().map(|f| survey_finding::Model {
        survey_id: s.survey_id.clone(),
        region_code: f.region_code.clone(),
        children_surveyed: f.children_surveyed,
        unable_physical: f.unable_to_attend_physical,
        placed_nearby: f.placed_nearby,
        taught_at_home: f.taught_at_home,
    });
    let rows = findings.map(survey_finding::ActiveModel::from).collect();
    insert_chunks(conn, rows, INSERT_CHUNK).await
}

/// The survey to summarize: `id` if given and recorded, else the latest one.
pub async fn pick_survey<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<String>, ApiError> {
    if !id.is_empty() {
        let select = survey::Entity::find_by_id(id.to_string());
        return Ok(Some(
            one_or_not_found(conn, select, "survey", id)
                .await?
                .survey_id,
        ));
    }
    Ok(survey::Entity::find()
        .order_by_desc(survey::Column::ConductedOn)
        .order_by_desc(survey::Column::SurveyId)
        .one(conn)
        .await?
        .map(|s| s.survey_id))
}

/// Counts students (every row, for tests).
pub async fn count_students<C: ConnectionTrait>(conn: &C) -> Result<u64, ApiError> {
    use sea_orm::PaginatorTrait;
    Ok(student::Entity::find().count(conn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_never_shows_the_birth_date() {
        let id = ResidentId::build("420625", NaiveDate::from_ymd_opt(2010, 3, 4).unwrap(), 11);
        let m = mask(id.as_str());
        assert!(!m.contains("20100304"));
        assert_eq!(mask("junk"), "(unparseable id)");
    }
}

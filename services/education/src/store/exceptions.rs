//! ListExceptions: three keyset-paged queries (not guaranteed without a case, overdue
//! letters, home-teaching shortfalls), read in kind order so one token continues them.

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Select,
    Statement,
};
use xk_contracts::pb::education::v1::{EducationException, ExceptionKind, StudentStatus};
use xk_runtime::ApiError;
use xk_runtime::db::placeholder;
use xk_runtime::query::Keyset;

use super::decode;
use super::entities::{letter, student};
use super::query::prefix_range;

/// What to list.
#[derive(Debug, Clone)]
pub struct ExceptionQuery {
    /// The day exceptions are judged at.
    pub as_of: NaiveDate,
    /// Letters sent before this day without reply or proof are overdue.
    pub overdue_before: NaiveDate,
    /// The last completed school year: its start year, last day and minimum hours.
    pub last_year: (i32, NaiveDate, i64),
}

/// The village-code range of the shortfall query: every code for an empty prefix, since
/// its SQL always bounds the code.
fn range(prefix: &str) -> (String, String) {
    if prefix.is_empty() {
        ("000000000000".into(), "999999999999".into())
    } else {
        prefix_range(prefix)
    }
}

/// An exception of `kind` about a student (resident id, village code); the kind-specific
/// fields (letter number, missing hours) empty until the caller sets them.
fn exception(
    kind: ExceptionKind,
    (resident_id, village_code): (String, String),
    detail: String,
) -> EducationException {
    EducationException {
        kind: kind as i32,
        resident_id,
        village_code,
        detail,
        letter_number: String::new(),
        missing_hours: 0,
    }
}

/// One page of the exceptions of `kind` (home-teaching shortfalls for any other kind), in
/// the kind's key order: resident id, or letter number for overdue letters.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    q: &ExceptionQuery,
    kind: ExceptionKind,
    page: Keyset<'_>,
) -> Result<Vec<EducationException>, ApiError> {
    match kind {
        ExceptionKind::NotGuaranteedNoCase => {
            use student::Column as S;
            let select = q.not_guaranteed();
            let rows = page
                .rows(conn, select, (S::VillageCode, S::ResidentId))
                .await?;
            rows.into_iter().map(not_guaranteed).collect()
        }
        ExceptionKind::LetterOverdue => {
            use letter::Column as L;
            let select = q.overdue_letters();
            let rows = page.rows(conn, select, (L::VillageCode, L::Number)).await?;
            Ok(rows.into_iter().map(overdue_letter).collect())
        }
        _ => shortfalls(conn, q, page).await,
    }
}

impl ExceptionQuery {
    /// Students not guaranteed at as_of and without an open case.
    fn not_guaranteed(&self) -> Select<student::Entity> {
        let lapsed = Condition::any()
            .add(student::Column::Guaranteed.eq(false))
            .add(student::Column::GuaranteedUntil.lt(self.as_of));
        student::Entity::find()
            .filter(student::Column::OpenCase.eq(false))
            .filter(lapsed)
    }

    /// Letters overdue at as_of.
    fn overdue_letters(&self) -> Select<letter::Entity> {
        let unanswered = Condition::any()
            .add(letter::Column::ReplyOn.is_null())
            .add(letter::Column::ReplyOn.gt(self.as_of));
        letter::Entity::find()
            .filter(letter::Column::HasProof.eq(false))
            .filter(letter::Column::SentOn.lt(self.overdue_before))
            .filter(unanswered)
    }
}

/// The exception of a student [`ExceptionQuery::not_guaranteed`] found.
fn not_guaranteed(m: student::Model) -> Result<EducationException, ApiError> {
    let lapsed = m.guaranteed.then_some(m.guaranteed_until).flatten();
    let r = decode(m)?;
    let detail = match lapsed {
        Some(d) => format!(
            "guarantee ({}) lapsed after {d}",
            r.student.guarantee_reason
        ),
        None => r.student.guarantee_reason.clone(),
    };
    let student = r.student;
    Ok(exception(
        ExceptionKind::NotGuaranteedNoCase,
        (student.resident_id, student.village_code),
        detail,
    ))
}

/// The exception of a letter [`ExceptionQuery::overdue_letters`] found.
fn overdue_letter(l: letter::Model) -> EducationException {
    let detail = format!("sent {} to {}, no reply or proof", l.sent_on, l.recipient);
    EducationException {
        letter_number: l.number,
        ..exception(
            ExceptionKind::LetterOverdue,
            (l.resident_id, l.village_code),
            detail,
        )
    }
}

#[derive(Debug, FromQueryResult)]
struct ShortRow {
    resident_id: String,
    village_code: String,
    hours: i64,
}

/// Home-teaching students whose last completed school year fell short of the minimum.
async fn shortfalls<C: ConnectionTrait>(
    conn: &C,
    q: &ExceptionQuery,
    page: Keyset<'_>,
) -> Result<Vec<EducationException>, ApiError> {
    let backend = conn.get_database_backend();
    let ph = |n| placeholder(backend, n);
    let (lo, hi) = range(page.region_prefix);
    let (year, year_end, min) = q.last_year;
    let sql = format!(
        "SELECT s.resident_id AS resident_id, s.village_code AS village_code, \
         CAST(COALESCE(SUM(v.hours), 0) AS BIGINT) AS hours \
         FROM students s LEFT JOIN visits v ON v.resident_id = s.resident_id AND v.school_year = {} \
         WHERE s.village_code >= {} AND s.village_code <= {} AND s.status = {} \
         AND s.status_since <= {} AND s.resident_id > {} \
         GROUP BY s.resident_id, s.village_code \
         HAVING COALESCE(SUM(v.hours), 0) < {} ORDER BY s.resident_id LIMIT {}",
        ph(1),
        ph(2),
        ph(3),
        StudentStatus::HomeTeaching as i32,
        ph(4),
        ph(5),
        ph(6),
        page.limit
    );
    let rows = ShortRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [
            year.into(),
            lo.into(),
            hi.into(),
            year_end.into(),
            page.after.unwrap_or("").to_string().into(),
            min.into(),
        ],
    ))
    .all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let detail = format!(
                "school year {year}/{} ended with {} class hours, minimum {min}",
                year + 1,
                r.hours
            );
            EducationException {
                missing_hours: min - r.hours,
                ..exception(
                    ExceptionKind::HomeTeachingShortfall,
                    (r.resident_id, r.village_code),
                    detail,
                )
            }
        })
        .collect())
}

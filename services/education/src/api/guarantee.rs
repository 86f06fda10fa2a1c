//! A student's stored guarantee: computed from the status alone for a new record, and
//! recomputed inside the write transaction of every change that affects it (status,
//! letters, visits), with the last day it holds when it lapses by itself, so the summary
//! can count it with a GROUP BY.

use chrono::{Datelike, NaiveDate};
use sea_orm::ConnectionTrait;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::education::v1::Student;
use xk_runtime::ApiError;

use super::convert::{domain_letter, domain_status};
use crate::domain::guarantee::{Guarantee, GuaranteeFacts, Reason, guarantee};
use crate::domain::home_teaching::HomeTeachingLog;
use crate::domain::policy::Policy;
use crate::domain::scope::school_year;
use crate::domain::status::StudentStatus;
use crate::store::{self, StudentRecord, entities::letter};

/// The guarantee of `s` on `today` from its letters and this school year's visits, and the
/// last day it holds when it lapses by itself.
pub fn compute_guarantee(
    s: &Student,
    letters: &[letter::Model],
    log: HomeTeachingLog,
    today: NaiveDate,
    p: &Policy,
) -> (Guarantee, Option<NaiveDate>) {
    let status = domain_status(s);
    let facts = GuaranteeFacts {
        letters: letters.iter().map(domain_letter).collect(),
        home_teaching: log,
    };
    let g = guarantee(&status, &facts, today, p);
    let until = match (g.reason, &status) {
        (Reason::DeferralApproved, StudentStatus::Deferral { expires_on, .. }) => Some(*expires_on),
        (Reason::HomeTeachingVisited, _) => Some(school_year(today, p).end),
        _ => None,
    };
    (g, until)
}

/// A new student's stored record: version 1, guarantee from its status alone (a new
/// student has no letters or visits yet).
pub fn new_record(mut s: Student, today: NaiveDate, p: &Policy) -> StudentRecord {
    let (g, until) = compute_guarantee(&s, &[], HomeTeachingLog::default(), today, p);
    s.guaranteed = g.guaranteed;
    s.guarantee_reason = g.reason.name().to_string();
    s.open_case = false;
    s.status_since = Some(date_to_pb(today));
    s.etag = "1".into();
    StudentRecord {
        stored_village: s.village_code.clone(),
        student: s,
        guaranteed_until: until,
        letters_sent: 0,
        subsidy_count: 0,
        subsidy_total_fen: 0,
        status_since: today,
        version: 1,
    }
}

/// Recomputes the stored guarantee of `rec` from its letters and this school year's
/// visits, read in `conn` (the caller's write transaction, so they include its changes);
/// returns the verdict and the school year's home-teaching log.
pub async fn refresh<C: ConnectionTrait>(
    conn: &C,
    rec: &mut StudentRecord,
    today: NaiveDate,
    p: &Policy,
) -> Result<(Guarantee, HomeTeachingLog), ApiError> {
    let id = rec.student.resident_id.clone();
    let letters = store::letters_of(conn, &id).await?;
    let (visits, hours) =
        store::visit_totals(conn, &id, school_year(today, p).start.year()).await?;
    let log = HomeTeachingLog {
        visits: u32::try_from(visits).unwrap_or(u32::MAX),
        hours: u32::try_from(hours).unwrap_or(u32::MAX),
    };
    let (g, until) = compute_guarantee(&rec.student, &letters, log, today, p);
    rec.student.guaranteed = g.guaranteed;
    rec.student.guarantee_reason = g.reason.name().to_string();
    rec.guaranteed_until = until;
    Ok((g, log))
}

//! Read RPCs: GetStudent, ListStudents, ListExceptions, SummarizeByRegion.

use chrono::{Datelike, Days, NaiveDate};
use xk_contracts::pb::education::v1::*;
use xk_contracts::types::ResidentId;
use xk_runtime::paging::Page;
use xk_runtime::query::Keyset;
use xk_runtime::scope::{as_of, check_summary, optional_prefix};
use xk_runtime::{ApiError, Violations};

use super::EducationApi;
use crate::domain::policy::Policy;
use crate::domain::scope::school_year;
use crate::store::{self, StudentFilter, exceptions, summary};

/// The day before which an unanswered letter is overdue at `as_of`.
fn overdue_before(as_of: NaiveDate, p: &Policy) -> NaiveDate {
    as_of
        .checked_sub_days(Days::new(u64::from(p.letter_reply_days)))
        .unwrap_or(NaiveDate::MIN)
}

/// The kinds of exception, in the order ListExceptions returns them.
const KINDS: [ExceptionKind; 3] = [
    ExceptionKind::NotGuaranteedNoCase,
    ExceptionKind::LetterOverdue,
    ExceptionKind::HomeTeachingShortfall,
];

/// One student with letters, visits, subsidies and cases.
pub(super) async fn get_student(
    api: &EducationApi,
    req: GetStudentRequest,
) -> Result<GetStudentResponse, ApiError> {
    let id = ResidentId::parse_stored(&req.resident_id)
        .map_err(|e| ApiError::invalid("resident_id", e))?;
    let id = id.as_str();
    let conn = api.db.conn();
    let rec = store::get_student(conn, api.students(), id).await?;
    let letters = store::letters_of(conn, id).await?;
    Ok(GetStudentResponse {
        student: Some(rec.student),
        letters: letters.iter().map(store::letter_to_pb).collect(),
        visits: store::visits_of(conn, id).await?,
        // Only payments stored before they carried a school year need the book; one
        // dated before the book has no school year to report (0).
        subsidies: store::subsidies::subsidies_of(conn, id, |on| {
            crate::policy::school_year_of(&api.policy, on, "paid_on").unwrap_or(0)
        })
        .await?,
        cases: store::cases_of(conn, id).await?,
    })
}

/// One page of students in resident-id order.
pub(super) async fn list_students(
    api: &EducationApi,
    req: ListStudentsRequest,
) -> Result<ListStudentsResponse, ApiError> {
    let mut v = Violations::new();
    let status = match StudentStatus::try_from(req.status) {
        Ok(StudentStatus::Unspecified) => None,
        Ok(s) => Some(s),
        Err(_) => {
            v.add("status", format!("unknown status {}", req.status));
            None
        }
    };
    let filter = StudentFilter {
        region_prefix: optional_prefix(&mut v, "region_prefix", &req.region_prefix),
        status,
    };
    let page = Page::read(&mut v, req.page_size, &req.page_token, filter.fingerprint());
    v.into_result()?;
    let rows = Keyset::under(&filter.region_prefix, &page);
    let students = store::list_students(api.db.conn(), &filter, rows).await?;
    Ok(page.answer(students, |s| &s.resident_id))
}

/// One page of what needs action at `as_of`, kind by kind.
pub(super) async fn list_exceptions(
    api: &EducationApi,
    req: ListExceptionsRequest,
) -> Result<ListExceptionsResponse, ApiError> {
    let mut v = Violations::new();
    let prefix = optional_prefix(&mut v, "region_prefix", &req.region_prefix);
    let as_of = as_of(&mut v, req.as_of.as_ref());
    let fingerprint = format!("exceptions;r={prefix};as_of={as_of}");
    let page = Page::read(&mut v, req.page_size, &req.page_token, fingerprint);
    // The token's key is "<kind number>:<key within the kind>".
    let after = page.after_parsed(&mut v, |a| {
        let (k, key) = a.split_once(':')?;
        Some((k.parse::<i32>().ok()?, key))
    });
    v.into_result()?;
    // The last completed school year, for home-teaching shortfalls: the book must
    // cover it too.
    let policy = api.policy_on(as_of, "as_of")?;
    let this_year = school_year(as_of, policy);
    let last_end = this_year.start.pred_opt().unwrap_or(this_year.start);
    let last_policy = api.policy_on(last_end, "as_of")?;
    let last = school_year(last_end, last_policy);
    let q = exceptions::ExceptionQuery {
        as_of,
        overdue_before: overdue_before(as_of, policy),
        last_year: (
            last.start.year(),
            last.end,
            i64::from(last_policy.home_teaching.min_hours_per_school_year),
        ),
    };
    let conn = api.db.conn();
    let mut out: Vec<EducationException> = Vec::new();
    let want = page.fetch();
    for kind in KINDS {
        let k = kind as i32;
        let key = match &after {
            Some((ak, _)) if *ak > k => continue,
            Some((ak, key)) if *ak == k => Some(*key),
            _ => None,
        };
        let room = want - out.len() as u64;
        if room == 0 {
            break;
        }
        let rows = Keyset {
            region_prefix: &prefix,
            after: key,
            limit: room,
        };
        out.extend(exceptions::page(conn, &q, kind, rows).await?);
    }
    Ok(page.answer_built(out, |e| {
        let key = if e.kind == ExceptionKind::LetterOverdue as i32 {
            &e.letter_number
        } else {
            &e.resident_id
        };
        format!("{}:{key}", e.kind)
    }))
}

/// Counts by township or village under a region prefix, computed in SQL from the
/// per-village rollups when its dates allow, else from the rows.
pub(super) async fn summarize(
    api: &EducationApi,
    req: SummarizeByRegionRequest,
) -> Result<SummarizeByRegionResponse, ApiError> {
    let (scope, as_of) = check_summary(&req.region_prefix, req.group_by, |v| {
        as_of(v, req.as_of.as_ref())
    })?;
    let prefix = scope.prefix.as_str();
    let policy = api.policy_on(as_of, "as_of")?;
    let conn = api.db.conn();
    let survey_id = store::pick_survey(conn, req.survey_id.trim()).await?;
    let q = summary::SummaryQuery {
        prefix: prefix.to_string(),
        group_len: scope.group_len,
        as_of,
        overdue_before: overdue_before(as_of, policy),
        survey_id: survey_id.clone(),
    };
    // Both dates the figures compare must be on or after the rollups' floor for the
    // rollups to answer; otherwise every figure comes from the rows. overdue_before is the
    // earlier, so an `as_of` within the policy's letter reply days of the floor (or before
    // it) reads the rows, as does every request when the rollups are off.
    let source = api.db.summary_source(&[q.as_of, q.overdue_before]).await?;
    let groups = summary::summarize(conn, source, &q).await?;
    let total = summary::total(prefix, &groups);
    Ok(SummarizeByRegionResponse {
        groups,
        total: Some(total),
        survey_id: survey_id.unwrap_or_default(),
    })
}

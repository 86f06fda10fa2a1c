//! OpenCase, AddFollowUp and CloseCase: return-to-school cases (劝返) for a child who
//! dropped out or never enrolled. The case is stored as its contract message; the domain
//! ([`crate::domain::cases`]) decides each step, and a case closes only once the child's
//! status, recomputed in the same transaction, counts as guaranteed.

use xk_contracts::convert::{date_from_pb, date_to_pb};
use xk_contracts::pb::common::v1::Date;
use xk_contracts::pb::education::v1::{
    AddFollowUpRequest, AddFollowUpResponse, CaseState, CloseCaseRequest, CloseCaseResponse,
    FollowUp, OpenCaseRequest, OpenCaseResponse, ReturnCase,
};
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{ApiError, Audit, clock};

use super::EducationApi;
use super::convert::{domain_status, status_name};
use super::fields::{key, past_date, req_date, required, resident_id, text};
use super::guarantee::refresh;
use super::rpc::Write;
use crate::domain::cases::{self as domain, RuleError};
use crate::domain::rules;
use crate::store;

/// A stored case as the domain sees it; a case that does not read back is the database's
/// fault, not the caller's.
fn case_to_domain(c: &ReturnCase) -> Result<domain::ReturnCase, ApiError> {
    let unreadable = || ApiError::Db(sea_orm::DbErr::Custom("stored case is unreadable".into()));
    let date = |d: Option<&Date>| d.and_then(|d| date_from_pb(d).ok()).ok_or_else(unreadable);
    Ok(domain::ReturnCase {
        opened_on: date(c.opened_on.as_ref())?,
        follow_ups: c
            .follow_ups
            .iter()
            .map(|f| {
                Ok(domain::FollowUp {
                    date: date(f.date.as_ref())?,
                    by: f.by.clone(),
                    note: f.note.clone(),
                })
            })
            .collect::<Result<_, ApiError>>()?,
        closed_on: c.closed_on.as_ref().and_then(|d| date_from_pb(d).ok()),
    })
}

/// A case as stored and answered.
fn case_to_pb(case_id: &str, resident_id: &str, c: &domain::ReturnCase) -> ReturnCase {
    ReturnCase {
        case_id: case_id.to_string(),
        resident_id: resident_id.to_string(),
        opened_on: Some(date_to_pb(c.opened_on)),
        follow_ups: c
            .follow_ups
            .iter()
            .map(|f| FollowUp {
                date: Some(date_to_pb(f.date)),
                by: f.by.clone(),
                note: f.note.clone(),
            })
            .collect(),
        closed_on: c.closed_on.map(date_to_pb),
        state: match c.state() {
            domain::CaseState::Open => CaseState::Open,
            domain::CaseState::FollowingUp => CaseState::FollowingUp,
            domain::CaseState::Closed => CaseState::Closed,
        } as i32,
    }
}

/// A refused case step: FAILED_PRECONDITION with the rule's id, or INVALID_ARGUMENT for a
/// date in the future; `date_field` is the request field of the event's date.
fn case_error(e: RuleError, date_field: &str) -> ApiError {
    let field = e.field(date_field);
    match e.rule() {
        Some(rule) => ApiError::rule(rule, field, e.to_string()),
        None => ApiError::invalid(field, e),
    }
}

/// Opens a case for a student who dropped out or never enrolled.
impl Write for OpenCaseRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let today = clock::today();
        let mut v = Vec::new();
        let id = resident_id(&mut v, "resident_id", &self.resident_id, today);
        let on = past_date(&mut v, "opened_on", self.opened_on.as_ref(), today);
        ApiError::check("", v)?;
        let (Some(id), Some(on)) = (id, on) else {
            return Err(ApiError::invalid("opened_on", "incomplete"));
        };
        api.db
            .write(&idem, async |txn| {
                let mut rec = store::lock_student(&**txn, api.students(), id.as_str()).await?;
                if !domain_status(&rec.student).needs_return_case() {
                    return Err(ApiError::rule(
                        rules::NOT_OUT_OF_SCHOOL,
                        "resident_id",
                        format!(
                            "return-to-school cases are for dropped-out or never-enrolled children; this student is {}",
                            status_name(rec.student.status)
                        ),
                    ));
                }
                if rec.student.open_case {
                    return Err(ApiError::rule(
                        rules::CASE_ALREADY_OPEN,
                        "resident_id",
                        "the student has an open case; add follow-ups to it",
                    ));
                }
                let case_id = format!("case-{}", uuid::Uuid::new_v4().simple());
                let case = case_to_pb(&case_id, id.as_str(), &domain::ReturnCase::open(on));
                store::save_case(&**txn, &case, true).await?;
                rec.student.open_case = true;
                store::save_student(&**txn, &rec).await?;
                let resp = OpenCaseResponse {
                    return_case: Some(case),
                };
                Ok((resp, Audit::new(case_id, "opened")))
            })
            .await
    }
}

/// Adds a follow-up to an open case.
impl Write for AddFollowUpRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let f = required(self.follow_up, "follow_up")?;
        let mut v = Vec::new();
        key(&mut v, "case_id", &self.case_id);
        let date = req_date(&mut v, "follow_up.date", f.date.as_ref());
        text(&mut v, "follow_up.by", &f.by, true);
        text(&mut v, "follow_up.note", &f.note, false);
        ApiError::check("", v)?;
        let Some(date) = date else {
            return Err(ApiError::invalid("follow_up.date", "required"));
        };
        let today = clock::today();
        let follow_up = domain::FollowUp {
            date,
            by: f.by.trim().to_string(),
            note: f.note.trim().to_string(),
        };
        api.db
            .write(&idem, async |txn| {
                let stored = store::lock_case(&**txn, &self.case_id).await?;
                let mut case = case_to_domain(&stored)?;
                case.follow_up(follow_up, today)
                    .map_err(|e| case_error(e, "follow_up.date"))?;
                let pb = case_to_pb(&stored.case_id, &stored.resident_id, &case);
                store::save_case(&**txn, &pb, true).await?;
                let resp = AddFollowUpResponse {
                    return_case: Some(pb),
                };
                Ok((resp, Audit::new(stored.case_id, "follow-up")))
            })
            .await
    }
}

/// Closes a case, once the student's status counts as guaranteed.
impl Write for CloseCaseRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let mut v = Vec::new();
        key(&mut v, "case_id", &self.case_id);
        let on = req_date(&mut v, "closed_on", self.closed_on.as_ref());
        ApiError::check("", v)?;
        let Some(on) = on else {
            return Err(ApiError::invalid("closed_on", "required"));
        };
        let today = clock::today();
        let p = api.policy_today(today)?;
        api.db
            .write(&idem, async |txn| {
                let stored = store::lock_case(&**txn, &self.case_id).await?;
                let mut case = case_to_domain(&stored)?;
                let mut rec =
                    store::lock_student(&**txn, api.students(), &stored.resident_id).await?;
                let (guarantee, _) = refresh(&**txn, &mut rec, today, p).await?;
                case.close(on, &guarantee, today)
                    .map_err(|e| case_error(e, "closed_on"))?;
                let pb = case_to_pb(&stored.case_id, &stored.resident_id, &case);
                store::save_case(&**txn, &pb, false).await?;
                rec.student.open_case = false;
                store::save_student(&**txn, &rec).await?;
                let resp = CloseCaseResponse {
                    return_case: Some(pb),
                };
                Ok((resp, Audit::new(stored.case_id, "closed")))
            })
            .await
    }
}

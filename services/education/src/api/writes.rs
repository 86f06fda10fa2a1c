//! Write RPCs. Each one: validate (INVALID_ARGUMENT, nothing touched) -> open the write
//! transaction -> claim the request id (a retry returns the first answer) -> apply the
//! domain rule (FAILED_PRECONDITION naming the field) -> store, recomputing the stored
//! guarantee in the same transaction -> record the response and the audit row -> commit.
//! A failed request drops its transaction, so it writes nothing (not even its claim).

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use sea_orm::ConnectionTrait;
use tonic::{Status, Streaming};
use xk_contracts::convert::{date_from_pb, date_to_pb};
use xk_contracts::pb::education::v1::*;
use xk_contracts::types::{RegionCode, not_in_future};
use xk_runtime::Principal;
use xk_runtime::errors::invalid;
use xk_runtime::idempotency::Idempotent;

use super::convert::{
    check_student, compute_guarantee, domain_status, req_date, resident_id, text,
};
use super::{EducationApi, MAX_IMPORT_BATCH, today};
use crate::domain::FieldViolation;
use crate::domain::cases::{FollowUp as DomainFollowUp, ReturnCase as DomainCase};
use crate::domain::home_teaching::{HomeTeachingLog, VisitInput, validate_visit};
use crate::domain::letters::{Letter as DomainLetter, validate_letter};
use crate::domain::scope::school_year;
use crate::error::EducationError;
use crate::store::{self, StudentRecord, entities::letter, mask};

/// Longest letter number or survey id: they are keys.
const MAX_KEY_CHARS: usize = 64;

/// `Err` with the right status when the domain found anything; field paths get `prefix`.
pub(super) fn fail(prefix: &str, v: Vec<FieldViolation>) -> Result<(), Status> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(EducationError::from_domain(prefix, v).into())
    }
}

/// A key (letter number, survey id): required, printable, at most [`MAX_KEY_CHARS`].
fn key(v: &mut Vec<FieldViolation>, field: &str, s: &str) {
    if s.trim().is_empty() {
        v.push(FieldViolation::invalid(field, "required"));
    } else if s.chars().count() > MAX_KEY_CHARS || s.chars().any(char::is_control) {
        v.push(FieldViolation::invalid(
            field,
            format!("at most {MAX_KEY_CHARS} printable characters"),
        ));
    }
}

/// A date that must not be after today.
fn past_date(
    v: &mut Vec<FieldViolation>,
    field: &str,
    d: Option<&xk_contracts::pb::common::v1::Date>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let d = req_date(v, field, d)?;
    match not_in_future(d, today) {
        Ok(d) => Some(d),
        Err(e) => {
            v.push(FieldViolation::invalid(field, e.to_string()));
            None
        }
    }
}

fn status_name(s: i32) -> &'static str {
    StudentStatus::try_from(s).map_or("UNKNOWN", |s| s.as_str_name())
}

/// A new student's stored record: version 1, guarantee from its status alone (a new
/// student has no letters or visits yet).
fn new_record(mut s: Student, today: NaiveDate, api: &EducationApi) -> StudentRecord {
    let p = api.policy_on(today);
    let (g, until) = compute_guarantee(&s, &[], HomeTeachingLog::default(), today, p);
    s.guaranteed = g.guaranteed;
    s.guarantee_reason = g.reason.name().to_string();
    s.open_case = false;
    s.status_since = Some(date_to_pb(today));
    s.etag = "1".into();
    StudentRecord {
        student: s,
        guaranteed_until: until,
        letters_sent: 0,
        subsidy_count: 0,
        subsidy_total_fen: 0,
        status_since: today,
        version: 1,
    }
}

fn case_to_domain(c: &ReturnCase) -> Result<DomainCase, EducationError> {
    let bad = || EducationError::Db(sea_orm::DbErr::Custom("stored case is unreadable".into()));
    let date = |d: Option<&xk_contracts::pb::common::v1::Date>| {
        d.and_then(|d| date_from_pb(d).ok()).ok_or_else(bad)
    };
    Ok(DomainCase {
        opened_on: date(c.opened_on.as_ref())?,
        follow_ups: c
            .follow_ups
            .iter()
            .map(|f| {
                Ok(DomainFollowUp {
                    date: date(f.date.as_ref())?,
                    by: f.by.clone(),
                    note: f.note.clone(),
                })
            })
            .collect::<Result<_, EducationError>>()?,
        closed_on: c.closed_on.as_ref().and_then(|d| date_from_pb(d).ok()),
    })
}

fn case_to_pb(case_id: &str, resident_id: &str, c: &DomainCase) -> ReturnCase {
    use crate::domain::cases::CaseState as D;
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
            D::Open => CaseState::Open,
            D::FollowingUp => CaseState::FollowingUp,
            D::Closed => CaseState::Closed,
        } as i32,
    }
}

/// A case rule broken: the date field for a future date, otherwise FAILED_PRECONDITION.
fn case_error(e: crate::domain::cases::RuleError, date_field: &str) -> EducationError {
    use crate::domain::ViolationKind;
    let field = match e {
        crate::domain::cases::RuleError::NotGuaranteed { .. } => "case_id",
        crate::domain::cases::RuleError::CaseClosed => "case_id",
        _ => date_field,
    };
    let v = FieldViolation {
        field: field.to_string(),
        description: e.to_string(),
        kind: e.kind(),
        rule: "",
    };
    if e.kind() == ViolationKind::FailedPrecondition {
        let rule = match e {
            crate::domain::cases::RuleError::CaseClosed => "CASE_CLOSED",
            crate::domain::cases::RuleError::NotGuaranteed { .. } => "NOT_GUARANTEED",
            _ => "EVENT_OUT_OF_ORDER",
        };
        EducationError::rule(rule, v.field, v.description)
    } else {
        EducationError::from_domain("", vec![v])
    }
}

impl EducationApi {
    /// Recomputes the stored guarantee of `rec` from its letters and this school year's
    /// visits, inside the caller's transaction.
    async fn refresh<C: ConnectionTrait>(
        &self,
        conn: &C,
        rec: &mut StudentRecord,
        today: NaiveDate,
    ) -> Result<HomeTeachingLog, EducationError> {
        let p = self.policy_on(today);
        let id = rec.student.resident_id.clone();
        let letters = store::letters_of(conn, &id).await?;
        let sy = school_year(today, p);
        let (n, h) = store::visit_totals(conn, &id, sy.start.year()).await?;
        let log = HomeTeachingLog {
            visits: u32::try_from(n).unwrap_or(u32::MAX),
            hours: u32::try_from(h).unwrap_or(u32::MAX),
        };
        let (g, until) = compute_guarantee(&rec.student, &letters, log, today, p);
        rec.student.guaranteed = g.guaranteed;
        rec.student.guarantee_reason = g.reason.name().to_string();
        rec.guaranteed_until = until;
        Ok(log)
    }

    pub(super) async fn create_student_impl(
        &self,
        principal: Principal,
        req: CreateStudentRequest,
    ) -> Result<CreateStudentResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "CreateStudent",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let Some(mut s) = req.student else {
            return Err(invalid("student", "required"));
        };
        fail(
            "student.",
            check_student(&mut s, today, self.policy_on(today)),
        )?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<CreateStudentResponse>(&txn).await? {
            return Ok(r);
        }
        if !store::existing_students(&*txn, &[s.resident_id.as_str()])
            .await?
            .is_empty()
        {
            return Err(EducationError::AlreadyExists {
                what: "student",
                name: mask(&s.resident_id),
                field: "student.resident_id".into(),
            }
            .into());
        }
        let rec = new_record(s, today, self);
        store::insert_students(&*txn, std::slice::from_ref(&rec)).await?;
        let detail = format!(
            "created {} guaranteed={}",
            status_name(rec.student.status),
            rec.student.guaranteed
        );
        let target = mask(&rec.student.resident_id);
        let resp = CreateStudentResponse {
            student: Some(rec.student),
        };
        idem.finish(&txn, &resp, &target, &detail).await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn update_student_impl(
        &self,
        principal: Principal,
        req: UpdateStudentRequest,
    ) -> Result<UpdateStudentResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "UpdateStudent",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let Some(mut s) = req.student else {
            return Err(invalid("student", "required"));
        };
        let etag = s.etag.clone();
        let mut v = check_student(&mut s, today, self.policy_on(today));
        if etag.is_empty() {
            v.push(FieldViolation::invalid(
                "etag",
                "required: send the etag of the version you changed",
            ));
        }
        fail("student.", v)?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<UpdateStudentResponse>(&txn).await? {
            return Ok(r);
        }
        let mut rec = store::lock_student(&*txn, &s.resident_id).await?;
        if etag != rec.student.etag {
            return Err(EducationError::Stale {
                name: mask(&s.resident_id),
                sent: etag,
                current: rec.student.etag,
            }
            .into());
        }
        let old_status = rec.student.status;
        s.open_case = rec.student.open_case;
        s.etag = rec.student.etag.clone();
        rec.student = s;
        if rec.student.status != old_status {
            rec.status_since = today;
        }
        self.refresh(&*txn, &mut rec, today).await?;
        let rec = store::save_student(&*txn, &rec).await?;
        let detail = format!(
            "updated {} -> {} guaranteed={}",
            status_name(old_status),
            status_name(rec.student.status),
            rec.student.guaranteed
        );
        let target = mask(&rec.student.resident_id);
        let resp = UpdateStudentResponse {
            student: Some(rec.student),
        };
        idem.finish(&txn, &resp, &target, &detail).await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn import_students_impl(
        &self,
        principal: Principal,
        mut stream: Streaming<ImportStudentsRequest>,
    ) -> Result<ImportStudentsResponse, Status> {
        let mut total = ImportStudentsResponse::default();
        let mut batch_no = 0usize;
        let today = today();
        let policy = self.policy_on(today);
        while let Some(batch) = stream.message().await? {
            let bp = format!("batch[{batch_no}].");
            let idem = Idempotent::new(
                principal,
                "ImportStudents",
                &batch.request_id,
                &format!("{bp}request_id"),
                &batch,
            )
            .map_err(|s| with_progress(s, &total))?;
            let mut students = batch.students;
            let mut v: Vec<FieldViolation> = Vec::new();
            if students.is_empty() || students.len() > MAX_IMPORT_BATCH {
                v.push(FieldViolation::invalid(
                    format!("{bp}students"),
                    format!(
                        "a batch holds 1 to {MAX_IMPORT_BATCH} students, got {}",
                        students.len()
                    ),
                ));
            }
            let mut seen = HashSet::new();
            for (j, s) in students.iter_mut().enumerate() {
                let sp = format!("{bp}students[{j}].");
                v.extend(check_student(s, today, policy).into_iter().map(|mut f| {
                    f.field = format!("{sp}{}", f.field);
                    f
                }));
                if !seen.insert(s.resident_id.clone()) {
                    v.push(FieldViolation::invalid(
                        format!("{sp}resident_id"),
                        "appears twice in the batch",
                    ));
                }
            }
            if !v.is_empty() {
                return Err(with_progress(
                    EducationError::from_domain("", v).into(),
                    &total,
                ));
            }
            let txn = self.db.begin_write().await?;
            if idem
                .begin::<ImportStudentsResponse>(&txn)
                .await
                .map_err(|s| with_progress(s, &total))?
                .is_some()
            {
                drop(txn);
                total.batches_replayed += 1;
                batch_no += 1;
                continue;
            }
            let ids: Vec<&str> = students.iter().map(|s| s.resident_id.as_str()).collect();
            let taken = store::existing_students(&*txn, &ids).await?;
            if let Some(j) = students.iter().position(|s| taken.contains(&s.resident_id)) {
                let e = EducationError::AlreadyExists {
                    what: "student",
                    name: mask(&students[j].resident_id),
                    field: format!("{bp}students[{j}].resident_id"),
                };
                return Err(with_progress(e.into(), &total));
            }
            let records: Vec<StudentRecord> = students
                .into_iter()
                .map(|s| new_record(s, today, self))
                .collect();
            store::insert_students(&*txn, &records).await?;
            let result = ImportStudentsResponse {
                batches_committed: 1,
                batches_replayed: 0,
                students_imported: records.len() as i64,
            };
            idem.finish(
                &txn,
                &result,
                &format!("batch of {}", records.len()),
                &format!("{} students", records.len()),
            )
            .await?;
            txn.commit().await?;
            total.batches_committed += 1;
            total.students_imported += result.students_imported;
            batch_no += 1;
        }
        Ok(total)
    }

    pub(super) async fn send_letter_impl(
        &self,
        principal: Principal,
        req: SendLetterRequest,
    ) -> Result<SendLetterResponse, Status> {
        let idem = Idempotent::new(principal, "SendLetter", &req.request_id, "request_id", &req)?;
        let today = today();
        let mut v = Vec::new();
        let id = resident_id(&mut v, "resident_id", &req.resident_id, today);
        let Some(l) = req.letter else {
            return Err(invalid("letter", "required"));
        };
        key(&mut v, "letter.number", &l.number);
        text(&mut v, "letter.recipient", &l.recipient, true);
        text(&mut v, "letter.proof_ref", &l.proof_ref, false);
        let sent_on = req_date(&mut v, "letter.sent_on", l.sent_on.as_ref());
        let reply_on = match &l.reply_on {
            None => None,
            Some(d) => req_date(&mut v, "letter.reply_on", Some(d)),
        };
        fail("", v)?;
        let (Some(id), Some(sent_on)) = (id, sent_on) else {
            return Err(invalid("letter", "incomplete"));
        };
        let proof_ref = (!l.proof_ref.trim().is_empty()).then(|| l.proof_ref.trim().to_string());
        let domain = DomainLetter {
            number: l.number.trim().to_string(),
            sent_on,
            recipient: l.recipient.trim().to_string(),
            reply_on,
            proof_ref: proof_ref.clone(),
        };
        fail(
            "letter.",
            validate_letter(&domain, today).err().unwrap_or_default(),
        )?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<SendLetterResponse>(&txn).await? {
            return Ok(r);
        }
        let mut rec = store::lock_student(&*txn, id.as_str()).await?;
        let status = StudentStatus::try_from(rec.student.status).unwrap_or_default();
        if !matches!(
            status,
            StudentStatus::OutsideCounty | StudentStatus::OutsideProvince
        ) {
            return Err(EducationError::rule(
                "NOT_OUTSIDE_COUNTY",
                "resident_id",
                format!(
                    "letters are for students outside the county; this student is {}",
                    status.as_str_name()
                ),
            )
            .into());
        }
        let row = letter::Model {
            number: domain.number.clone(),
            resident_id: id.as_str().to_string(),
            village_code: rec.student.village_code.clone(),
            sent_on,
            recipient: domain.recipient.clone(),
            reply_on,
            has_proof: proof_ref.is_some(),
            proof_ref,
        };
        store::insert_letter(&*txn, row.clone()).await?;
        rec.letters_sent += 1;
        self.refresh(&*txn, &mut rec, today).await?;
        let rec = store::save_student(&*txn, &rec).await?;
        let resp = SendLetterResponse {
            student: Some(rec.student),
            letter: Some(store::letter_to_pb(&row)),
        };
        idem.finish(&txn, &resp, &format!("letter {}", row.number), "sent")
            .await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn record_letter_reply_impl(
        &self,
        principal: Principal,
        req: RecordLetterReplyRequest,
    ) -> Result<RecordLetterReplyResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "RecordLetterReply",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Vec::new();
        key(&mut v, "number", &req.number);
        text(&mut v, "proof_ref", &req.proof_ref, false);
        let reply_on = match &req.reply_on {
            None => None,
            Some(d) => req_date(&mut v, "reply_on", Some(d)),
        };
        if req.reply_on.is_none() && req.proof_ref.trim().is_empty() {
            v.push(FieldViolation::invalid(
                "reply_on",
                "send the reply date, a proof reference, or both",
            ));
        }
        fail("", v)?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<RecordLetterReplyResponse>(&txn).await? {
            return Ok(r);
        }
        let mut row = store::lock_letter(&*txn, req.number.trim()).await?;
        if reply_on.is_some() {
            row.reply_on = reply_on;
        }
        if !req.proof_ref.trim().is_empty() {
            row.proof_ref = Some(req.proof_ref.trim().to_string());
            row.has_proof = true;
        }
        let domain = super::convert::domain_letter(&row);
        fail(
            "",
            validate_letter(&domain, today).err().unwrap_or_default(),
        )?;
        store::update_letter(&*txn, &row).await?;
        let mut rec = store::lock_student(&*txn, &row.resident_id).await?;
        self.refresh(&*txn, &mut rec, today).await?;
        let rec = store::save_student(&*txn, &rec).await?;
        let resp = RecordLetterReplyResponse {
            student: Some(rec.student),
            letter: Some(store::letter_to_pb(&row)),
        };
        idem.finish(
            &txn,
            &resp,
            &format!("letter {}", row.number),
            "reply recorded",
        )
        .await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn record_visit_impl(
        &self,
        principal: Principal,
        req: RecordVisitRequest,
    ) -> Result<RecordVisitResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "RecordVisit",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Vec::new();
        let id = resident_id(&mut v, "resident_id", &req.resident_id, today);
        let Some(visit) = req.visit else {
            return Err(invalid("visit", "required"));
        };
        let date = req_date(&mut v, "visit.date", visit.date.as_ref());
        text(&mut v, "visit.teacher", &visit.teacher, false);
        fail("", v)?;
        let (Some(id), Some(date)) = (id, date) else {
            return Err(invalid("visit", "incomplete"));
        };
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<RecordVisitResponse>(&txn).await? {
            return Ok(r);
        }
        let mut rec = store::lock_student(&*txn, id.as_str()).await?;
        let input = VisitInput {
            date,
            teacher: visit.teacher.clone(),
            hours: visit.hours,
        };
        let checked = validate_visit(&input, &domain_status(&rec.student), today).map_err(|e| {
            let e = e
                .into_iter()
                .map(|mut f| {
                    if f.field != "resident_id" {
                        f.field = format!("visit.{}", f.field);
                    }
                    f
                })
                .collect();
            Status::from(EducationError::from_domain("", e))
        })?;
        let sy = school_year(checked.date, self.policy_on(checked.date));
        store::insert_visit(
            &*txn,
            id.as_str(),
            checked.date,
            sy.start.year(),
            &checked.teacher,
            i64::from(checked.hours),
        )
        .await?;
        let log = self.refresh(&*txn, &mut rec, today).await?;
        let rec = store::save_student(&*txn, &rec).await?;
        let resp = RecordVisitResponse {
            student: Some(rec.student),
            school_year_visits: i64::from(log.visits),
            school_year_hours: i64::from(log.hours),
        };
        idem.finish(
            &txn,
            &resp,
            &mask(id.as_str()),
            &format!("visit of {} hours", checked.hours),
        )
        .await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn open_case_impl(
        &self,
        principal: Principal,
        req: OpenCaseRequest,
    ) -> Result<OpenCaseResponse, Status> {
        let idem = Idempotent::new(principal, "OpenCase", &req.request_id, "request_id", &req)?;
        let today = today();
        let mut v = Vec::new();
        let id = resident_id(&mut v, "resident_id", &req.resident_id, today);
        let on = past_date(&mut v, "opened_on", req.opened_on.as_ref(), today);
        fail("", v)?;
        let (Some(id), Some(on)) = (id, on) else {
            return Err(invalid("opened_on", "incomplete"));
        };
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<OpenCaseResponse>(&txn).await? {
            return Ok(r);
        }
        let mut rec = store::lock_student(&*txn, id.as_str()).await?;
        if !domain_status(&rec.student).needs_return_case() {
            return Err(EducationError::rule(
                "NOT_OUT_OF_SCHOOL",
                "resident_id",
                format!(
                    "return-to-school cases are for dropped-out or never-enrolled children; this student is {}",
                    status_name(rec.student.status)
                ),
            )
            .into());
        }
        if rec.student.open_case {
            return Err(EducationError::rule(
                "CASE_ALREADY_OPEN",
                "resident_id",
                "the student has an open case; add follow-ups to it",
            )
            .into());
        }
        let case_id = format!("case-{}", uuid::Uuid::new_v4().simple());
        let case = case_to_pb(&case_id, id.as_str(), &DomainCase::open(on));
        store::save_case(&*txn, &case, true).await?;
        rec.student.open_case = true;
        store::save_student(&*txn, &rec).await?;
        let resp = OpenCaseResponse {
            return_case: Some(case),
        };
        idem.finish(&txn, &resp, &case_id, "opened").await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn add_follow_up_impl(
        &self,
        principal: Principal,
        req: AddFollowUpRequest,
    ) -> Result<AddFollowUpResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "AddFollowUp",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Vec::new();
        key(&mut v, "case_id", &req.case_id);
        let Some(f) = req.follow_up else {
            return Err(invalid("follow_up", "required"));
        };
        let date = req_date(&mut v, "follow_up.date", f.date.as_ref());
        text(&mut v, "follow_up.by", &f.by, true);
        text(&mut v, "follow_up.note", &f.note, false);
        fail("", v)?;
        let Some(date) = date else {
            return Err(invalid("follow_up.date", "required"));
        };
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<AddFollowUpResponse>(&txn).await? {
            return Ok(r);
        }
        let stored = store::lock_case(&*txn, &req.case_id).await?;
        let mut case = case_to_domain(&stored)?;
        case.follow_up(
            DomainFollowUp {
                date,
                by: f.by.trim().to_string(),
                note: f.note.trim().to_string(),
            },
            today,
        )
        .map_err(|e| case_error(e, "follow_up.date"))?;
        let pb = case_to_pb(&stored.case_id, &stored.resident_id, &case);
        store::save_case(&*txn, &pb, true).await?;
        let resp = AddFollowUpResponse {
            return_case: Some(pb),
        };
        idem.finish(&txn, &resp, &stored.case_id, "follow-up")
            .await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn close_case_impl(
        &self,
        principal: Principal,
        req: CloseCaseRequest,
    ) -> Result<CloseCaseResponse, Status> {
        let idem = Idempotent::new(principal, "CloseCase", &req.request_id, "request_id", &req)?;
        let today = today();
        let mut v = Vec::new();
        key(&mut v, "case_id", &req.case_id);
        let on = req_date(&mut v, "closed_on", req.closed_on.as_ref());
        fail("", v)?;
        let Some(on) = on else {
            return Err(invalid("closed_on", "required"));
        };
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<CloseCaseResponse>(&txn).await? {
            return Ok(r);
        }
        let stored = store::lock_case(&*txn, &req.case_id).await?;
        let mut case = case_to_domain(&stored)?;
        let mut rec = store::lock_student(&*txn, &stored.resident_id).await?;
        self.refresh(&*txn, &mut rec, today).await?;
        let p = self.policy_on(today);
        let letters = store::letters_of(&*txn, &stored.resident_id).await?;
        let sy = school_year(today, p);
        let (n, h) = store::visit_totals(&*txn, &stored.resident_id, sy.start.year()).await?;
        let log = HomeTeachingLog {
            visits: u32::try_from(n).unwrap_or(u32::MAX),
            hours: u32::try_from(h).unwrap_or(u32::MAX),
        };
        let (g, _) = compute_guarantee(&rec.student, &letters, log, today, p);
        case.close(on, &g, today)
            .map_err(|e| case_error(e, "closed_on"))?;
        let pb = case_to_pb(&stored.case_id, &stored.resident_id, &case);
        store::save_case(&*txn, &pb, false).await?;
        rec.student.open_case = false;
        store::save_student(&*txn, &rec).await?;
        let resp = CloseCaseResponse {
            return_case: Some(pb),
        };
        idem.finish(&txn, &resp, &stored.case_id, "closed").await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn record_survey_impl(
        &self,
        principal: Principal,
        req: RecordSurveyRequest,
    ) -> Result<RecordSurveyResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "RecordSurvey",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let Some(mut survey) = req.survey else {
            return Err(invalid("survey", "required"));
        };
        let mut v = Vec::new();
        key(&mut v, "survey.survey_id", &survey.survey_id);
        text(&mut v, "survey.name", &survey.name, true);
        let on = past_date(
            &mut v,
            "survey.conducted_on",
            survey.conducted_on.as_ref(),
            today,
        );
        if survey.findings.is_empty() {
            v.push(FieldViolation::invalid(
                "survey.findings",
                "at least one village's findings",
            ));
        }
        let mut seen = HashSet::new();
        for (i, f) in survey.findings.iter().enumerate() {
            let fp = format!("survey.findings[{i}].");
            if let Err(e) = RegionCode::parse(&f.region_code) {
                v.push(FieldViolation::invalid(
                    format!("{fp}region_code"),
                    e.to_string(),
                ));
            } else if !seen.insert(f.region_code.clone()) {
                v.push(FieldViolation::invalid(
                    format!("{fp}region_code"),
                    "appears twice in the survey",
                ));
            }
            for (name, n) in [
                ("children_surveyed", f.children_surveyed),
                ("unable_to_attend_physical", f.unable_to_attend_physical),
                ("placed_nearby", f.placed_nearby),
                ("taught_at_home", f.taught_at_home),
            ] {
                if n < 0 {
                    v.push(FieldViolation::invalid(
                        format!("{fp}{name}"),
                        "must not be negative",
                    ));
                }
            }
            if f.unable_to_attend_physical > f.children_surveyed {
                v.push(FieldViolation::invalid(
                    format!("{fp}unable_to_attend_physical"),
                    "more than the children surveyed",
                ));
            }
            if f.placed_nearby.saturating_add(f.taught_at_home) > f.unable_to_attend_physical {
                v.push(FieldViolation::invalid(
                    format!("{fp}taught_at_home"),
                    "placed nearby plus taught at home exceed the children unable to attend",
                ));
            }
        }
        fail("", v)?;
        let Some(on) = on else {
            return Err(invalid("survey.conducted_on", "required"));
        };
        survey.survey_id = survey.survey_id.trim().to_string();
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<RecordSurveyResponse>(&txn).await? {
            return Ok(r);
        }
        store::insert_survey(&*txn, &survey, on).await?;
        let target = format!("survey {}", survey.survey_id);
        let detail = format!("{} villages", survey.findings.len());
        let resp = RecordSurveyResponse {
            survey: Some(survey),
        };
        idem.finish(&txn, &resp, &target, &detail).await?;
        txn.commit().await?;
        Ok(resp)
    }
}

/// Adds to an import error how much of the stream was committed before it.
fn with_progress(s: Status, done: &ImportStudentsResponse) -> Status {
    let msg = format!(
        "{} ({} earlier batches committed, {} replayed; resend the rest with the same request ids)",
        s.message(),
        done.batches_committed,
        done.batches_replayed
    );
    Status::with_details(s.code(), msg, s.details().to_vec().into())
}

//! RecordSubsidy, and the school year a payment counts towards.
//!
//! A payment counts towards the school year it names, or, when it names none, the school
//! year containing its payment date (the policy's `school_year_start`, the convention of
//! home-teaching visits too). Inside the write transaction the student's payments under
//! the same programme and school year are summed in SQL and the yearly rule
//! ([`check_yearly_total`]) decides; a refusal drops the transaction, so it writes
//! nothing. Two payments racing for the same student both rewrite the student's row under
//! its version, so the later one is ABORTED (retry) rather than both passing the sum.

use chrono::{Datelike, NaiveDate};
use tonic::Status;
use xk_contracts::pb::education::v1::*;
use xk_runtime::Principal;
use xk_runtime::errors::invalid;
use xk_runtime::idempotency::Idempotent;

use super::convert::{req_date, resident_id};
use super::writes::fail;
use super::{EducationApi, today};
use crate::domain::FieldViolation;
use crate::domain::policy::Policy;
use crate::domain::scope::{school_year, stage_of_grade};
use crate::domain::subsidy::{
    OVER_ENTITLEMENT_RULE, PaymentInput, SubsidyKind, check_yearly_total, validate_payment,
    validate_school_year,
};
use crate::error::EducationError;
use crate::store::subsidies::{NewPayment, YearSpan, insert_subsidy, paid_in_school_year};
use crate::store::{self, StudentRecord, mask};

impl EducationApi {
    /// The school year containing `on`, named by its starting calendar year.
    pub(super) fn school_year_of(&self, on: NaiveDate) -> i32 {
        school_year(on, self.policy_on(on)).start.year()
    }

    /// The policy of school year `year` and the span of that school year.
    fn school_year_span(&self, year: i32) -> (&Policy, YearSpan) {
        let p = crate::policy::policy_for_year(&self.policy, year);
        let sy = school_year(p.school_year_start.in_year(year), p);
        let span = YearSpan {
            year,
            start: sy.start,
            end: sy.end,
        };
        (p, span)
    }

    pub(super) async fn record_subsidy_impl(
        &self,
        principal: Principal,
        req: RecordSubsidyRequest,
    ) -> Result<RecordSubsidyResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "RecordSubsidy",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Vec::new();
        let id = resident_id(&mut v, "resident_id", &req.resident_id, today);
        let Some(s) = req.subsidy else {
            return Err(invalid("subsidy", "required"));
        };
        let programme = match SubsidyProgramme::try_from(s.programme) {
            Ok(SubsidyProgramme::Unspecified) | Err(_) => {
                v.push(FieldViolation::invalid(
                    "subsidy.programme",
                    format!("required: a known programme, got {}", s.programme),
                ));
                None
            }
            Ok(p) => Some(p),
        };
        let paid_on = req_date(&mut v, "subsidy.paid_on", s.paid_on.as_ref());
        if let Err(bad) = validate_school_year(s.school_year, self.school_year_of(today)) {
            v.extend(bad.into_iter().map(|f| f.prefixed("subsidy")));
        }
        fail("", v)?;
        let (Some(id), Some(programme), Some(paid_on)) = (id, programme, paid_on) else {
            return Err(invalid("subsidy", "incomplete"));
        };
        let year = match s.school_year {
            0 => self.school_year_of(paid_on),
            named => named,
        };
        let (p, span) = self.school_year_span(year);
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<RecordSubsidyResponse>(&txn).await? {
            return Ok(r);
        }
        let mut rec = store::lock_student(&*txn, id.as_str()).await?;
        let kind = subsidy_kind(programme, s.days, &rec, p)?;
        let input = PaymentInput {
            kind,
            amount_fen: s.amount_fen,
            paid_on,
        };
        fail(
            "subsidy.",
            validate_payment(&input, today, p).err().unwrap_or_default(),
        )?;
        let paid = paid_in_school_year(&*txn, id.as_str(), s.programme, span).await?;
        check_yearly_total(kind, year, paid, s.amount_fen, p).map_err(|over| {
            EducationError::rule(
                OVER_ENTITLEMENT_RULE,
                "subsidy.amount_fen",
                format!("{}, {over}", programme.as_str_name()),
            )
        })?;
        let payment = NewPayment {
            programme: s.programme,
            amount_fen: s.amount_fen,
            paid_on,
            days: s.days,
            school_year: year,
        };
        insert_subsidy(&*txn, id.as_str(), &payment).await?;
        rec.subsidy_count += 1;
        rec.subsidy_total_fen = rec.subsidy_total_fen.saturating_add(s.amount_fen);
        let rec = store::save_student(&*txn, &rec).await?;
        let resp = RecordSubsidyResponse {
            payments: i64::from(rec.subsidy_count),
            total_fen: rec.subsidy_total_fen,
            student: Some(rec.student),
        };
        idem.finish(
            &txn,
            &resp,
            &mask(id.as_str()),
            &format!(
                "{} fen ({}, school year {year})",
                s.amount_fen,
                programme.as_str_name()
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(resp)
    }
}

/// What the payment is for: nutrition by its days, the living allowance by the student's
/// current stage and boarding (a student outside the compulsory grades has none).
fn subsidy_kind(
    programme: SubsidyProgramme,
    days: i64,
    rec: &StudentRecord,
    p: &Policy,
) -> Result<SubsidyKind, EducationError> {
    if programme == SubsidyProgramme::Nutrition {
        return Ok(SubsidyKind::Nutrition { days });
    }
    let grade = rec.student.grade;
    let stage = u8::try_from(grade)
        .ok()
        .and_then(|g| stage_of_grade(g, p))
        .ok_or_else(|| {
            EducationError::rule(
                "NO_COMPULSORY_GRADE",
                "resident_id",
                format!(
                    "the living allowance depends on the stage; the student's grade {grade} is not a compulsory grade"
                ),
            )
        })?;
    Ok(SubsidyKind::LivingAllowance {
        stage,
        boarding: rec.student.boarding,
    })
}

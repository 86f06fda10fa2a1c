//! RecordSubsidy, and the school year a payment counts towards.
//!
//! A payment counts towards the school year it names, or, when it names none, the school
//! year containing its payment date (the policy's `school_year_start`, the convention of
//! home-teaching visits too). Inside the write transaction the student's payments under
//! the same programme and school year are summed in SQL and the yearly rule
//! ([`check_yearly_total`]) decides; a refusal drops the transaction, so it writes
//! nothing. Two payments racing for the same student both rewrite the student's row under
//! its version, so the later one is ABORTED (retry) rather than both passing the sum.
//! A school year before the policy book is INVALID_ARGUMENT naming `subsidy.school_year`
//! (or `subsidy.paid_on` when the date decides it).

use chrono::Datelike;
use xk_contracts::pb::education::v1::{
    RecordSubsidyRequest, RecordSubsidyResponse, SubsidyProgramme,
};
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{ApiError, Audit, clock};

use super::fields::{known, req_date, required, resident_id};
use super::rpc::Write;
use super::{EducationApi, refusal};
use crate::domain::policy::Policy;
use crate::domain::rules;
use crate::domain::scope::{school_year, stage_of_grade};
use crate::domain::subsidy::{
    PaymentInput, SubsidyKind, check_yearly_total, validate_payment, validate_school_year,
};
use crate::policy::school_year_of;
use crate::store::subsidies::{NewPayment, YearSpan, insert_subsidy, paid_in_school_year};
use crate::store::{self, StudentRecord, mask};

/// The first and last day of school year `year` under its policy `p`.
fn school_year_span(year: i32, p: &Policy) -> YearSpan {
    let sy = school_year(p.school_year_start.in_year(year), p);
    YearSpan {
        year,
        start: sy.start,
        end: sy.end,
    }
}

/// Records a payment; refused over the entitlement of the payment or of its school year.
impl Write for RecordSubsidyRequest {
    async fn apply(self, api: &EducationApi, idem: Idempotent) -> Result<Self::Response, ApiError> {
        let today = clock::today();
        let current = school_year(today, api.policy_today(today)?).start.year();
        let mut v = Vec::new();
        let id = resident_id(&mut v, "resident_id", &self.resident_id, today);
        let s = required(self.subsidy, "subsidy")?;
        let programme: Option<SubsidyProgramme> =
            known(&mut v, "subsidy.programme", s.programme, "programme");
        let paid_on = req_date(&mut v, "subsidy.paid_on", s.paid_on.as_ref());
        if let Err(bad) = validate_school_year(s.school_year, current) {
            v.extend(bad.into_iter().map(|f| f.prefixed("subsidy")));
        }
        ApiError::check("", v)?;
        let (Some(id), Some(programme), Some(paid_on)) = (id, programme, paid_on) else {
            return Err(ApiError::invalid("subsidy", "incomplete"));
        };
        // The school year named, or the one of the payment date: the book must cover it.
        let (year, p) = match s.school_year {
            0 => {
                let year = school_year_of(&api.policy, paid_on, "subsidy.paid_on")?;
                (year, api.policy.require(year, "subsidy.paid_on")?)
            }
            named => (named, api.policy.require(named, "subsidy.school_year")?),
        };
        let span = school_year_span(year, p);
        api.db
            .write(&idem, async |txn| {
                let mut rec = store::lock_student(&**txn, api.students(), id.as_str()).await?;
                let kind = subsidy_kind(programme, s.days, &rec, p)?;
                let input = PaymentInput {
                    kind,
                    amount_fen: s.amount_fen,
                    paid_on,
                };
                validate_payment(&input, today, p).map_err(|e| refusal("subsidy.", e))?;
                let paid = paid_in_school_year(&**txn, id.as_str(), s.programme, span).await?;
                check_yearly_total(kind, year, paid, s.amount_fen, p).map_err(|over| {
                    ApiError::rule(
                        rules::SUBSIDY_OVER_ENTITLEMENT,
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
                insert_subsidy(&**txn, id.as_str(), &payment).await?;
                rec.subsidy_count += 1;
                rec.subsidy_total_fen = rec.subsidy_total_fen.saturating_add(s.amount_fen);
                let rec = store::save_student(&**txn, &rec).await?;
                let resp = RecordSubsidyResponse {
                    payments: i64::from(rec.subsidy_count),
                    total_fen: rec.subsidy_total_fen,
                    student: Some(rec.student),
                };
                let detail = format!(
                    "{} fen ({}, school year {year})",
                    s.amount_fen,
                    programme.as_str_name()
                );
                Ok((resp, Audit::new(mask(id.as_str()), detail)))
            })
            .await
    }
}

/// What the payment is for: nutrition by its days, the living allowance by the student's
/// current stage and boarding (a student outside the compulsory grades has none).
fn subsidy_kind(
    programme: SubsidyProgramme,
    days: i64,
    rec: &StudentRecord,
    p: &Policy,
) -> Result<SubsidyKind, ApiError> {
    if programme == SubsidyProgramme::Nutrition {
        return Ok(SubsidyKind::Nutrition { days });
    }
    let grade = rec.student.grade;
    let stage = u8::try_from(grade)
        .ok()
        .and_then(|g| stage_of_grade(g, p))
        .ok_or_else(|| {
            ApiError::rule(
                rules::NO_COMPULSORY_GRADE,
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

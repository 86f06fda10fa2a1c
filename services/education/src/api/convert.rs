//! Proto <-> domain mapping: parsing a `Student` into the domain's status, the checks of a
//! student record, a stored letter as the domain sees it.

use chrono::NaiveDate;
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::Date;
use xk_contracts::pb::education::v1::{Student, StudentStatus as Pb};
use xk_contracts::types::{HouseholdId, RegionCode};

use super::fields::{known, req_date, resident_id, text};
use crate::domain::FieldViolation;
use crate::domain::letters::Letter;
use crate::domain::policy::Policy;
use crate::domain::scope::validate_compulsory_student;
use crate::domain::status::{StudentStatus, validate_status};
use crate::store::entities::letter;

/// The contract's name of a stored status number, for messages and the audit log.
pub fn status_name(s: i32) -> &'static str {
    Pb::try_from(s).map_or("UNKNOWN", |s| s.as_str_name())
}

/// Whether a status means the child attends a school (which must then be named).
fn needs_school(s: Pb) -> bool {
    matches!(
        s,
        Pb::InCounty
            | Pb::OutsideCounty
            | Pb::OutsideProvince
            | Pb::SpecialSchool
            | Pb::InclusiveClass
    )
}

/// The domain status of a stored or checked record. Missing approval data (only possible
/// for unchecked input) gives a status the guarantee rule refuses.
pub fn domain_status(s: &Student) -> StudentStatus {
    let date = |d: Option<&Date>| {
        d.and_then(|d| date_from_pb(d).ok())
            .unwrap_or(NaiveDate::MAX)
    };
    match Pb::try_from(s.status).unwrap_or(Pb::Unspecified) {
        Pb::InCounty => StudentStatus::InCounty,
        Pb::OutsideCounty => StudentStatus::OutsideCounty,
        Pb::OutsideProvince => StudentStatus::OutsideProvince,
        Pb::SpecialSchool => StudentStatus::SpecialSchool,
        Pb::InclusiveClass => StudentStatus::InclusiveClass,
        Pb::HomeTeaching => StudentStatus::HomeTeaching,
        Pb::Deferral => {
            let d = s.deferral.clone().unwrap_or_default();
            StudentStatus::Deferral {
                approved_on: date(d.approved_on.as_ref()),
                expires_on: date(d.expires_on.as_ref()),
                approval_ref: d.approval_ref,
            }
        }
        Pb::Exemption => {
            let e = s.exemption.clone().unwrap_or_default();
            StudentStatus::Exemption {
                approved_on: date(e.approved_on.as_ref()),
                approval_ref: e.approval_ref,
                reason: e.reason,
            }
        }
        Pb::DroppedOut => StudentStatus::DroppedOut,
        Pb::NeverEnrolled | Pb::Unspecified => StudentStatus::NeverEnrolled,
    }
}

/// The approval data of a deferral or an exemption, in the field of the status's own name
/// (`what` in messages): required, and `checked`, when the status is that one (`applies`);
/// refused with any other status.
fn approval<T>(
    v: &mut Vec<FieldViolation>,
    (field, what): (&str, &str),
    (applies, data): (bool, Option<&T>),
    checked: impl FnOnce(&mut Vec<FieldViolation>, &T),
) {
    match (applies, data) {
        (true, None) => v.push(FieldViolation::invalid(
            field,
            format!("required: {what} needs its approval data"),
        )),
        (true, Some(data)) => checked(v, data),
        (false, Some(_)) => v.push(FieldViolation::invalid(
            field,
            format!("only with status {}", field.to_uppercase()),
        )),
        (false, None) => {}
    }
}

/// Checks a student record from a request and normalises it (resident id with X, output
/// fields cleared). Field paths are relative to the student message. Returns the
/// violations; an empty list means the record may be stored.
pub fn check_student(s: &mut Student, today: NaiveDate, p: &Policy) -> Vec<FieldViolation> {
    let mut v = Vec::new();
    let id = resident_id(&mut v, "resident_id", &s.resident_id, today);
    if let Some(id) = &id {
        s.resident_id = id.as_str().to_string();
    }
    if let Err(e) = HouseholdId::parse(&s.household_id) {
        v.push(FieldViolation::invalid("household_id", e.to_string()));
    }
    if let Err(e) = RegionCode::parse(&s.village_code) {
        v.push(FieldViolation::invalid("village_code", e.to_string()));
    }
    let status: Option<Pb> = known(&mut v, "status", s.status, "status");
    let grade = match u8::try_from(s.grade) {
        Ok(0) => None,
        Ok(g) => Some(g),
        Err(_) => {
            v.push(FieldViolation::invalid(
                "grade",
                format!("must be 0 (no grade) or a grade, got {}", s.grade),
            ));
            None
        }
    };
    text(
        &mut v,
        "school",
        &s.school,
        status.is_some_and(needs_school),
    );
    let deferral = (status == Some(Pb::Deferral), s.deferral.as_ref());
    approval(&mut v, ("deferral", "a deferral"), deferral, |v, d| {
        req_date(v, "deferral.approved_on", d.approved_on.as_ref());
        req_date(v, "deferral.expires_on", d.expires_on.as_ref());
        text(v, "deferral.approval_ref", &d.approval_ref, false);
    });
    let exemption = (status == Some(Pb::Exemption), s.exemption.as_ref());
    approval(&mut v, ("exemption", "an exemption"), exemption, |v, e| {
        req_date(v, "exemption.approved_on", e.approved_on.as_ref());
        text(v, "exemption.approval_ref", &e.approval_ref, false);
        text(v, "exemption.reason", &e.reason, false);
    });
    s.guaranteed = false;
    s.guarantee_reason.clear();
    s.open_case = false;
    s.status_since = None;
    if !v.is_empty() {
        return v;
    }
    if let Some(id) = id
        && let Err(e) = validate_compulsory_student(id.birth_date(), grade, today, p)
    {
        // The birth date comes from the resident id: name the field the caller sent.
        v.extend(e.into_iter().map(|mut f| {
            if f.field == "birth_date" {
                f.field = "resident_id".into();
            }
            f
        }));
    }
    if let Err(e) = validate_status(&domain_status(s), today, p) {
        v.extend(e);
    }
    v
}

/// A stored letter as the domain sees it.
pub fn domain_letter(m: &letter::Model) -> Letter {
    Letter {
        number: m.number.clone(),
        sent_on: m.sent_on,
        recipient: m.recipient.clone(),
        reply_on: m.reply_on,
        proof_ref: m.proof_ref.clone(),
    }
}

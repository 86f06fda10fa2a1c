//! Proto <-> domain mapping: parsing a `Student` into the domain's status, the checks of a
//! student record, and the guarantee computed from the stored facts.

use chrono::NaiveDate;
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::Date;
use xk_contracts::pb::education::v1::{Student, StudentStatus as Pb};
use xk_contracts::types::{HouseholdId, RegionCode, ResidentId};

use crate::domain::home_teaching::HomeTeachingLog;
use crate::domain::letters::Letter;
use crate::domain::policy::Policy;
use crate::domain::scope::{school_year, validate_compulsory_student};
use crate::domain::status::{
    Guarantee, GuaranteeFacts, Reason, StudentStatus, guarantee, validate_status,
};
use crate::domain::{FieldViolation, is_blank};
use crate::store::entities::letter;

/// Longest free text accepted (school, teacher, recipient, references, notes): bounds rows.
pub const MAX_TEXT_CHARS: usize = 200;

/// A required date: present and a real date (future dates are the domain's call).
pub fn req_date(v: &mut Vec<FieldViolation>, field: &str, d: Option<&Date>) -> Option<NaiveDate> {
    match d {
        None => {
            v.push(FieldViolation::invalid(field, "required"));
            None
        }
        Some(d) => match date_from_pb(d) {
            Ok(d) => Some(d),
            Err(e) => {
                v.push(FieldViolation::invalid(field, e.to_string()));
                None
            }
        },
    }
}

/// A text field: required or not, and at most [`MAX_TEXT_CHARS`] characters.
pub fn text(v: &mut Vec<FieldViolation>, field: &str, s: &str, required: bool) {
    if required && is_blank(s) {
        v.push(FieldViolation::invalid(field, "required"));
    }
    if s.chars().count() > MAX_TEXT_CHARS {
        v.push(FieldViolation::invalid(
            field,
            format!("at most {MAX_TEXT_CHARS} characters"),
        ));
    }
}

/// A resident id of a request: valid, birth date not in the future; normalised (X).
pub fn resident_id(
    v: &mut Vec<FieldViolation>,
    field: &str,
    s: &str,
    today: NaiveDate,
) -> Option<ResidentId> {
    match ResidentId::parse(s, today) {
        Ok(id) => Some(id),
        Err(e) => {
            v.push(FieldViolation::invalid(field, e.to_string()));
            None
        }
    }
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
    let status = match Pb::try_from(s.status) {
        Ok(Pb::Unspecified) | Err(_) => {
            v.push(FieldViolation::invalid(
                "status",
                format!("required: a known status, got {}", s.status),
            ));
            None
        }
        Ok(st) => Some(st),
    };
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
    match (status, &s.deferral) {
        (Some(Pb::Deferral), None) => v.push(FieldViolation::invalid(
            "deferral",
            "required: a deferral needs its approval data",
        )),
        (Some(Pb::Deferral), Some(d)) => {
            req_date(&mut v, "deferral.approved_on", d.approved_on.as_ref());
            req_date(&mut v, "deferral.expires_on", d.expires_on.as_ref());
            text(&mut v, "deferral.approval_ref", &d.approval_ref, false);
        }
        (_, Some(_)) => v.push(FieldViolation::invalid(
            "deferral",
            "only with status DEFERRAL",
        )),
        _ => {}
    }
    match (status, &s.exemption) {
        (Some(Pb::Exemption), None) => v.push(FieldViolation::invalid(
            "exemption",
            "required: an exemption needs its approval data",
        )),
        (Some(Pb::Exemption), Some(e)) => {
            req_date(&mut v, "exemption.approved_on", e.approved_on.as_ref());
            text(&mut v, "exemption.approval_ref", &e.approval_ref, false);
            text(&mut v, "exemption.reason", &e.reason, false);
        }
        (_, Some(_)) => v.push(FieldViolation::invalid(
            "exemption",
            "only with status EXEMPTION",
        )),
        _ => {}
    }
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

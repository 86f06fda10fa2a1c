//! The mapping between stored rows, engine values and messages. A leaf: it uses the
//! domain, the store's entities and the generated types, and nothing else of the api.

use std::collections::HashSet;

use sea_orm::ActiveValue::{NotSet, Set};
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::health::v1 as pb;

use crate::domain::{InstitutionLevel as Level, Settlement, YearToDate, YtdDelta};
use crate::store::entities::{case, enrolment, institution, person_year};
use crate::store::{KIND_REVERSAL, KIND_SETTLEMENT};

/// The engine's level of a wire level; `None` for unspecified or unknown numbers.
pub(super) fn level_from_pb(v: i32) -> Option<Level> {
    match pb::InstitutionLevel::try_from(v).ok()? {
        pb::InstitutionLevel::Unspecified => None,
        pb::InstitutionLevel::Village => Some(Level::Village),
        pb::InstitutionLevel::Township => Some(Level::Township),
        pb::InstitutionLevel::County => Some(Level::County),
        pb::InstitutionLevel::City => Some(Level::City),
        pb::InstitutionLevel::Province => Some(Level::Province),
    }
}

/// Who paid a premium, from the split.
pub(super) fn payer_of(government_fen: i64, personal_fen: i64) -> pb::PremiumPayer {
    match (government_fen > 0, personal_fen > 0) {
        (true, false) => pb::PremiumPayer::Government,
        (true, true) => pb::PremiumPayer::Shared,
        _ => pb::PremiumPayer::Personal,
    }
}

/// An enrolment row as a message.
pub(super) fn enrolment_to_pb(e: &enrolment::Model) -> pb::Enrolment {
    pb::Enrolment {
        resident_id: e.resident_id.clone(),
        household_id: e.household_id.clone(),
        village_code: e.village_code.clone(),
        coverage_year: e.coverage_year,
        collection_year: e.collection_year,
        scheme: e.scheme,
        registered_poor: e.registered_poor,
        premium_fen: e.premium_fen,
        government_paid_fen: e.government_paid_fen,
        personal_paid_fen: e.personal_paid_fen,
        payer: e.payer,
    }
}

/// An institution row as a message.
pub(super) fn institution_to_pb(i: institution::Model) -> pb::Institution {
    pb::Institution {
        code: i.code,
        name: i.name,
        level: i.level,
        in_county: i.in_county,
        one_stop: i.one_stop,
        treat_first_pay_later: i.treat_first_pay_later,
    }
}

/// A case row as a message; `reversed` says whether a reversal of it exists.
pub(super) fn case_to_pb(c: &case::Model, reversed: bool) -> pb::CaseRecord {
    pb::CaseRecord {
        case_id: c.id,
        kind: if c.kind == KIND_REVERSAL {
            pb::CaseKind::Reversal as i32
        } else {
            pb::CaseKind::Settlement as i32
        },
        reverses_case_id: c.reverses_id,
        coverage_year: c.coverage_year,
        village_code: c.village_code.clone(),
        hospital_case: Some(pb::HospitalCase {
            resident_id: c.resident_id.clone(),
            institution_code: c.institution_code.clone(),
            admission_date: Some(date_to_pb(c.admission_date)),
            discharge_date: Some(date_to_pb(c.discharge_date)),
            total_fen: c.total_fen,
            out_of_policy_fen: c.out_of_policy_fen,
            chronic_outpatient: c.chronic_outpatient,
            bill_number: c.bill_number.clone(),
        }),
        institution_level: c.institution_level,
        in_county: c.in_county,
        one_stop: c.one_stop,
        registered_poor: c.registered_poor,
        layers: Some(pb::Layers {
            basic_fen: c.basic_fen,
            serious_illness_fen: c.serious_fen,
            medical_assistance_fen: c.assistance_fen,
            supplementary_fen: c.supplementary_fen,
            personal_in_policy_fen: c.personal_in_policy_fen,
            personal_out_of_policy_fen: c.personal_out_of_policy_fen,
            personal_total_fen: c.personal_total_fen,
        }),
        reversed,
    }
}

/// Case rows as messages, each marked reversed when its id is in `reversed`.
pub(super) fn case_records(rows: &[case::Model], reversed: &HashSet<i64>) -> Vec<pb::CaseRecord> {
    rows.iter()
        .map(|r| case_to_pb(r, reversed.contains(&r.id)))
        .collect()
}

/// The engine's settlement stored in a case row (exact: every amount and counter delta).
pub(super) fn settlement_of(c: &case::Model) -> Settlement {
    Settlement {
        basic_fen: c.basic_fen,
        serious_fen: c.serious_fen,
        assistance_fen: c.assistance_fen,
        supplementary_fen: c.supplementary_fen,
        personal_in_policy_fen: c.personal_in_policy_fen,
        personal_out_of_policy_fen: c.personal_out_of_policy_fen,
        personal_total_fen: c.personal_total_fen,
        ytd_delta: YtdDelta {
            basic_deductible_used_fen: c.d_basic_deductible_used_fen,
            serious_burden_fen: c.d_serious_burden_fen,
            assistance_paid_fen: c.d_assistance_paid_fen,
            in_county_personal_fen: c.d_in_county_personal_fen,
        },
    }
}

/// The engine's year-to-date state held in a person-year row.
pub(super) fn ytd_of(p: &person_year::Model) -> YearToDate {
    YearToDate {
        basic_deductible_used_fen: p.basic_deductible_used_fen,
        serious_burden_fen: p.serious_burden_fen,
        assistance_paid_fen: p.assistance_paid_fen,
        in_county_personal_fen: p.in_county_personal_fen,
    }
}

/// Adds a (signed) case row to a person-year's totals and sets its new engine state.
pub(super) fn add_case(p: &mut person_year::Model, c: &case::Model, next: &YearToDate) {
    p.basic_deductible_used_fen = next.basic_deductible_used_fen;
    p.serious_burden_fen = next.serious_burden_fen;
    p.assistance_paid_fen = next.assistance_paid_fen;
    p.in_county_personal_fen = next.in_county_personal_fen;
    p.cases += if c.kind == KIND_REVERSAL { -1 } else { 1 };
    p.total_fen += c.total_fen;
    p.basic_fen += c.basic_fen;
    p.serious_fen += c.serious_fen;
    p.assistance_fen += c.assistance_fen;
    p.supplementary_fen += c.supplementary_fen;
    p.personal_in_policy_fen += c.personal_in_policy_fen;
    p.personal_out_of_policy_fen += c.personal_out_of_policy_fen;
    p.personal_total_fen += c.personal_total_fen;
}

/// A person-year's totals as a message, judged against the year's cap (which only the
/// in-county, in-policy payment of the registered poor counts toward).
pub(super) fn totals_to_pb(p: &person_year::Model, cap_fen: i64) -> pb::PersonYearTotals {
    pb::PersonYearTotals {
        cases: p.cases,
        total_fen: p.total_fen,
        layers: Some(pb::Layers {
            basic_fen: p.basic_fen,
            serious_illness_fen: p.serious_fen,
            medical_assistance_fen: p.assistance_fen,
            supplementary_fen: p.supplementary_fen,
            personal_in_policy_fen: p.personal_in_policy_fen,
            personal_out_of_policy_fen: p.personal_out_of_policy_fen,
            personal_total_fen: p.personal_total_fen,
        }),
        basic_deductible_used_fen: p.basic_deductible_used_fen,
        serious_burden_fen: p.serious_burden_fen,
        assistance_paid_fen: p.assistance_paid_fen,
        in_county_personal_fen: p.in_county_personal_fen,
        annual_personal_cap_fen: cap_fen,
        over_cap: p.in_county_personal_fen > cap_fen,
    }
}

/// A case row to insert: every column set except the id the database assigns.
pub(super) fn new_case(c: &case::Model) -> case::ActiveModel {
    let mut a: case::ActiveModel =
        sea_orm::ActiveModelTrait::reset_all(case::ActiveModel::from(c.clone()));
    a.id = NotSet;
    a.kind = Set(c.kind);
    a
}

/// Rejected at compile time if the kinds drift from the proto's numbers.
const _: () = {
    assert!(KIND_SETTLEMENT == pb::CaseKind::Settlement as i32);
    assert!(KIND_REVERSAL == pb::CaseKind::Reversal as i32);
};

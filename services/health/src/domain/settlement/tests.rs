//! Hand-computed settlements against the default 2019 policy (and small edits of it).
//!
//! 2019 defaults used below (fen, bp): basic in county — village 0/8500/9000, township
//! 20000/8500/9000, county 50000/7500/8000, city 80000/6500/7000, province 150000/5500/6000
//! (deductible/rate/poor rate); out of county 10 points lower for village..county; chronic
//! outpatient 0/6000/7000; poor deductible waived in county, halved outside; serious illness
//! 500000 at 6000, poor 250000 at 6500; assistance 7000, cap 2000000; supplementary cap
//! 500000, targets 9000 inpatient / 8000 chronic outpatient.

use super::*;
use InstitutionLevel::{City, County, Province, Township, Village};

fn policy() -> Policy {
    crate::domain::embedded_book()
        .expect("embedded policy is valid")
        .for_year(2019)
        .expect("2019")
        .clone()
}

fn inpatient(level: InstitutionLevel, in_county: bool, poor: bool, total: i64) -> Case {
    Case {
        total_fen: total,
        out_of_policy_fen: 0,
        institution_level: level,
        in_county,
        chronic_outpatient: false,
        registered_poor: poor,
    }
}

fn chronic(level: InstitutionLevel, poor: bool, total: i64) -> Case {
    Case {
        chronic_outpatient: true,
        ..inpatient(level, true, poor, total)
    }
}

fn ytd(ded: i64, burden: i64, assistance: i64, in_county: i64) -> YearToDate {
    YearToDate {
        basic_deductible_used_fen: ded,
        serious_burden_fen: burden,
        assistance_paid_fen: assistance,
        in_county_personal_fen: in_county,
    }
}

fn delta(ded: i64, burden: i64, assistance: i64, in_county: i64) -> YtdDelta {
    YtdDelta {
        basic_deductible_used_fen: ded,
        serious_burden_fen: burden,
        assistance_paid_fen: assistance,
        in_county_personal_fen: in_county,
    }
}

/// `[basic, serious, assistance, supplementary, personal_in_policy, personal_out_of_policy]`,
/// checked together with the totals that follow from them.
fn layers(s: &Settlement) -> [i64; 6] {
    [
        s.basic_fen,
        s.serious_fen,
        s.assistance_fen,
        s.supplementary_fen,
        s.personal_in_policy_fen,
        s.personal_out_of_policy_fen,
    ]
}

fn run(p: &Policy, state: &YearToDate, case: &Case) -> (Settlement, YearToDate) {
    run_labelled("settlement", p, state, case)
}

/// [`run`] for a table's case: `label` names the case when a check fails.
fn run_labelled(
    label: &str,
    p: &Policy,
    state: &YearToDate,
    case: &Case,
) -> (Settlement, YearToDate) {
    let (s, next) = settle(p, state, case).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(
        s.personal_total_fen,
        s.personal_in_policy_fen + s.personal_out_of_policy_fen,
        "{label}: personal total"
    );
    assert_eq!(
        s.reimbursed_fen() + s.personal_total_fen,
        case.total_fen,
        "{label}: layers and personal add up to the total"
    );
    (s, next)
}

const FRESH: YearToDate = YearToDate {
    basic_deductible_used_fen: 0,
    serious_burden_fen: 0,
    assistance_paid_fen: 0,
    in_county_personal_fen: 0,
};

mod layers;
mod refusals_and_order;

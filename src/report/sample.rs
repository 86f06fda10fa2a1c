//! A hand-built summary carrying the demo county's published figures (DOMAIN.md §1), spread
//! over the townships. For the renderers' tests and for previewing the page without a
//! running suite; the live figures always come from the aggregator.

use xk_contracts::pb::aggregator::v1::{
    EducationSection, ExceptionCounts, HealthSection, HousingSection, RegistrySection,
    SectionState, SectionStatus, Summary, WaterSection,
};
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::pb::{education, health, housing, registry, water};

use super::names::{COUNTY, TOWNSHIPS};

/// The share of the county each township holds, in per mille (sums to 1,000).
const WEIGHTS: [i64; 11] = [62, 118, 104, 96, 121, 88, 109, 97, 92, 83, 30];

/// Splits `total` over the townships by [`WEIGHTS`]; the last takes the remainder.
fn split(total: i64) -> [i64; 11] {
    let mut out = [0; 11];
    let mut given = 0;
    for (i, w) in WEIGHTS.iter().enumerate() {
        out[i] = if i == 10 {
            total - given
        } else {
            total * w / 1000
        };
        given += out[i];
    }
    out
}

/// Exception counts that are all known and zero.
fn no_exceptions(code: &str) -> ExceptionCounts {
    ExceptionCounts {
        region_code: code.into(),
        children_out_of_school_without_case: Some(0),
        uninsured_registered_people: Some(0),
        people_over_cap: Some(0),
        relocated_not_moved_in_households: Some(0),
        relocated_without_employment_households: Some(0),
        unsafe_water_households: Some(0),
        unsafe_water_people: Some(0),
    }
}

/// An answered section's status.
pub fn available() -> Option<SectionStatus> {
    Some(SectionStatus {
        state: SectionState::Available as i32,
        code: 0,
        message: String::new(),
    })
}

/// The demo county as the aggregator would report it for 2019, grouped by township.
pub fn county() -> Summary {
    let reg_total = registry::v1::RegionCounts {
        region_code: COUNTY.code.into(),
        archive_households: 19_139,
        archive_people: 49_494,
        poor_households: 1_021,
        poor_people: 2_432,
        exited_households: 18_118,
        exited_people: 47_062,
        identified_in_year_households: 39,
        identified_in_year_people: 92,
        exited_in_year_households: 210,
        exited_in_year_people: 470,
        baseline_people: 51_125,
        baseline_removed_people: 1_723,
        monitored_households: 275,
        monitored_people: 736,
        unstable_exited_households: 118,
        unstable_exited_people: 321,
        edge_households: 157,
        edge_people: 415,
        villages: 242,
        communities: 48,
        poor_villages: 37,
        poor_villages_income_met: 37,
        ..Default::default()
    };
    let hh = split(reg_total.archive_households);
    let people = split(reg_total.archive_people);
    let exited = split(reg_total.exited_people);
    let monitored = split(reg_total.monitored_households);
    let reg_groups = TOWNSHIPS
        .iter()
        .enumerate()
        .map(|(i, t)| registry::v1::RegionCounts {
            region_code: t.code.into(),
            archive_households: hh[i],
            archive_people: people[i],
            exited_people: exited[i],
            poor_people: people[i] - exited[i],
            monitored_households: monitored[i],
            ..Default::default()
        })
        .collect();
    let edu_total = education::v1::RegionCounts {
        region_code: COUNTY.code.into(),
        students: 6_412,
        guaranteed: 6_412,
        in_county: 5_094,
        outside_county: 702,
        outside_province: 386,
        special_school: 21,
        inclusive_class: 12,
        home_teaching: 97,
        outside_with_letter: 1_088,
        letters_sent: 1_088,
        letters_confirmed: 1_088,
        incoming_students: 230,
        incoming_with_subsidy: 230,
        incoming_subsidy_fen: 23_000_000,
        students_with_subsidy: 6_412,
        subsidy_fen: 512_960_000,
        survey_children_surveyed: 8_120,
        survey_unable_to_attend_physical: 102,
        survey_placed_nearby: 5,
        survey_taught_at_home: 97,
        ..Default::default()
    };
    let health_total = health::v1::RegionHealth {
        region_code: COUNTY.code.into(),
        insured_people: 49_494,
        registered_poor_insured: 49_494,
        premiums_fen: 49_494 * 22_000,
        government_paid_fen: 49_494 * 22_000,
        cases: 6_830,
        people_with_cases: 5_102,
        total_cost_fen: 412_307_500,
        basic_fen: 268_000_000,
        serious_illness_fen: 52_100_000,
        medical_assistance_fen: 38_700_000,
        supplementary_fen: 21_400_000,
        personal_in_policy_fen: 26_107_500,
        personal_total_fen: 32_107_500,
        ..Default::default()
    };
    let housing_total = housing::v1::RegionCounts {
        region_code: COUNTY.code.into(),
        relocated_households: 4_013,
        relocated_people: 7_734,
        moved_in_households: 4_013,
        moved_in_people: 7_734,
        demolition_required_households: 4_013,
        demolished_households: 4_013,
        reclaimed_centi_mu: 180_000,
        with_support_households: 4_013,
        with_labour_households: 3_560,
        with_employment_households: 3_560,
        appraised_a: 9_870,
        appraised_b: 5_256,
        ..Default::default()
    };
    let water_total = water::v1::WaterCounts {
        region_code: COUNTY.code.into(),
        households: 19_139,
        people: 49_494,
        safe_households: 16_402,
        safe_people: 42_380,
        basically_safe_households: 2_737,
        basically_safe_people: 7_114,
        seasonal_checked_households: 1_240,
        seasonal_checked_people: 3_205,
        ..Default::default()
    };
    Summary {
        region_prefix: COUNTY.code.into(),
        group_by: RegionLevel::Township as i32,
        as_of: Some(Date {
            year: 2019,
            month: 12,
            day: 31,
        }),
        year: 2019,
        registry: Some(RegistrySection {
            status: available(),
            total: Some(reg_total),
            groups: reg_groups,
        }),
        education: Some(EducationSection {
            status: available(),
            total: Some(edu_total),
            groups: vec![],
        }),
        health: Some(HealthSection {
            status: available(),
            total: Some(health_total),
            groups: vec![],
            institutions: Some(xk_contracts::pb::health::v1::InstitutionCounts {
                designated: 18,
                in_county: 18,
                one_stop: 18,
                treat_first_pay_later: 18,
            }),
        }),
        housing: Some(HousingSection {
            status: available(),
            total: Some(housing_total),
            groups: vec![],
        }),
        water: Some(WaterSection {
            status: available(),
            total: Some(water_total),
            groups: vec![],
        }),
        exceptions_total: Some(no_exceptions(COUNTY.code)),
        exceptions_groups: TOWNSHIPS.iter().map(|t| no_exceptions(t.code)).collect(),
        complete: true,
    }
}

/// [`county`] with the health section unavailable, as the aggregator reports a service
/// that did not answer: no figures, the health-derived exceptions unknown.
pub fn county_without_health() -> Summary {
    let mut s = county();
    s.health = Some(HealthSection {
        status: Some(SectionStatus {
            state: SectionState::Unavailable as i32,
            code: 14,
            message: "health: connection refused".into(),
        }),
        total: None,
        groups: vec![],
        institutions: None,
    });
    for e in s
        .exceptions_total
        .iter_mut()
        .chain(s.exceptions_groups.iter_mut())
    {
        e.uninsured_registered_people = None;
        e.people_over_cap = None;
    }
    s.complete = false;
    s
}

/// A county with nothing recorded: every section answered with zeros and no groups.
pub fn empty() -> Summary {
    Summary {
        region_prefix: COUNTY.code.into(),
        group_by: RegionLevel::Township as i32,
        as_of: Some(Date {
            year: 2019,
            month: 12,
            day: 31,
        }),
        year: 2019,
        registry: Some(RegistrySection {
            status: available(),
            ..Default::default()
        }),
        education: Some(EducationSection {
            status: available(),
            ..Default::default()
        }),
        health: Some(HealthSection {
            status: available(),
            ..Default::default()
        }),
        housing: Some(HousingSection {
            status: available(),
            ..Default::default()
        }),
        water: Some(WaterSection {
            status: available(),
            ..Default::default()
        }),
        exceptions_total: Some(no_exceptions(COUNTY.code)),
        exceptions_groups: vec![],
        complete: true,
    }
}

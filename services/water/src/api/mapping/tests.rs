//! Unit tests of the proto ↔ domain mapping: grading, normalising, prefixed violations,
//! the village configuration and the scheme checks.

use super::*;
use crate::domain::policy::embedded;
use xk_contracts::pb::common::v1::Date;

fn d(y: i32, m: i32, day: i32) -> Date {
    Date {
        year: y,
        month: m,
        day,
    }
}

/// The day every test is run on.
fn fixed_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, 12, 1).expect("valid date")
}

fn scattered() -> pb::Assessment {
    pb::Assessment {
        household_id: "HH000001".into(),
        village_code: "420625100201".into(),
        people: 3,
        supply: Some(pb::Supply {
            kind: Some(pb::supply::Kind::Scattered(pb::ScatteredSupply {
                kind: pb::ScatteredSourceKind::Well as i32,
            })),
        }),
        litres_per_person_day: Some(35),
        quality: Some(pb::QualityEvidence {
            evidence: Some(pb::quality_evidence::Evidence::OnSiteCheck(
                pb::OnSiteCheck {
                    no_visible_impurity_colour_smell: true,
                    no_harm_long_use: true,
                },
            )),
        }),
        piped_in: false,
        fetch_round_trip_minutes: Some(20),
        horizontal_distance_m: Some(900),
        vertical_distance_m: None,
        outage_days_last_12_months: Some(36),
        area: 0,
        assessor: " 王工 ".into(),
        assessed_on: Some(d(2019, 6, 1)),
        seasonal_check: false,
        seq: 0,
        grading: None,
    }
}

#[test]
fn grades_and_normalises() {
    let n = prepare(&scattered(), "assessment", fixed_day(), embedded(), None).expect("valid");
    let g = n.doc.grading.expect("graded");
    assert_eq!(g.verdict, pb::Verdict::BasicallySafe as i32);
    assert_eq!(g.quantity, pb::Grade::BasicallyMet as i32);
    assert_eq!(g.convenience, pb::Grade::BasicallyMet as i32);
    assert_eq!(g.policy_year, 2018);
    assert_eq!(n.doc.area, pb::AreaType::WaterRich as i32, "policy default");
    assert_eq!(n.doc.assessor, "王工");
    assert_eq!(n.scheme_id, None);
    // The stored record keeps what was measured and leaves the rest unset.
    assert_eq!(n.doc.horizontal_distance_m, Some(900));
    assert_eq!(n.doc.vertical_distance_m, None);
    assert_eq!(n.measurements.vertical_distance_m, None);
    assert_eq!(n.measurements.fetch_round_trip_minutes, Some(20));
}

#[test]
fn violations_are_prefixed_and_bad_dates_reported_once() {
    let mut a = scattered();
    a.assessed_on = Some(d(2019, 2, 30));
    a.people = 0;
    a.village_code = "4206251002".into();
    a.grading = Some(pb::Grading::default());
    let err =
        prepare(&a, "batch[1].assessments[2]", fixed_day(), embedded(), None).expect_err("bad");
    let fields: Vec<&str> = err.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "batch[1].assessments[2].village_code",
            "batch[1].assessments[2].grading",
            "batch[1].assessments[2].assessed_on",
            "batch[1].assessments[2].people",
        ]
    );
}

#[test]
fn people_bound_comes_from_the_policy() {
    let mut a = scattered();
    let max = embedded()
        .for_year(2019)
        .expect("covers 2019")
        .bounds
        .max_household_people;
    a.people = max as i32;
    assert!(prepare(&a, "assessment", fixed_day(), embedded(), None).is_ok());
    a.people = max as i32 + 1;
    let err = prepare(&a, "assessment", fixed_day(), embedded(), None).expect_err("bad");
    assert_eq!(err[0].field, "assessment.people");
}

#[test]
fn a_date_before_the_policy_book_is_invalid_and_the_rest_still_checked() {
    let mut a = scattered();
    a.assessed_on = Some(d(2017, 12, 31));
    a.people = 0;
    let err = prepare(&a, "assessment", fixed_day(), embedded(), None).expect_err("bad");
    let got: Vec<(&str, crate::domain::ViolationKind)> =
        err.iter().map(|f| (f.field.as_str(), f.kind)).collect();
    assert_eq!(
        got,
        [
            (
                "assessment.people",
                crate::domain::ViolationKind::InvalidArgument
            ),
            (
                "assessment.assessed_on",
                crate::domain::ViolationKind::InvalidArgument
            ),
        ]
    );
    assert!(
        err[0].description.contains("at least 1"),
        "{}",
        err[0].description
    );
    assert!(
        err[1].description.contains("starts in 2018"),
        "{}",
        err[1].description
    );
}

#[test]
fn the_village_configuration_decides_the_area() {
    let mut a = scattered();
    let short = pb::AreaType::WaterShort as i32;
    let n = prepare(&a, "assessment", fixed_day(), embedded(), Some(short)).expect("valid");
    assert_eq!(n.doc.area, short, "unset: the village's configuration");
    a.area = short;
    let n = prepare(&a, "assessment", fixed_day(), embedded(), Some(short)).expect("valid");
    assert_eq!(n.doc.area, short, "the same area may be sent");
    a.area = pb::AreaType::WaterRich as i32;
    let err =
        prepare(&a, "assessment", fixed_day(), embedded(), Some(short)).expect_err("conflict");
    assert_eq!(err.len(), 1);
    assert!(err[0].field.ends_with("area"), "{:?}", err[0].field);
    assert_eq!(
        err[0].kind,
        crate::domain::ViolationKind::FailedPrecondition
    );
    assert_eq!(err[0].rule, rules::VILLAGE_AREA_CONFLICT);
    let n = prepare(&a, "assessment", fixed_day(), embedded(), None).expect("valid");
    assert_eq!(
        n.doc.area,
        pb::AreaType::WaterRich as i32,
        "no configuration: as sent"
    );
}

#[test]
fn scheme_checks() {
    let ok = pb::Scheme {
        scheme_id: "GC-SH-001".into(),
        name: "石花镇集中供水工程".into(),
        capacity_m3_per_day: 5000,
        people_served: 30000,
        village_codes: vec!["420625101201".into()],
        etag: String::new(),
    };
    assert!(check_scheme(&ok).is_empty());
    let bad = pb::Scheme {
        scheme_id: "bad id".into(),
        name: " ".into(),
        capacity_m3_per_day: 0,
        people_served: -1,
        village_codes: vec!["420625101201".into(), "420625101201".into(), "1".into()],
        etag: String::new(),
    };
    let fields: Vec<String> = check_scheme(&bad).into_iter().map(|f| f.field).collect();
    assert_eq!(
        fields,
        [
            "scheme.scheme_id",
            "scheme.name",
            "scheme.capacity_m3_per_day",
            "scheme.people_served",
            "scheme.village_codes[1]",
            "scheme.village_codes[2]",
        ]
    );
}

//! Unit tests of request validation: every field's bounds, missing and unmeasured values.

use super::*;
use crate::domain::ViolationKind;
use crate::domain::measurements::{AreaType, ScatteredKind};
use crate::domain::policy::test_thresholds;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn today() -> NaiveDate {
    d(2019, 12, 1)
}

/// The record the good request stands for, as validation gives it back: the area the
/// request leaves out is defaulted to water-rich.
fn good_record() -> Measurements {
    Measurements {
        supply: Supply::Centralized {
            scheme_id: "GC-SH-001".into(),
        },
        litres_per_person_day: Some(60),
        quality: QualityEvidence::LabReport {
            report_no: "SZ-2019-0413".into(),
            lab: "襄阳市疾控中心".into(),
            date: d(2019, 4, 13),
            meets_gb5749: true,
        },
        piped_in: true,
        fetch_round_trip_minutes: Some(0),
        horizontal_distance_m: None,
        vertical_distance_m: None,
        outage_days_last_12_months: Some(2),
        area: AreaType::WaterRich,
        assessed_on: d(2019, 6, 1),
        seasonal_check: true,
    }
}

/// A request every rule accepts: the good record in raw form, without an area.
fn good() -> RawMeasurements {
    RawMeasurements {
        area: None,
        ..RawMeasurements::from(&good_record())
    }
}

fn violations(raw: &RawMeasurements) -> Vec<(String, ViolationKind)> {
    match validate(raw, today(), &test_thresholds()) {
        Ok(()) => vec![],
        Err(v) => v.into_iter().map(|v| (v.field, v.kind)).collect(),
    }
}

fn one(field: &str) -> Vec<(String, ViolationKind)> {
    vec![(field.to_string(), ViolationKind::InvalidArgument)]
}

#[test]
fn good_request_parses_with_default_area() {
    assert_eq!(good().area, None);
    let m = parse(&good(), today(), &test_thresholds()).expect("valid");
    assert_eq!(m, good_record());
    assert_eq!(validate(&good(), today(), &test_thresholds()), Ok(()));
}

#[test]
fn explicit_area_is_kept_and_text_is_trimmed() {
    let raw = RawMeasurements {
        area: Some(AreaType::WaterShort),
        supply: Some(RawSupply::Centralized {
            scheme_id: "  GC-SH-001 ".into(),
        }),
        ..good()
    };
    let m = parse(&raw, today(), &test_thresholds()).expect("valid");
    assert_eq!(m.area, AreaType::WaterShort);
    assert_eq!(
        m.supply,
        Supply::Centralized {
            scheme_id: "GC-SH-001".into()
        }
    );
}

#[test]
fn scattered_supply_with_on_site_check_is_accepted() {
    let raw = RawMeasurements {
        supply: Some(RawSupply::Scattered {
            kind: Some(ScatteredKind::Spring),
        }),
        quality: Some(RawQualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell: true,
            no_harm_long_use: false,
        }),
        ..good()
    };
    let m = parse(&raw, today(), &test_thresholds()).expect("valid");
    assert_eq!(
        m.supply,
        Supply::Scattered {
            kind: ScatteredKind::Spring
        }
    );
    assert_eq!(
        m.quality,
        QualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell: true,
            no_harm_long_use: false,
        }
    );
}

/// Asserts what each value of one field is refused for, naming the value on failure:
/// `Some(field)` is the one field refused, `None` means the request is accepted.
fn check<T: std::fmt::Debug>(
    raw: impl Fn(T) -> RawMeasurements,
    cases: impl IntoIterator<Item = (T, Option<&'static str>)>,
) {
    for (value, refused) in cases {
        let label = format!("{value:?}");
        let want = refused.map_or_else(Vec::new, one);
        assert_eq!(violations(&raw(value)), want, "value {label}");
    }
}

/// A numeric field's place in a request.
type Slot = fn(&mut RawMeasurements) -> &mut Option<i64>;

/// Each numeric field of a request by its name in violations.
const NUMBERS: [(&str, Slot); 5] = [
    (fields::LITRES_PER_PERSON_DAY, |r| {
        &mut r.litres_per_person_day
    }),
    (fields::FETCH_ROUND_TRIP_MINUTES, |r| {
        &mut r.fetch_round_trip_minutes
    }),
    (fields::HORIZONTAL_DISTANCE_M, |r| {
        &mut r.horizontal_distance_m
    }),
    (fields::VERTICAL_DISTANCE_M, |r| &mut r.vertical_distance_m),
    (fields::OUTAGE_DAYS_LAST_12_MONTHS, |r| {
        &mut r.outage_days_last_12_months
    }),
];

/// The good request with the numeric field named `field` set to `value`.
fn with_number(field: &str, value: i64) -> RawMeasurements {
    let (_, slot) = NUMBERS
        .iter()
        .find(|(name, _)| *name == field)
        .expect("a numeric field");
    let mut raw = good();
    *slot(&mut raw) = Some(value);
    raw
}

/// Checks each (value, refused) case of the numeric field `field`: a refused value is
/// reported against `field` alone, any other is accepted.
fn check_number(field: &'static str, cases: &[(i64, bool)]) {
    let cases = cases
        .iter()
        .map(|&(v, refused)| (v, refused.then_some(field)));
    check(|v| with_number(field, v), cases);
}

#[test]
fn litres_negative_and_over_bound() {
    check_number(
        fields::LITRES_PER_PERSON_DAY,
        &[
            (-1, true),
            (0, false),
            (1000, false),
            (1001, true),
            (i64::MAX, true),
        ],
    );
}

#[test]
fn litres_bound_comes_from_the_policy() {
    let mut t = test_thresholds();
    t.bounds.max_litres_per_person_day = 500;
    let raw = with_number(fields::LITRES_PER_PERSON_DAY, 501);
    let err = validate(&raw, today(), &t).expect_err("over the bound");
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].field, fields::LITRES_PER_PERSON_DAY);
    assert_eq!(err[0].description, "must be at most 500 (got 501)");
}

#[test]
fn outage_days_negative_and_over_a_year() {
    let days = fields::OUTAGE_DAYS_LAST_12_MONTHS;
    check_number(days, &[(-1, true), (366, false), (367, true)]);
}

#[test]
fn fetch_minutes_and_distances_negative_and_over_bounds() {
    let b = test_thresholds().bounds;
    let bounds = [
        (
            fields::FETCH_ROUND_TRIP_MINUTES,
            b.max_fetch_round_trip_minutes,
        ),
        (fields::HORIZONTAL_DISTANCE_M, b.max_horizontal_distance_m),
        (fields::VERTICAL_DISTANCE_M, b.max_vertical_distance_m),
    ];
    for (field, max) in bounds {
        let max = i64::from(max);
        check_number(field, &[(-5, true), (max, false), (max + 1, true)]);
    }
}

#[test]
fn assessment_date_missing_or_in_the_future() {
    let r = |a| RawMeasurements {
        assessed_on: a,
        ..good()
    };
    let refused = Some(fields::ASSESSED_ON);
    check(
        r,
        [
            (None, refused),
            (Some(today()), None),
            (Some(d(2019, 12, 2)), refused),
        ],
    );
}

#[test]
fn supply_missing_blank_scheme_or_unspecified_kind() {
    let r = |s| RawMeasurements {
        supply: s,
        ..good()
    };
    let blank_scheme = RawSupply::Centralized {
        scheme_id: " \t".into(),
    };
    check(
        r,
        [
            (None, Some(fields::SUPPLY)),
            (Some(blank_scheme), Some(fields::SCHEME_ID)),
            (
                Some(RawSupply::Scattered { kind: None }),
                Some(fields::SCATTERED_KIND),
            ),
        ],
    );
}

#[test]
fn quality_missing() {
    let raw = RawMeasurements {
        quality: None,
        ..good()
    };
    assert_eq!(violations(&raw), one(fields::QUALITY));
}

#[test]
fn on_site_check_for_a_centralized_scheme_is_refused() {
    let raw = RawMeasurements {
        quality: Some(RawQualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell: true,
            no_harm_long_use: true,
        }),
        ..good()
    };
    assert_eq!(
        violations(&raw),
        vec![(
            fields::QUALITY.to_string(),
            ViolationKind::FailedPrecondition
        )]
    );
    // Even with a blank scheme id the supply is centralized: both are reported.
    let blank = RawMeasurements {
        supply: Some(RawSupply::Centralized {
            scheme_id: String::new(),
        }),
        ..raw
    };
    assert_eq!(
        violations(&blank),
        vec![
            (
                fields::SCHEME_ID.to_string(),
                ViolationKind::InvalidArgument
            ),
            (
                fields::QUALITY.to_string(),
                ViolationKind::FailedPrecondition
            ),
        ]
    );
}

fn lab(report_no: &str, lab: &str, date: Option<NaiveDate>) -> RawMeasurements {
    RawMeasurements {
        quality: Some(RawQualityEvidence::LabReport {
            report_no: report_no.into(),
            lab: lab.into(),
            date,
            meets_gb5749: false,
        }),
        ..good()
    }
}

#[test]
fn lab_report_fields() {
    let ok = Some(d(2019, 5, 1));
    assert_eq!(violations(&lab("R", "L", ok)), vec![]);
    assert_eq!(violations(&lab("", "L", ok)), one(fields::LAB_REPORT_NO));
    assert_eq!(violations(&lab("R", " ", ok)), one(fields::LAB_REPORT_LAB));
    assert_eq!(
        violations(&lab("R", "L", None)),
        one(fields::LAB_REPORT_DATE)
    );
    // Future report.
    let future = lab("R", "L", Some(d(2020, 1, 1)));
    let err = validate(&future, today(), &test_thresholds()).expect_err("future");
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].field, fields::LAB_REPORT_DATE);
    assert!(err[0].description.contains("in the future"));
    // After the assessment it supports (assessed 2019-06-01), but not in the future.
    let late = lab("R", "L", Some(d(2019, 6, 2)));
    let err = validate(&late, today(), &test_thresholds()).expect_err("late");
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].field, fields::LAB_REPORT_DATE);
    assert!(err[0].description.contains("after the assessment date"));
    // Same day as the assessment is fine.
    assert_eq!(violations(&lab("R", "L", Some(d(2019, 6, 1)))), vec![]);
}

#[test]
fn every_violation_is_reported_at_once() {
    let raw = RawMeasurements {
        supply: Some(RawSupply::Scattered { kind: None }),
        litres_per_person_day: Some(-3),
        quality: Some(RawQualityEvidence::LabReport {
            report_no: "".into(),
            lab: "".into(),
            date: None,
            meets_gb5749: true,
        }),
        piped_in: false,
        fetch_round_trip_minutes: Some(-1),
        horizontal_distance_m: Some(1_000_000),
        vertical_distance_m: Some(-2),
        outage_days_last_12_months: Some(400),
        area: Some(AreaType::WaterShort),
        assessed_on: Some(d(2030, 1, 1)),
        seasonal_check: false,
    };
    let err = validate(&raw, today(), &test_thresholds()).expect_err("all bad");
    let got: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        got,
        vec![
            fields::SCATTERED_KIND,
            fields::LITRES_PER_PERSON_DAY,
            fields::LAB_REPORT_NO,
            fields::LAB_REPORT_LAB,
            fields::LAB_REPORT_DATE,
            fields::FETCH_ROUND_TRIP_MINUTES,
            fields::HORIZONTAL_DISTANCE_M,
            fields::VERTICAL_DISTANCE_M,
            fields::OUTAGE_DAYS_LAST_12_MONTHS,
            fields::ASSESSED_ON,
        ]
    );
    assert!(err.iter().all(|v| v.kind == ViolationKind::InvalidArgument));
    assert_eq!(err[1].description, "must not be negative (got -3)");
    assert_eq!(err[8].description, "must be at most 366 (got 400)");
    assert_eq!(parse(&raw, today(), &test_thresholds()), Err(err));
}

#[test]
fn unmeasured_values_are_accepted_and_kept_apart_from_zero() {
    let cases = [("unmeasured", None, None), ("zeros", Some(0), Some(0))];
    for (name, sent, kept) in cases {
        let raw = RawMeasurements {
            litres_per_person_day: sent,
            fetch_round_trip_minutes: sent,
            horizontal_distance_m: sent,
            vertical_distance_m: sent,
            outage_days_last_12_months: sent,
            ..good()
        };
        let m = parse(&raw, today(), &test_thresholds()).expect(name);
        assert_eq!(
            (
                m.litres_per_person_day,
                m.fetch_round_trip_minutes,
                m.horizontal_distance_m,
                m.vertical_distance_m,
                m.outage_days_last_12_months
            ),
            (kept, kept, kept, kept, kept),
            "{name}"
        );
    }
}

#[test]
fn everything_missing_is_reported_at_once() {
    let raw = RawMeasurements {
        supply: None,
        quality: None,
        assessed_on: None,
        ..good()
    };
    let got: Vec<String> = validate(&raw, today(), &test_thresholds())
        .expect_err("missing")
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(got, [fields::SUPPLY, fields::QUALITY, fields::ASSESSED_ON]);
}

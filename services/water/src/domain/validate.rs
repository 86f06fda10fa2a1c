//! Input validation: turns a [`RawMeasurements`] into [`Measurements`], reporting *every*
//! problem at once so a caller can fix a request in one round trip.
//!
//! Field paths are those of the proto request (see [`fields`]), so the API layer can put
//! the violations straight into a `google.rpc.BadRequest`. Bounds come from the policy's
//! [`InputBounds`](crate::domain::policy::InputBounds); the only fixed figure is
//! [`MAX_OUTAGE_DAYS`], a fact of the calendar.

use chrono::NaiveDate;

use super::measurements::{
    Measurements, QualityEvidence, RawMeasurements, RawQualityEvidence, RawSupply, Supply,
};
use super::policy::{MAX_OUTAGE_DAYS, Thresholds};
use super::{FieldViolation, is_blank};

/// The request field paths violations name (snake_case, dot-separated, as in the proto),
/// kept in one place so the API layer and the proto agree with the rules.
pub mod fields {
    /// The supply oneof (centralized scheme or scattered source).
    pub const SUPPLY: &str = "supply";
    /// The scheme id of a centralized supply.
    pub const SCHEME_ID: &str = "supply.centralized.scheme_id";
    /// The kind of a scattered source.
    pub const SCATTERED_KIND: &str = "supply.scattered.kind";
    /// Litres per person per day.
    pub const LITRES_PER_PERSON_DAY: &str = "litres_per_person_day";
    /// The quality evidence oneof (lab report or on-site check).
    pub const QUALITY: &str = "quality";
    /// The lab report's number.
    pub const LAB_REPORT_NO: &str = "quality.lab_report.report_no";
    /// The lab that issued the report.
    pub const LAB_REPORT_LAB: &str = "quality.lab_report.lab";
    /// The lab report's date.
    pub const LAB_REPORT_DATE: &str = "quality.lab_report.date";
    /// Fetch round trip in minutes.
    pub const FETCH_ROUND_TRIP_MINUTES: &str = "fetch_round_trip_minutes";
    /// Horizontal distance to the source.
    pub const HORIZONTAL_DISTANCE_M: &str = "horizontal_distance_m";
    /// Vertical distance to the source.
    pub const VERTICAL_DISTANCE_M: &str = "vertical_distance_m";
    /// Outage days in the last 12 months.
    pub const OUTAGE_DAYS_LAST_12_MONTHS: &str = "outage_days_last_12_months";
    /// The assessment date.
    pub const ASSESSED_ON: &str = "assessed_on";
}

/// Check an assessment request against the policy's bounds and the standard's evidence
/// rules, as of `today`. `Ok(())` when [`parse`] would succeed; otherwise every violation.
pub fn validate(
    raw: &RawMeasurements,
    today: NaiveDate,
    t: &Thresholds,
) -> Result<(), Vec<FieldViolation>> {
    parse(raw, today, t).map(|_| ())
}

/// Validate an assessment request and return its total, typed form. An unspecified area
/// becomes the policy's default area. On failure, every violation, in field order.
pub fn parse(
    raw: &RawMeasurements,
    today: NaiveDate,
    t: &Thresholds,
) -> Result<Measurements, Vec<FieldViolation>> {
    let mut v = Vec::new();
    let b = &t.bounds;

    let supply = parse_supply(raw.supply.as_ref(), &mut v);
    let litres = count(
        fields::LITRES_PER_PERSON_DAY,
        raw.litres_per_person_day,
        b.max_litres_per_person_day,
        &mut v,
    );
    let centralized = matches!(raw.supply, Some(RawSupply::Centralized { .. }));
    let quality = parse_quality(
        raw.quality.as_ref(),
        centralized,
        raw.assessed_on,
        today,
        &mut v,
    );
    let minutes = count(
        fields::FETCH_ROUND_TRIP_MINUTES,
        raw.fetch_round_trip_minutes,
        b.max_fetch_round_trip_minutes,
        &mut v,
    );
    let horizontal = count(
        fields::HORIZONTAL_DISTANCE_M,
        raw.horizontal_distance_m,
        b.max_horizontal_distance_m,
        &mut v,
    );
    let vertical = count(
        fields::VERTICAL_DISTANCE_M,
        raw.vertical_distance_m,
        b.max_vertical_distance_m,
        &mut v,
    );
    let outage = count(
        fields::OUTAGE_DAYS_LAST_12_MONTHS,
        raw.outage_days_last_12_months,
        MAX_OUTAGE_DAYS,
        &mut v,
    );
    let assessed_on = match raw.assessed_on {
        None => {
            v.push(FieldViolation::invalid(
                fields::ASSESSED_ON,
                "required: the date of the assessment",
            ));
            None
        }
        Some(d) if d > today => {
            v.push(FieldViolation::invalid(
                fields::ASSESSED_ON,
                format!("{d} is in the future (today is {today})"),
            ));
            None
        }
        Some(d) => Some(d),
    };

    match (
        supply,
        litres,
        quality,
        minutes,
        horizontal,
        vertical,
        outage,
        assessed_on,
    ) {
        (
            Some(supply),
            Some(litres_per_person_day),
            Some(quality),
            Some(fetch_round_trip_minutes),
            Some(horizontal_distance_m),
            Some(vertical_distance_m),
            Some(outage_days_last_12_months),
            Some(assessed_on),
        ) if v.is_empty() => Ok(Measurements {
            supply,
            litres_per_person_day,
            quality,
            piped_in: raw.piped_in,
            fetch_round_trip_minutes,
            horizontal_distance_m,
            vertical_distance_m,
            outage_days_last_12_months,
            area: raw.area.unwrap_or(t.default_area),
            assessed_on,
            seasonal_check: raw.seasonal_check,
        }),
        _ => {
            debug_assert!(!v.is_empty(), "every rejected field records a violation");
            Err(v)
        }
    }
}

/// A non-negative count no larger than `max`; records a violation and returns `None`
/// otherwise.
fn count(field: &'static str, value: i64, max: u32, v: &mut Vec<FieldViolation>) -> Option<u32> {
    if value < 0 {
        v.push(FieldViolation::invalid(
            field,
            format!("must not be negative (got {value})"),
        ));
        return None;
    }
    if value > i64::from(max) {
        v.push(FieldViolation::invalid(
            field,
            format!("must be at most {max} (got {value})"),
        ));
        return None;
    }
    u32::try_from(value).ok()
}

fn parse_supply(raw: Option<&RawSupply>, v: &mut Vec<FieldViolation>) -> Option<Supply> {
    match raw {
        None => {
            v.push(FieldViolation::invalid(
                fields::SUPPLY,
                "required: a centralized scheme id or a scattered source kind",
            ));
            None
        }
        Some(RawSupply::Centralized { scheme_id }) if is_blank(scheme_id) => {
            v.push(FieldViolation::invalid(
                fields::SCHEME_ID,
                "must not be blank: name the supply scheme",
            ));
            None
        }
        Some(RawSupply::Centralized { scheme_id }) => Some(Supply::Centralized {
            scheme_id: scheme_id.trim().to_string(),
        }),
        Some(RawSupply::Scattered { kind: None }) => {
            v.push(FieldViolation::invalid(
                fields::SCATTERED_KIND,
                "must be specified: well, cistern, spring or other",
            ));
            None
        }
        Some(RawSupply::Scattered { kind: Some(kind) }) => Some(Supply::Scattered { kind: *kind }),
    }
}

fn parse_quality(
    raw: Option<&RawQualityEvidence>,
    centralized: bool,
    assessed_on: Option<NaiveDate>,
    today: NaiveDate,
    v: &mut Vec<FieldViolation>,
) -> Option<QualityEvidence> {
    match raw {
        None => {
            v.push(FieldViolation::invalid(
                fields::QUALITY,
                "required: a lab report, or an on-site check for scattered supply",
            ));
            None
        }
        Some(RawQualityEvidence::OnSiteCheck { .. }) if centralized => {
            v.push(FieldViolation::precondition(
                fields::QUALITY,
                "a centralized scheme needs a lab report against GB 5749; an on-site check is accepted for scattered supply only",
            ));
            None
        }
        Some(RawQualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell,
            no_harm_long_use,
        }) => Some(QualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell: *no_visible_impurity_colour_smell,
            no_harm_long_use: *no_harm_long_use,
        }),
        Some(RawQualityEvidence::LabReport {
            report_no,
            lab,
            date,
            meets_gb5749,
        }) => {
            let before = v.len();
            if is_blank(report_no) {
                v.push(FieldViolation::invalid(
                    fields::LAB_REPORT_NO,
                    "must not be blank: the lab report's number",
                ));
            }
            if is_blank(lab) {
                v.push(FieldViolation::invalid(
                    fields::LAB_REPORT_LAB,
                    "must not be blank: the laboratory that issued the report",
                ));
            }
            match (date, assessed_on) {
                (None, _) => v.push(FieldViolation::invalid(
                    fields::LAB_REPORT_DATE,
                    "required: the date of the lab report",
                )),
                (Some(d), _) if *d > today => v.push(FieldViolation::invalid(
                    fields::LAB_REPORT_DATE,
                    format!("{d} is in the future (today is {today})"),
                )),
                (Some(d), Some(a)) if d > &a => v.push(FieldViolation::invalid(
                    fields::LAB_REPORT_DATE,
                    format!("{d} is after the assessment date {a}: a report cannot support an earlier assessment"),
                )),
                _ => {}
            }
            match date {
                Some(date) if v.len() == before => Some(QualityEvidence::LabReport {
                    report_no: report_no.trim().to_string(),
                    lab: lab.trim().to_string(),
                    date: *date,
                    meets_gb5749: *meets_gb5749,
                }),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
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

    fn good() -> RawMeasurements {
        RawMeasurements {
            supply: Some(RawSupply::Centralized {
                scheme_id: "GC-SH-001".into(),
            }),
            litres_per_person_day: 60,
            quality: Some(RawQualityEvidence::LabReport {
                report_no: "SZ-2019-0413".into(),
                lab: "襄阳市疾控中心".into(),
                date: Some(d(2019, 4, 13)),
                meets_gb5749: true,
            }),
            piped_in: true,
            fetch_round_trip_minutes: 0,
            horizontal_distance_m: 0,
            vertical_distance_m: 0,
            outage_days_last_12_months: 2,
            area: None,
            assessed_on: Some(d(2019, 6, 1)),
            seasonal_check: true,
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
        let m = parse(&good(), today(), &test_thresholds()).expect("valid");
        assert_eq!(
            m,
            Measurements {
                supply: Supply::Centralized {
                    scheme_id: "GC-SH-001".into()
                },
                litres_per_person_day: 60,
                quality: QualityEvidence::LabReport {
                    report_no: "SZ-2019-0413".into(),
                    lab: "襄阳市疾控中心".into(),
                    date: d(2019, 4, 13),
                    meets_gb5749: true,
                },
                piped_in: true,
                fetch_round_trip_minutes: 0,
                horizontal_distance_m: 0,
                vertical_distance_m: 0,
                outage_days_last_12_months: 2,
                area: AreaType::WaterRich,
                assessed_on: d(2019, 6, 1),
                seasonal_check: true,
            }
        );
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

    #[test]
    fn litres_negative_and_over_bound() {
        let r = |l| RawMeasurements {
            litres_per_person_day: l,
            ..good()
        };
        assert_eq!(violations(&r(-1)), one(fields::LITRES_PER_PERSON_DAY));
        assert_eq!(violations(&r(0)), vec![]);
        assert_eq!(violations(&r(1000)), vec![]);
        assert_eq!(violations(&r(1001)), one(fields::LITRES_PER_PERSON_DAY));
        assert_eq!(violations(&r(i64::MAX)), one(fields::LITRES_PER_PERSON_DAY));
    }

    #[test]
    fn litres_bound_comes_from_the_policy() {
        let mut t = test_thresholds();
        t.bounds.max_litres_per_person_day = 500;
        let raw = RawMeasurements {
            litres_per_person_day: 501,
            ..good()
        };
        let err = validate(&raw, today(), &t).expect_err("over the bound");
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, fields::LITRES_PER_PERSON_DAY);
        assert_eq!(err[0].description, "must be at most 500 (got 501)");
    }

    #[test]
    fn outage_days_negative_and_over_a_year() {
        let r = |o| RawMeasurements {
            outage_days_last_12_months: o,
            ..good()
        };
        assert_eq!(violations(&r(-1)), one(fields::OUTAGE_DAYS_LAST_12_MONTHS));
        assert_eq!(violations(&r(366)), vec![]);
        assert_eq!(violations(&r(367)), one(fields::OUTAGE_DAYS_LAST_12_MONTHS));
    }

    #[test]
    fn fetch_minutes_and_distances_negative_and_over_bounds() {
        let t = test_thresholds();
        let b = t.bounds;
        let minutes = |x| RawMeasurements {
            fetch_round_trip_minutes: x,
            ..good()
        };
        let horizontal = |x| RawMeasurements {
            horizontal_distance_m: x,
            ..good()
        };
        let vertical = |x| RawMeasurements {
            vertical_distance_m: x,
            ..good()
        };
        let (mm, mh, mv) = (
            i64::from(b.max_fetch_round_trip_minutes),
            i64::from(b.max_horizontal_distance_m),
            i64::from(b.max_vertical_distance_m),
        );
        assert_eq!(
            violations(&minutes(-5)),
            one(fields::FETCH_ROUND_TRIP_MINUTES)
        );
        assert_eq!(violations(&minutes(mm)), vec![]);
        assert_eq!(
            violations(&minutes(mm + 1)),
            one(fields::FETCH_ROUND_TRIP_MINUTES)
        );
        assert_eq!(
            violations(&horizontal(-5)),
            one(fields::HORIZONTAL_DISTANCE_M)
        );
        assert_eq!(violations(&horizontal(mh)), vec![]);
        assert_eq!(
            violations(&horizontal(mh + 1)),
            one(fields::HORIZONTAL_DISTANCE_M)
        );
        assert_eq!(violations(&vertical(-5)), one(fields::VERTICAL_DISTANCE_M));
        assert_eq!(violations(&vertical(mv)), vec![]);
        assert_eq!(
            violations(&vertical(mv + 1)),
            one(fields::VERTICAL_DISTANCE_M)
        );
    }

    #[test]
    fn assessment_date_missing_or_in_the_future() {
        let r = |a| RawMeasurements {
            assessed_on: a,
            ..good()
        };
        assert_eq!(violations(&r(None)), one(fields::ASSESSED_ON));
        assert_eq!(violations(&r(Some(today()))), vec![]);
        assert_eq!(
            violations(&r(Some(d(2019, 12, 2)))),
            one(fields::ASSESSED_ON)
        );
    }

    #[test]
    fn supply_missing_blank_scheme_or_unspecified_kind() {
        let r = |s| RawMeasurements {
            supply: s,
            ..good()
        };
        assert_eq!(violations(&r(None)), one(fields::SUPPLY));
        assert_eq!(
            violations(&r(Some(RawSupply::Centralized {
                scheme_id: " \t".into()
            }))),
            one(fields::SCHEME_ID)
        );
        assert_eq!(
            violations(&r(Some(RawSupply::Scattered { kind: None }))),
            one(fields::SCATTERED_KIND)
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
            litres_per_person_day: -3,
            quality: Some(RawQualityEvidence::LabReport {
                report_no: "".into(),
                lab: "".into(),
                date: None,
                meets_gb5749: true,
            }),
            piped_in: false,
            fetch_round_trip_minutes: -1,
            horizontal_distance_m: 1_000_000,
            vertical_distance_m: -2,
            outage_days_last_12_months: 400,
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
}

//! The pure domain core of the water service: rules and value types, no I/O.
//!
//! The flow of one assessment: the API layer maps a request into
//! [`measurements::RawMeasurements`]; [`assess`] picks the policy year of the assessment
//! date from a [`policy::PolicyBook`], validates the request ([`validate::parse`]) and
//! grades it ([`grading::grade`]); the store keeps the measurements, the policy year and
//! the grades.
//!
//! Validation returns *every* violation it finds, not just the first, so a caller can fix a
//! request in one round trip. Each violation carries a [`ViolationKind`]:
//!
//! - [`ViolationKind::InvalidArgument`]: the value is malformed on its own (missing,
//!   blank, negative, implausibly large, in the future). Maps to `INVALID_ARGUMENT`.
//! - [`ViolationKind::FailedPrecondition`]: well-formed values that break a rule of the
//!   standard (an on-site quality check for a centralized scheme, an assessment dated
//!   before any policy year). Maps to `FAILED_PRECONDITION`.

pub mod grading;
pub mod measurements;
pub mod policy;
pub mod validate;

use chrono::{Datelike, NaiveDate};

pub use grading::{Assessment, Grade, Indicator, Verdict, grade};
pub use measurements::{
    AreaType, Measurements, QualityEvidence, RawMeasurements, RawQualityEvidence, RawSupply,
    ScatteredKind, Supply,
};
pub use policy::{PolicyBook, PolicyError, Thresholds};
pub use validate::{parse, validate};

pub use xk_runtime::violation::{FieldViolation, ViolationKind};

/// True when the text is empty or only whitespace (a required field left blank).
pub(crate) fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// A validated, graded assessment: what the service stores and returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded {
    /// The policy year whose thresholds graded it, stored so an old assessment can be
    /// explained after the figures change.
    pub policy_year: i32,
    /// The validated measurements.
    pub measurements: Measurements,
    /// The four grades and the verdict.
    pub assessment: Assessment,
}

/// Validate and grade one assessment request as of `today`, under the policy year of its
/// assessment date. Every violation is reported at once; an assessment dated before the
/// book's first year is refused (`assessed_on`, failed precondition) while the other fields
/// are still checked against the first year's bounds.
pub fn assess(
    raw: &RawMeasurements,
    today: NaiveDate,
    book: &PolicyBook,
) -> Result<Graded, Vec<FieldViolation>> {
    let date = raw.assessed_on.filter(|d| *d <= today).unwrap_or(today);
    let chosen = book
        .for_date(date)
        .or_else(|| book.years.iter().next().map(|(y, t)| (*y, t)));
    let Some((policy_year, thresholds)) = chosen else {
        return Err(vec![FieldViolation::precondition(
            validate::fields::ASSESSED_ON,
            "no policy year is configured, so no assessment can be graded",
        )]);
    };
    let parsed = parse(raw, today, thresholds);
    let too_early = raw.assessed_on.filter(|d| d.year() < policy_year).map(|d| {
        FieldViolation::precondition(
            validate::fields::ASSESSED_ON,
            format!("{d} is before the first policy year {policy_year}"),
        )
    });
    match (parsed, too_early) {
        (Ok(measurements), None) => Ok(Graded {
            policy_year,
            assessment: grade(&measurements, thresholds),
            measurements,
        }),
        (Ok(_), Some(v)) => Err(vec![v]),
        (Err(mut errs), early) => {
            errs.extend(early);
            Err(errs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::DEFAULT_POLICY_TOML;
    use crate::domain::validate::fields;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn raw(assessed_on: NaiveDate) -> RawMeasurements {
        RawMeasurements {
            supply: Some(RawSupply::Scattered {
                kind: Some(ScatteredKind::Well),
            }),
            litres_per_person_day: Some(50),
            quality: Some(RawQualityEvidence::OnSiteCheck {
                no_visible_impurity_colour_smell: true,
                no_harm_long_use: true,
            }),
            piped_in: false,
            fetch_round_trip_minutes: Some(8),
            horizontal_distance_m: Some(120),
            vertical_distance_m: Some(6),
            outage_days_last_12_months: Some(20),
            area: None,
            assessed_on: Some(assessed_on),
            seasonal_check: true,
        }
    }

    #[test]
    fn assess_grades_under_the_policy_year_of_the_assessment() {
        let g = assess(&raw(d(2019, 7, 1)), d(2019, 12, 1), PolicyBook::embedded()).expect("valid");
        assert_eq!(g.policy_year, 2018);
        assert_eq!(g.measurements.area, AreaType::WaterRich);
        assert!(g.measurements.seasonal_check);
        assert_eq!(
            g.assessment,
            Assessment {
                quantity: Grade::BasicallyMet,
                quality: Grade::BasicallyMet,
                convenience: Grade::Met,
                supply_guarantee: Grade::BasicallyMet,
                verdict: Verdict::BasicallySafe,
                failing: vec![],
            }
        );
    }

    #[test]
    fn assess_uses_a_later_year_when_it_applies() {
        let later = DEFAULT_POLICY_TOML
            .split_once("[years.2018]")
            .map(|(_, rest)| format!("[years.2021]{rest}"))
            .expect("has a 2018 table")
            .replace("years.2018", "years.2021")
            .replace(
                "basically_met_min_litres = 35",
                "basically_met_min_litres = 55",
            )
            .replace("met_min_litres = 60", "met_min_litres = 70");
        let book =
            PolicyBook::from_toml_str(&format!("{DEFAULT_POLICY_TOML}\n{later}")).expect("valid");
        let old = assess(&raw(d(2020, 12, 31)), d(2021, 6, 1), &book).expect("valid");
        assert_eq!(old.policy_year, 2018);
        assert_eq!(old.assessment.quantity, Grade::BasicallyMet);
        let new = assess(&raw(d(2021, 1, 1)), d(2021, 6, 1), &book).expect("valid");
        assert_eq!(new.policy_year, 2021);
        assert_eq!(new.assessment.quantity, Grade::NotMet);
        assert_eq!(new.assessment.verdict, Verdict::Unsafe);
        assert_eq!(new.assessment.failing, vec![Indicator::Quantity]);
    }

    #[test]
    fn assess_refuses_a_date_before_the_first_policy_year() {
        let err = assess(&raw(d(2017, 12, 31)), d(2019, 1, 1), PolicyBook::embedded())
            .expect_err("too early");
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, fields::ASSESSED_ON);
        assert_eq!(err[0].kind, ViolationKind::FailedPrecondition);
        assert!(err[0].description.contains("2018"));
    }

    #[test]
    fn assess_reports_all_violations_including_the_date() {
        let bad = RawMeasurements {
            litres_per_person_day: Some(-1),
            outage_days_last_12_months: Some(999),
            ..raw(d(2017, 1, 1))
        };
        let err = assess(&bad, d(2019, 1, 1), PolicyBook::embedded()).expect_err("bad");
        let got: Vec<(&str, ViolationKind)> =
            err.iter().map(|v| (v.field.as_str(), v.kind)).collect();
        assert_eq!(
            got,
            [
                (
                    fields::LITRES_PER_PERSON_DAY,
                    ViolationKind::InvalidArgument
                ),
                (
                    fields::OUTAGE_DAYS_LAST_12_MONTHS,
                    ViolationKind::InvalidArgument
                ),
                (fields::ASSESSED_ON, ViolationKind::FailedPrecondition),
            ]
        );
        assert_eq!(
            ViolationKind::overall(&err),
            Some(ViolationKind::InvalidArgument)
        );
    }

    #[test]
    fn assess_with_missing_or_future_date_still_checks_the_rest() {
        let missing = RawMeasurements {
            assessed_on: None,
            litres_per_person_day: Some(5000),
            ..raw(d(2019, 1, 1))
        };
        let err = assess(&missing, d(2019, 3, 1), PolicyBook::embedded()).expect_err("bad");
        let got: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(got, [fields::LITRES_PER_PERSON_DAY, fields::ASSESSED_ON]);
        let future = raw(d(2019, 3, 2));
        let err = assess(&future, d(2019, 3, 1), PolicyBook::embedded()).expect_err("future");
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, fields::ASSESSED_ON);
        assert_eq!(err[0].kind, ViolationKind::InvalidArgument);
    }

    #[test]
    fn assess_with_an_empty_book_is_a_precondition_failure() {
        let empty = PolicyBook {
            years: Default::default(),
        };
        let err = assess(&raw(d(2019, 1, 1)), d(2019, 3, 1), &empty).expect_err("no policy");
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].kind, ViolationKind::FailedPrecondition);
    }

    #[test]
    fn overall_kind_prefers_invalid_argument() {
        assert_eq!(ViolationKind::overall(&[]), None);
        let p = FieldViolation::precondition("quality", "rule");
        let i = FieldViolation::invalid("assessed_on", "bad");
        assert_eq!(
            ViolationKind::overall(std::slice::from_ref(&p)),
            Some(ViolationKind::FailedPrecondition)
        );
        assert_eq!(
            ViolationKind::overall(&[p, i]),
            Some(ViolationKind::InvalidArgument)
        );
    }

    #[test]
    fn prefixed_display_and_blank() {
        let v = FieldViolation::invalid("litres_per_person_day", "must not be negative")
            .prefixed("assessments[3]");
        assert_eq!(v.field, "assessments[3].litres_per_person_day");
        assert_eq!(
            v.to_string(),
            "assessments[3].litres_per_person_day: must not be negative"
        );
        assert!(is_blank(" \t"));
        assert!(!is_blank(" 水 "));
    }
}

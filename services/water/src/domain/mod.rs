//! The pure domain core of the water service: rules and value types, no I/O.
//!
//! The flow of one assessment: the API layer maps a request into
//! [`measurements::RawMeasurements`]; [`assess`] picks the policy year of the assessment
//! date from the [`PolicyBook`] ([`policy_for`]), validates the request
//! ([`validate::parse`]) and grades it ([`grading::grade`]); the store keeps the
//! measurements, the policy year and the grades.
//!
//! Validation returns *every* violation it finds, not just the first, so a caller can fix a
//! request in one round trip. Each violation carries a [`ViolationKind`]:
//!
//! - [`ViolationKind::InvalidArgument`]: the value is malformed on its own (missing,
//!   blank, negative, implausibly large, in the future, before the policy book starts).
//!   Maps to `INVALID_ARGUMENT`.
//! - [`ViolationKind::FailedPrecondition`]: well-formed values that break a rule of the
//!   standard (an on-site quality check for a centralized scheme), each with its id from
//!   [`rules`]. Maps to `FAILED_PRECONDITION`.

pub mod grading;
pub mod measurements;
pub mod policy;
pub mod rules;
pub mod validate;

use chrono::{Datelike, NaiveDate};

pub use grading::{Assessment, Grade, Indicator, Verdict, grade};
pub use measurements::{
    AreaType, Measurements, QualityEvidence, RawMeasurements, RawQualityEvidence, RawSupply,
    ScatteredKind, Supply,
};
pub use policy::{PolicyBook, PolicyError, Thresholds};
pub use validate::{parse, validate};

pub(crate) use xk_runtime::violation::is_blank;
pub use xk_runtime::violation::{FieldViolation, ViolationKind};

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

/// The policy year and thresholds an assessment is judged by: those in force in the year of
/// its assessment date, or of `today` when the date is missing or in the future (the
/// validation reports that date). A year before the book starts has no policy: a violation
/// of `assessed_on` (INVALID_ARGUMENT), so an assessment is never judged by rules made
/// after it.
pub fn policy_for(
    book: &PolicyBook<Thresholds>,
    assessed_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(i32, &Thresholds), FieldViolation> {
    let year = assessed_on.filter(|d| *d <= today).unwrap_or(today).year();
    book.effective_year(year)
        .zip(book.for_year(year))
        .ok_or_else(|| {
            FieldViolation::invalid(
                validate::fields::ASSESSED_ON,
                format!(
                    "no policy covers year {year}: the policy book starts in {}",
                    book.first_year()
                ),
            )
        })
}

/// Validate and grade one assessment request as of `today`, under the policy year of its
/// assessment date ([`policy_for`]). Every violation is reported at once; an assessment
/// dated before the book starts is refused on `assessed_on` alone, since there are no
/// bounds to check the rest against.
pub fn assess(
    raw: &RawMeasurements,
    today: NaiveDate,
    book: &PolicyBook<Thresholds>,
) -> Result<Graded, Vec<FieldViolation>> {
    let (policy_year, thresholds) =
        policy_for(book, raw.assessed_on, today).map_err(|v| vec![v])?;
    let measurements = parse(raw, today, thresholds)?;
    Ok(Graded {
        policy_year,
        assessment: grade(&measurements, thresholds),
        measurements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::{book_with_year, embedded};
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
        let g = assess(&raw(d(2019, 7, 1)), d(2019, 12, 1), embedded()).expect("valid");
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
        let book = book_with_year(
            2021,
            "met_min_litres = 60\nbasically_met_min_litres = 35",
            "met_min_litres = 70\nbasically_met_min_litres = 55",
        );
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
    fn a_date_before_the_book_is_invalid_naming_assessed_on() {
        let bad = RawMeasurements {
            litres_per_person_day: Some(-1),
            ..raw(d(2017, 12, 31))
        };
        let err = assess(&bad, d(2019, 1, 1), embedded()).expect_err("too early");
        assert_eq!(err.len(), 1, "no bounds to check the rest against: {err:?}");
        assert_eq!(err[0].field, fields::ASSESSED_ON);
        assert_eq!(err[0].kind, ViolationKind::InvalidArgument);
        assert!(
            err[0].description.contains("year 2017")
                && err[0].description.contains("starts in 2018"),
            "{}",
            err[0].description
        );
        // The first day of the book is covered.
        assert!(assess(&raw(d(2018, 1, 1)), d(2019, 1, 1), embedded()).is_ok());
    }

    #[test]
    fn assess_reports_all_violations() {
        let bad = RawMeasurements {
            litres_per_person_day: Some(-1),
            outage_days_last_12_months: Some(999),
            ..raw(d(2019, 1, 1))
        };
        let err = assess(&bad, d(2019, 1, 1), embedded()).expect_err("bad");
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
            ]
        );
    }

    #[test]
    fn assess_with_missing_or_future_date_still_checks_the_rest() {
        let missing = RawMeasurements {
            assessed_on: None,
            litres_per_person_day: Some(5000),
            ..raw(d(2019, 1, 1))
        };
        let err = assess(&missing, d(2019, 3, 1), embedded()).expect_err("bad");
        let got: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(got, [fields::LITRES_PER_PERSON_DAY, fields::ASSESSED_ON]);
        let future = raw(d(2019, 3, 2));
        let err = assess(&future, d(2019, 3, 1), embedded()).expect_err("future");
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, fields::ASSESSED_ON);
        assert_eq!(err[0].kind, ViolationKind::InvalidArgument);
    }
}

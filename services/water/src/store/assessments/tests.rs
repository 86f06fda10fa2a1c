//! Unit tests of folding an assessment into its household's current row.

use super::*;
use crate::domain::Grade;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn new(on: NaiveDate, seasonal: bool, grades: domain::Assessment) -> NewAssessment {
    NewAssessment {
        doc: Assessment::default(),
        household_id: "H1".into(),
        village_code: "420625100201".into(),
        people: 3,
        assessed_on: on,
        seasonal_check: seasonal,
        scheme_id: None,
        grades,
        policy_year: 2018,
        measurements: domain::Measurements {
            supply: domain::Supply::Scattered {
                kind: domain::ScatteredKind::Well,
            },
            litres_per_person_day: Some(40),
            quality: domain::QualityEvidence::OnSiteCheck {
                no_visible_impurity_colour_smell: true,
                no_harm_long_use: true,
            },
            piped_in: false,
            fetch_round_trip_minutes: None,
            horizontal_distance_m: Some(300),
            vertical_distance_m: None,
            outage_days_last_12_months: Some(0),
            area: domain::AreaType::WaterRich,
            assessed_on: on,
            seasonal_check: seasonal,
        },
    }
}

fn all(g: Grade) -> domain::Assessment {
    domain::Assessment::from_grades(g, g, g, g)
}

#[test]
fn newer_replaces_older_stays_in_history_only() {
    let (c, became) = fold(None, &new(d(2019, 5, 1), false, all(Grade::Met)), 1);
    assert!(became);
    assert_eq!((c.seq, c.last_seq, c.verdict), (1, 1, 2));
    let (c, became) = fold(Some(c), &new(d(2019, 4, 1), false, all(Grade::NotMet)), 2);
    assert!(
        !became,
        "an older assessment does not replace the current one"
    );
    assert_eq!((c.seq, c.last_seq, c.verdict), (1, 2, 2));
    let (c, became) = fold(
        Some(c),
        &new(d(2019, 5, 1), false, all(Grade::BasicallyMet)),
        3,
    );
    assert!(became, "same date: the later arrival wins");
    assert_eq!((c.seq, c.last_seq, c.verdict), (3, 3, 1));
}

#[test]
fn seasonal_checks_are_tracked_apart() {
    let short = domain::Assessment::from_grades(Grade::NotMet, Grade::Met, Grade::Met, Grade::Met);
    let (c, _) = fold(None, &new(d(2019, 8, 1), true, short), 1);
    assert!(c.seasonal_checked && c.seasonal_shortage);
    assert_eq!(c.seasonal_seq, Some(1));
    // A later ordinary assessment changes the current status, not the seasonal result.
    let (c, _) = fold(Some(c), &new(d(2019, 9, 1), false, all(Grade::Met)), 2);
    assert_eq!((c.seq, c.verdict), (2, 2));
    assert!(c.seasonal_shortage);
    // A later seasonal check that is fine clears the shortage.
    let (c, _) = fold(Some(c), &new(d(2019, 10, 1), true, all(Grade::Met)), 3);
    assert!(!c.seasonal_shortage);
    assert_eq!(c.seasonal_seq, Some(3));
}

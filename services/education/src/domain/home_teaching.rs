//! Home-delivered teaching (送教上门) for children who cannot attend school for physical
//! reasons: each visit is logged (date, teacher, class hours); a child in home teaching
//! counts as guaranteed only with at least one visit this school year, and a school year
//! that ends with fewer than the minimum hours is an exception.

use chrono::NaiveDate;

use super::policy::Policy;
use super::scope::SchoolYear;
use super::status::StudentStatus;
use super::{FieldViolation, into_result, not_in_future, require_text, rules};

/// One validated visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// Day of the visit; decides which school year's total it counts toward.
    pub date: NaiveDate,
    /// Teacher who visited, so the log can be audited against the school's roster.
    pub teacher: String,
    /// Class hours taught; summed against the yearly minimum.
    pub hours: u32,
}

/// A visit as it arrives in a request, before validation (hours may be negative there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitInput {
    /// Day of the visit, as sent.
    pub date: NaiveDate,
    /// Teacher's name, as sent.
    pub teacher: String,
    /// Class hours, as sent (signed, because the wire type is).
    pub hours: i64,
}

/// A child's home-teaching totals for one school year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HomeTeachingLog {
    /// Visits logged in the school year; at least one is needed to count as guaranteed.
    pub visits: u32,
    /// Class hours in the school year; compared with the yearly minimum.
    pub hours: u32,
}

impl HomeTeachingLog {
    /// Totals of the visits that fall within `year`.
    pub fn for_school_year(visits: &[Visit], year: &SchoolYear) -> HomeTeachingLog {
        visits.iter().filter(|v| year.contains(v.date)).fold(
            HomeTeachingLog::default(),
            |acc, v| HomeTeachingLog {
                visits: acc.visits.saturating_add(1),
                hours: acc.hours.saturating_add(v.hours),
            },
        )
    }
}

/// The planned class hours per week (visits per week × hours per visit).
pub fn planned_hours_per_week(p: &Policy) -> u32 {
    p.home_teaching
        .visits_per_week
        .saturating_mul(p.home_teaching.hours_per_visit)
}

/// The missing class hours once a school year is over: `Some(missing)` when `today` is
/// after `school_year_end` and `hours` is below the yearly minimum; `None` while the year
/// runs or when the minimum was met.
pub fn home_teaching_shortfall(
    hours: u32,
    school_year_end: NaiveDate,
    today: NaiveDate,
    p: &Policy,
) -> Option<u32> {
    let min = p.home_teaching.min_hours_per_school_year;
    (today > school_year_end && hours < min).then(|| min - hours)
}

/// Validate a visit for a child whose current status is `status`: hours at least one,
/// teacher named, date not in the future, and the child must be in home teaching.
pub fn validate_visit(
    input: &VisitInput,
    status: &StudentStatus,
    today: NaiveDate,
) -> Result<Visit, Vec<FieldViolation>> {
    let mut v = Vec::new();
    let hours = match u32::try_from(input.hours) {
        Ok(0) => {
            v.push(FieldViolation::invalid("hours", "hours must be at least 1"));
            0
        }
        Ok(h) => h,
        Err(_) if input.hours < 0 => {
            v.push(FieldViolation::invalid(
                "hours",
                format!("hours must not be negative (got {})", input.hours),
            ));
            0
        }
        Err(_) => {
            v.push(FieldViolation::invalid(
                "hours",
                format!("hours {} is too large", input.hours),
            ));
            0
        }
    };
    require_text(&mut v, "teacher", &input.teacher, "the teacher is required");
    not_in_future(&mut v, "date", "visit", input.date, today);
    if !matches!(status, StudentStatus::HomeTeaching) {
        v.push(FieldViolation::rule(
            rules::NOT_HOME_TEACHING,
            "resident_id",
            format!(
                "the child's status is {}, not home teaching; visits are only for home teaching",
                status.name()
            ),
        ));
    }
    into_result(v)?;
    Ok(Visit {
        date: input.date,
        teacher: input.teacher.trim().to_string(),
        hours,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::scope::school_year;
    use crate::domain::testing::*;

    fn visit(date: NaiveDate, hours: u32) -> Visit {
        Visit {
            date,
            teacher: "王老师".to_string(),
            hours,
        }
    }

    #[test]
    fn hours_215_fall_short_216_do_not() {
        let p = test_policy();
        let end = d(2020, 8, 31);
        let after = d(2020, 9, 1);
        assert_eq!(home_teaching_shortfall(215, end, after, &p), Some(1));
        assert_eq!(home_teaching_shortfall(216, end, after, &p), None);
        assert_eq!(home_teaching_shortfall(300, end, after, &p), None);
        assert_eq!(home_teaching_shortfall(0, end, after, &p), Some(216));
    }

    #[test]
    fn no_shortfall_while_school_year_runs() {
        let p = test_policy();
        let end = d(2020, 8, 31);
        assert_eq!(home_teaching_shortfall(0, end, end, &p), None);
        assert_eq!(home_teaching_shortfall(10, end, d(2020, 3, 1), &p), None);
    }

    #[test]
    fn planned_week_is_six_hours() {
        assert_eq!(planned_hours_per_week(&test_policy()), 6);
    }

    #[test]
    fn log_counts_only_visits_in_the_school_year() {
        let p = test_policy();
        let sy = school_year(d(2019, 10, 1), &p);
        let visits = vec![
            visit(d(2019, 8, 31), 3), // previous school year
            visit(d(2019, 9, 1), 3),
            visit(d(2020, 8, 31), 2),
            visit(d(2020, 9, 1), 3), // next school year
        ];
        assert_eq!(
            HomeTeachingLog::for_school_year(&visits, &sy),
            HomeTeachingLog {
                visits: 2,
                hours: 5
            }
        );
        assert_eq!(
            HomeTeachingLog::for_school_year(&[], &sy),
            HomeTeachingLog {
                visits: 0,
                hours: 0
            }
        );
    }

    #[test]
    fn valid_visit_is_accepted_and_trimmed() {
        let input = VisitInput {
            date: d(2019, 10, 8),
            teacher: " 王老师 ".to_string(),
            hours: 3,
        };
        assert_eq!(
            validate_visit(&input, &StudentStatus::HomeTeaching, d(2019, 10, 8)),
            Ok(visit(d(2019, 10, 8), 3))
        );
    }

    #[test]
    fn negative_hours_blank_teacher_future_date_all_reported() {
        let input = VisitInput {
            date: d(2019, 10, 9),
            teacher: String::new(),
            hours: -3,
        };
        let err = validate_visit(&input, &StudentStatus::HomeTeaching, d(2019, 10, 8)).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, vec!["hours", "teacher", "date"]);
        assert!(err.iter().all(|v| v.kind == ViolationKind::InvalidArgument));
        assert!(err[0].description.contains("negative"));
    }

    #[test]
    fn zero_and_huge_hours_rejected() {
        let mut input = VisitInput {
            date: d(2019, 10, 8),
            teacher: "王老师".to_string(),
            hours: 0,
        };
        let err = validate_visit(&input, &StudentStatus::HomeTeaching, d(2019, 10, 8)).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err[0].description.contains("at least 1"));
        input.hours = i64::from(u32::MAX) + 1;
        let err = validate_visit(&input, &StudentStatus::HomeTeaching, d(2019, 10, 8)).unwrap_err();
        assert!(err[0].description.contains("too large"));
    }

    #[test]
    fn visit_for_child_not_in_home_teaching_is_precondition() {
        let input = VisitInput {
            date: d(2019, 10, 8),
            teacher: "王老师".to_string(),
            hours: 3,
        };
        let err = validate_visit(&input, &StudentStatus::InCounty, d(2019, 10, 8)).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "resident_id");
        assert_eq!(err[0].kind, ViolationKind::FailedPrecondition);
        assert_eq!(err[0].rule, crate::domain::rules::NOT_HOME_TEACHING);
        assert!(err[0].description.contains("in_county"));
    }

    proptest! {
        #[test]
        fn shortfall_plus_hours_is_minimum(hours in 0u32..1000) {
            let p = test_policy();
            let end = d(2020, 8, 31);
            let s = home_teaching_shortfall(hours, end, d(2020, 9, 1), &p);
            match s {
                Some(missing) => prop_assert_eq!(hours + missing, 216),
                None => prop_assert!(hours >= 216),
            }
        }
    }
}

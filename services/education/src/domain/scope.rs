//! Who is a compulsory-age child, and the school-year calendar.
//!
//! A child's age is measured once per school year, at the policy's cut-off date in the
//! calendar year the school year starts (31 August by default). A child is in scope when
//! that age is within the compulsory range (6..=15 by default), or is the extended age
//! (16) while the child is still in a compulsory grade (≤ 9).

use chrono::{Datelike, NaiveDate};

use super::policy::Policy;
use super::{FieldViolation, into_result, not_in_future, rules};

/// The highest grade of Chinese schooling (senior middle school ends at grade 12). A
/// structural fact of the school system, not a policy figure; bounds a plausible grade.
pub const LAST_SCHOOL_GRADE: u8 = 12;

/// One school year and the day ages are measured for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchoolYear {
    /// First day; rules that count "this school year" start here.
    pub start: NaiveDate,
    /// Last day (the day before the next school year starts); after it, yearly minimums are due.
    pub end: NaiveDate,
    /// The day a child's age is measured for this school year.
    pub cutoff: NaiveDate,
}

impl SchoolYear {
    /// Whether `d` falls within this school year (both ends inclusive).
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }
}

/// The school year containing `on`.
pub fn school_year(on: NaiveDate, p: &Policy) -> SchoolYear {
    let this_year_start = p.school_year_start.in_year(on.year());
    let y = if on >= this_year_start {
        on.year()
    } else {
        on.year().saturating_sub(1)
    };
    let start = p.school_year_start.in_year(y);
    let next_start = p.school_year_start.in_year(y.saturating_add(1));
    SchoolYear {
        start,
        end: next_start.pred_opt().unwrap_or(next_start),
        cutoff: p.age_cutoff.in_year(y),
    }
}

/// Completed years of age on `on` (negative when `birth` is after `on`). A child born on
/// 29 February has its birthday on 1 March in common years.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// The child's age at the cut-off date of the school year containing `on`.
pub fn age_at_cutoff(birth: NaiveDate, on: NaiveDate, p: &Policy) -> i32 {
    age_on(birth, school_year(on, p).cutoff)
}

/// Whether the child is a compulsory-age child on `on`: age at the cut-off within
/// `compulsory_min_age..=compulsory_max_age`, or up to `extended_max_age` while in a
/// compulsory grade (`1..=compulsory_last_grade`). `grade` is `None` when the child is in
/// no grade (not enrolled, deferred, ...).
pub fn in_scope(birth: NaiveDate, grade: Option<u8>, on: NaiveDate, p: &Policy) -> bool {
    let age = age_at_cutoff(birth, on, p);
    let min = i32::from(p.compulsory_min_age);
    let max = i32::from(p.compulsory_max_age);
    let extended = i32::from(p.extended_max_age);
    if (min..=max).contains(&age) {
        return true;
    }
    age > max
        && age <= extended
        && grade.is_some_and(|g| (1..=p.compulsory_last_grade).contains(&g))
}

/// Stage of compulsory education, which sets the living allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Primary school (小学).
    Primary,
    /// Junior middle school (初中).
    Junior,
}

/// The stage of a compulsory grade; `None` for grade 0 or a grade past compulsory education.
pub fn stage_of_grade(grade: u8, p: &Policy) -> Option<Stage> {
    if grade == 0 {
        None
    } else if grade <= p.primary_last_grade {
        Some(Stage::Primary)
    } else if grade <= p.compulsory_last_grade {
        Some(Stage::Junior)
    } else {
        None
    }
}

/// Validate recording a child as a compulsory student on `on` (usually today): the birth
/// date must not be in the future, the grade must exist, and the child must be in scope.
pub fn validate_compulsory_student(
    birth: NaiveDate,
    grade: Option<u8>,
    on: NaiveDate,
    p: &Policy,
) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    not_in_future(&mut v, "birth_date", "birth", birth, on);
    if let Some(g) = grade
        && !(1..=LAST_SCHOOL_GRADE).contains(&g)
    {
        v.push(FieldViolation::invalid(
            "grade",
            format!("grade {g} does not exist (1..={LAST_SCHOOL_GRADE})"),
        ));
    }
    if birth <= on && !in_scope(birth, grade, on, p) {
        let age = age_at_cutoff(birth, on, p);
        v.push(FieldViolation::rule(
            rules::NOT_COMPULSORY_AGE,
            "birth_date",
            format!(
                "the child is {age} at the cut-off date {}; compulsory age is {}..={} \
                 ({} while in grade <= {})",
                school_year(on, p).cutoff,
                p.compulsory_min_age,
                p.compulsory_max_age,
                p.extended_max_age,
                p.compulsory_last_grade
            ),
        ));
    }
    into_result(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::*;

    #[test]
    fn school_year_boundaries() {
        let p = test_policy();
        let sy = school_year(d(2020, 9, 1), &p);
        assert_eq!(sy.start, d(2020, 9, 1));
        assert_eq!(sy.end, d(2021, 8, 31));
        assert_eq!(sy.cutoff, d(2020, 8, 31));
        let before = school_year(d(2020, 8, 31), &p);
        assert_eq!(before.start, d(2019, 9, 1));
        assert_eq!(before.end, d(2020, 8, 31));
        assert_eq!(before.cutoff, d(2019, 8, 31));
        assert!(sy.contains(d(2021, 8, 31)));
        assert!(!sy.contains(d(2021, 9, 1)));
        assert!(!sy.contains(d(2020, 8, 31)));
    }

    #[test]
    fn age_on_birthdays() {
        assert_eq!(age_on(d(2014, 8, 31), d(2020, 8, 31)), 6);
        assert_eq!(age_on(d(2014, 9, 1), d(2020, 8, 31)), 5);
        assert_eq!(age_on(d(2012, 2, 29), d(2021, 2, 28)), 8);
        assert_eq!(age_on(d(2012, 2, 29), d(2021, 3, 1)), 9);
        assert_eq!(age_on(d(2021, 1, 1), d(2020, 1, 1)), -1);
    }

    /// The age at the school year's cut-off (31 August) decides the scope: the ages of the
    /// children below on 15 October 2020, `in_scope` for each birth date and grade on that
    /// day, then for one child on later days.
    #[test]
    fn scope_by_age_at_cutoff() {
        let p = test_policy();
        let on = d(2020, 10, 15);
        let ages = [
            (d(2014, 8, 31), 6),
            (d(2014, 9, 1), 5),
            (d(2005, 8, 31), 15),
            (d(2004, 8, 31), 16),
            (d(2003, 8, 31), 17),
        ];
        for (birth, age) in ages {
            assert_eq!(age_at_cutoff(birth, on, &p), age, "born {birth}");
        }
        let cases = [
            ("exactly six", d(2014, 8, 31), None, true),
            ("one day younger: five", d(2014, 9, 1), Some(1), false),
            ("fifteen, no grade", d(2005, 8, 31), None, true),
            ("fifteen, grade 10", d(2005, 8, 31), Some(10), true),
            ("sixteen, grade 9", d(2004, 8, 31), Some(9), true),
            ("sixteen, grade 1", d(2004, 8, 31), Some(1), true),
            ("sixteen, grade 10", d(2004, 8, 31), Some(10), false),
            ("sixteen, grade 0", d(2004, 8, 31), Some(0), false),
            ("sixteen, no grade", d(2004, 8, 31), None, false),
            ("seventeen, even grade 9", d(2003, 8, 31), Some(9), false),
        ];
        for (case, birth, grade, expected) in cases {
            assert_eq!(in_scope(birth, grade, on, &p), expected, "{case}");
        }
        // Turns 16 in October 2020, but was 15 at the 2020 cut-off: in scope all year.
        // From the next school year it is 16 at the cut-off.
        let birth = d(2004, 10, 1);
        let later = [
            (d(2021, 6, 1), None, true),
            (d(2021, 9, 1), None, false),
            (d(2021, 9, 1), Some(9), true),
        ];
        for (on, grade, expected) in later {
            assert_eq!(
                in_scope(birth, grade, on, &p),
                expected,
                "on {on}, {grade:?}"
            );
        }
    }

    #[test]
    fn stages_follow_policy_grades() {
        let mut p = test_policy();
        assert_eq!(stage_of_grade(0, &p), None);
        assert_eq!(stage_of_grade(1, &p), Some(Stage::Primary));
        assert_eq!(stage_of_grade(6, &p), Some(Stage::Primary));
        assert_eq!(stage_of_grade(7, &p), Some(Stage::Junior));
        assert_eq!(stage_of_grade(9, &p), Some(Stage::Junior));
        assert_eq!(stage_of_grade(10, &p), None);
        p.primary_last_grade = 5; // 5-4 system
        assert_eq!(stage_of_grade(6, &p), Some(Stage::Junior));
    }

    /// `validate_compulsory_student` on 1 October 2020: each case's birth date and grade,
    /// and every violation expected, in order, as (field, kind, rule id, part of the
    /// description).
    #[test]
    fn validate_student() {
        use ViolationKind::{FailedPrecondition as Rule, InvalidArgument as Malformed};
        type Expected = &'static [(&'static str, ViolationKind, &'static str, &'static str)];
        let p = test_policy();
        let cases: [(&str, NaiveDate, Option<u8>, Expected); 4] = [
            ("accepts an in-scope child", d(2010, 3, 1), Some(5), &[]),
            (
                "rejects an out-of-scope child",
                d(2016, 3, 1),
                Some(1),
                &[(
                    "birth_date",
                    Rule,
                    crate::domain::rules::NOT_COMPULSORY_AGE,
                    "the child is 4",
                )],
            ),
            (
                "reports all malformed fields",
                d(2030, 1, 1),
                Some(13),
                &[
                    ("birth_date", Malformed, "", ""),
                    ("grade", Malformed, "", ""),
                ],
            ),
            (
                "grade 0 does not exist",
                d(2010, 1, 1),
                Some(0),
                &[("grade", Malformed, "", "")],
            ),
        ];
        for (case, birth, grade, expected) in cases {
            let got = validate_compulsory_student(birth, grade, d(2020, 10, 1), &p)
                .err()
                .unwrap_or_default();
            assert_eq!(got.len(), expected.len(), "{case}: {got:?}");
            for (v, &(field, kind, rule, text)) in got.iter().zip(expected) {
                assert_eq!(
                    (v.field.as_str(), v.kind, v.rule),
                    (field, kind, rule),
                    "{case}"
                );
                assert!(v.description.contains(text), "{case}: {v}");
            }
        }
    }

    proptest! {
        #[test]
        fn scope_with_compulsory_grade_is_age_range(
            birth_days in 0i64..9000, on_days in 0i64..9000, grade in 1u8..=9
        ) {
            let p = test_policy();
            let base = d(2000, 1, 1);
            let birth = base + chrono::Days::new(birth_days as u64);
            let on = base + chrono::Days::new(on_days as u64);
            let age = age_at_cutoff(birth, on, &p);
            prop_assert_eq!(in_scope(birth, Some(grade), on, &p), (6..=16).contains(&age));
            prop_assert_eq!(in_scope(birth, None, on, &p), (6..=15).contains(&age));
        }

        #[test]
        fn school_year_contains_its_date(on_days in 0i64..20000) {
            let p = test_policy();
            let on = d(1990, 1, 1) + chrono::Days::new(on_days as u64);
            let sy = school_year(on, &p);
            prop_assert!(sy.contains(on));
            prop_assert!(sy.cutoff < sy.start);
            prop_assert_eq!(school_year(sy.end.succ_opt().unwrap(), &p).start.year(), sy.start.year() + 1);
        }
    }
}

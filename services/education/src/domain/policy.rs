//! The education policy book: every threshold the rules use, keyed by policy year.
//!
//! Policy figures change almost every year, so they live in versioned configuration
//! (`policy.toml`, embedded as the default) and never as literals in the rules. The book is
//! the runtime's [`PolicyBook`] of this module's [`Policy`]: the entry of the latest year
//! not after the one asked applies, and a year before the book's first entry has none.

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use xk_runtime::policy::{PolicyBook, PolicyError};

/// The default policy book shipped with the service (`policy.toml` in the crate root).
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../policy.toml");

static EMBEDDED: LazyLock<PolicyBook<Policy>> = LazyLock::new(|| {
    from_toml(DEFAULT_POLICY_TOML)
        .unwrap_or_else(|e| panic!("embedded policy.toml is invalid: {e}"))
});

/// A day of the year without a year (e.g. the age cut-off, 31 August).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthDay {
    /// Month, 1..=12; with `day` it names the same day in every year.
    pub month: u32,
    /// Day of the month; 29 February is refused so the day exists in every year.
    pub day: u32,
}

impl MonthDay {
    /// This day in `year`. A day that does not exist in that month (only possible for an
    /// unvalidated policy) is clamped to the month's last day; a year outside chrono's
    /// range saturates to the earliest or latest representable date.
    pub fn in_year(self, year: i32) -> NaiveDate {
        let month = self.month.clamp(1, 12);
        let mut day = self.day.clamp(1, 31);
        loop {
            if let Some(d) = NaiveDate::from_ymd_opt(year, month, day) {
                return d;
            }
            if day <= 28 {
                return if year < 0 {
                    NaiveDate::MIN
                } else {
                    NaiveDate::MAX
                };
            }
            day -= 1;
        }
    }

    fn problems(self, name: &str) -> Vec<String> {
        let ok = (1..=12).contains(&self.month)
            && !(self.month == 2 && self.day == 29)
            // 2001 is not a leap year: a day valid there is valid in every year.
            && NaiveDate::from_ymd_opt(2001, self.month, self.day).is_some();
        if ok {
            vec![]
        } else {
            vec![format!(
                "{name}: {}/{} is not a day that exists in every year",
                self.month, self.day
            )]
        }
    }
}

/// Home-delivered teaching (送教上门) figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeTeachingPolicy {
    /// Planned visits per week; used to plan a teacher's schedule and to judge the log.
    pub visits_per_week: u32,
    /// Planned class hours per visit; with `visits_per_week` gives the weekly plan.
    pub hours_per_visit: u32,
    /// Class hours a child must receive in a school year; less is an exception once the year ends.
    pub min_hours_per_school_year: u32,
}

/// Living allowance (生活补助) for students of poor families, fen per school year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LivingAllowancePolicy {
    /// Primary-school boarder; boarders get more because they eat and sleep at school.
    pub primary_boarder_fen: i64,
    /// Junior-middle-school boarder.
    pub junior_boarder_fen: i64,
    /// Primary-school day student.
    pub primary_day_fen: i64,
    /// Junior-middle-school day student.
    pub junior_day_fen: i64,
}

impl LivingAllowancePolicy {
    /// A problem for each negative amount, its path under `name`.
    fn problems(&self, name: &str) -> Vec<String> {
        let amounts = [
            ("primary_boarder_fen", self.primary_boarder_fen),
            ("junior_boarder_fen", self.junior_boarder_fen),
            ("primary_day_fen", self.primary_day_fen),
            ("junior_day_fen", self.junior_day_fen),
        ];
        amounts
            .iter()
            .filter(|(_, fen)| *fen < 0)
            .map(|(amount, _)| format!("{name}.{amount} must not be negative"))
            .collect()
    }
}

/// Nutrition programme (营养改善计划) figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NutritionPolicy {
    /// Subsidy per school day, in fen.
    pub fen_per_day: i64,
    /// School days a year the programme funds; more days are not paid.
    pub days_per_year: u32,
}

/// One policy year's figures. Read them through [`from_toml`] so they are checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Youngest compulsory age (at the cut-off date): children this old must be in school.
    pub compulsory_min_age: u8,
    /// Oldest compulsory age regardless of grade.
    pub compulsory_max_age: u8,
    /// Oldest age still in scope, but only while the child is in a compulsory grade.
    pub extended_max_age: u8,
    /// Last primary grade; separates the primary and junior stages (6-3 or 5-4 systems).
    pub primary_last_grade: u8,
    /// Last compulsory grade (junior middle school ends); bounds the extended age rule.
    pub compulsory_last_grade: u8,
    /// The day a child's age is measured, in the calendar year the school year starts.
    pub age_cutoff: MonthDay,
    /// First day of a school year; the year ends the day before the next one starts.
    pub school_year_start: MonthDay,
    /// Longest period a single deferral approval may cover, in months.
    pub deferral_max_months: u32,
    /// Days a notification letter may wait for a reply before it is an alert.
    pub letter_reply_days: u32,
    /// Home-delivered teaching figures.
    pub home_teaching: HomeTeachingPolicy,
    /// Living allowance amounts.
    pub living_allowance: LivingAllowancePolicy,
    /// Nutrition programme figures.
    pub nutrition: NutritionPolicy,
}

impl Policy {
    /// Every problem with this entry, as human-readable lines; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.compulsory_min_age == 0 {
            out.push("compulsory_min_age must be at least 1".to_string());
        }
        if self.compulsory_min_age > self.compulsory_max_age {
            out.push("compulsory_min_age must not exceed compulsory_max_age".to_string());
        }
        if self.extended_max_age < self.compulsory_max_age {
            out.push("extended_max_age must not be below compulsory_max_age".to_string());
        }
        if self.primary_last_grade == 0 || self.primary_last_grade >= self.compulsory_last_grade {
            out.push(
                "primary_last_grade must be at least 1 and below compulsory_last_grade".to_string(),
            );
        }
        out.extend(self.age_cutoff.problems("age_cutoff"));
        out.extend(self.school_year_start.problems("school_year_start"));
        if self.deferral_max_months == 0 {
            out.push("deferral_max_months must be at least 1".to_string());
        }
        if self.letter_reply_days == 0 {
            out.push("letter_reply_days must be at least 1".to_string());
        }
        let h = &self.home_teaching;
        if h.visits_per_week == 0 || h.visits_per_week > 7 {
            out.push("home_teaching.visits_per_week must be 1..=7".to_string());
        }
        if h.hours_per_visit == 0 {
            out.push("home_teaching.hours_per_visit must be at least 1".to_string());
        }
        if h.min_hours_per_school_year == 0 {
            out.push("home_teaching.min_hours_per_school_year must be at least 1".to_string());
        }
        out.extend(self.living_allowance.problems("living_allowance"));
        if self.nutrition.fen_per_day < 0 {
            out.push("nutrition.fen_per_day must not be negative".to_string());
        }
        if self.nutrition.days_per_year > 366 {
            out.push("nutrition.days_per_year must not exceed 366".to_string());
        }
        out
    }
}

/// Every problem of `p` as one line, for [`PolicyBook::from_toml_checked`]: the operator
/// hears about all of a year's problems at once.
fn check(p: &Policy) -> Result<(), String> {
    let problems = p.problems();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Parses a policy book from TOML text (the format of `policy.toml`: one table per
/// effective year) and checks every year's figures.
pub fn from_toml(text: &str) -> Result<PolicyBook<Policy>, PolicyError> {
    PolicyBook::from_toml_checked(text, check)
}

/// The book embedded in the binary (`policy.toml`), parsed once.
pub fn embedded() -> &'static PolicyBook<Policy> {
    &EMBEDDED
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{book_with_year, test_policy};
    use xk_runtime::book_checks::assert_refuses_bad_books;
    use xk_runtime::policy::testing::{assert_invalid, edited};

    /// Every figure of the built-in 2019 policy, as one value: a figure added to the policy
    /// must be added here too.
    #[test]
    fn embedded_book_has_domain_defaults() {
        let defaults = Policy {
            compulsory_min_age: 6,
            compulsory_max_age: 15,
            extended_max_age: 16,
            primary_last_grade: 6,
            compulsory_last_grade: 9,
            age_cutoff: MonthDay { month: 8, day: 31 },
            school_year_start: MonthDay { month: 9, day: 1 },
            deferral_max_months: 12,
            letter_reply_days: 30,
            home_teaching: HomeTeachingPolicy {
                visits_per_week: 2,
                hours_per_visit: 3,
                min_hours_per_school_year: 216,
            },
            living_allowance: LivingAllowancePolicy {
                primary_boarder_fen: 100_000,
                junior_boarder_fen: 125_000,
                primary_day_fen: 50_000,
                junior_day_fen: 62_500,
            },
            nutrition: NutritionPolicy {
                fen_per_day: 400,
                days_per_year: 200,
            },
        };
        assert_eq!(test_policy(), defaults);
        assert_eq!(defaults.problems(), Vec::<String>::new());
    }

    #[test]
    fn the_book_starts_with_the_archive_school_year_and_later_entries_take_over() {
        let book = book_with_year(2021, "fen_per_day = 400", "fen_per_day = 500");
        let fen = |y| book.for_year(y).map(|p| p.nutrition.fen_per_day);
        assert_eq!(embedded().first_year(), 2013);
        assert_eq!(fen(2012), None, "no policy before the book");
        assert_eq!(fen(2013), Some(400));
        assert_eq!(fen(2020), Some(400));
        assert_eq!(fen(2021), Some(500));
        assert_eq!(fen(2030), Some(500));
    }

    /// An unknown or missing key, an empty book and the old `[years.2013]` layout.
    #[test]
    fn bad_books_are_refused() {
        let key = "letter_reply_days = 30";
        assert_refuses_bad_books(from_toml, DEFAULT_POLICY_TOML, 2013, key, &[]);
    }

    #[test]
    fn invalid_year_reports_all_problems() {
        let text = edited(
            DEFAULT_POLICY_TOML,
            &[
                ("compulsory_min_age = 6", "compulsory_min_age = 16"),
                (
                    "age_cutoff = { month = 8, day = 31 }",
                    "age_cutoff = { month = 2, day = 29 }",
                ),
                ("junior_day_fen = 62500", "junior_day_fen = -1"),
            ],
        );
        let fields = ["compulsory_min_age", "age_cutoff", "junior_day_fen"];
        assert_invalid(from_toml(&text), 2013, &fields);
    }

    #[test]
    fn more_invalid_figures() {
        let mut p = test_policy();
        p.primary_last_grade = 9;
        p.deferral_max_months = 0;
        p.letter_reply_days = 0;
        p.home_teaching.visits_per_week = 8;
        p.home_teaching.hours_per_visit = 0;
        p.home_teaching.min_hours_per_school_year = 0;
        p.nutrition.fen_per_day = -1;
        p.nutrition.days_per_year = 400;
        p.extended_max_age = 14;
        p.school_year_start = MonthDay { month: 13, day: 1 };
        assert_eq!(p.problems().len(), 10, "{:?}", p.problems());
    }

    #[test]
    fn month_day_in_year_clamps_and_saturates() {
        let md = MonthDay { month: 8, day: 31 };
        assert_eq!(
            md.in_year(2020),
            NaiveDate::from_ymd_opt(2020, 8, 31).unwrap()
        );
        let feb29 = MonthDay { month: 2, day: 29 };
        assert_eq!(
            feb29.in_year(2021),
            NaiveDate::from_ymd_opt(2021, 2, 28).unwrap()
        );
        assert_eq!(
            feb29.in_year(2020),
            NaiveDate::from_ymd_opt(2020, 2, 29).unwrap()
        );
        assert_eq!(md.in_year(i32::MAX), NaiveDate::MAX);
        assert_eq!(md.in_year(i32::MIN), NaiveDate::MIN);
    }
}

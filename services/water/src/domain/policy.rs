//! The water policy: every threshold the grading rules and the input checks use, one
//! [`Thresholds`] per policy year in the runtime's [`PolicyBook`].
//!
//! Policy figures change, so they live in versioned configuration (`policy.toml`, embedded
//! as the default; an operator's `--policy-file` replaces it) and never as literals in the
//! rules. An assessment is graded under the entry in force in the year of its assessment
//! date; the built-in book starts in 2018, when T/CHES 18-2018 took effect, and an
//! assessment dated before the book starts has no policy (INVALID_ARGUMENT, see
//! [`crate::domain::assess`]).

use std::sync::LazyLock;

use serde::Deserialize;
pub use xk_runtime::policy::{PolicyBook, PolicyError};

use super::measurements::AreaType;

/// The default policy book shipped with the service (`policy.toml` in the crate root).
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../policy.toml");

/// Most outage days 12 months can hold (a leap year). Not a policy figure but a fact of
/// the calendar: it bounds `outage_days_last_12_months` and the outage thresholds.
pub const MAX_OUTAGE_DAYS: u32 = 366;

static EMBEDDED: LazyLock<PolicyBook<Thresholds>> = LazyLock::new(|| {
    load(DEFAULT_POLICY_TOML).unwrap_or_else(|e| panic!("embedded policy.toml is invalid: {e}"))
});

/// Parses a book in the format of `policy.toml` (a table per year) and checks every
/// year's figures ([`Thresholds::problems`]), e.g. an operator's `--policy-file`.
pub fn load(text: &str) -> Result<PolicyBook<Thresholds>, PolicyError> {
    PolicyBook::from_toml_checked(text, Thresholds::check)
}

/// The book embedded in the binary (`policy.toml`), parsed once.
pub fn embedded() -> &'static PolicyBook<Thresholds> {
    &EMBEDDED
}

/// Quantity (水量) thresholds for one area type, in litres per person per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityThresholds {
    /// At least this many litres is 达标.
    pub met_min_litres: u32,
    /// At least this many litres (but below `met_min_litres`) is 基本达标; less is 未达标.
    pub basically_met_min_litres: u32,
}

/// Quantity thresholds per area type: dry areas are held to a lower quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityByArea {
    /// Thresholds for ordinary (water-rich) areas.
    pub water_rich: QuantityThresholds,
    /// Thresholds for water-short areas.
    pub water_short: QuantityThresholds,
}

impl QuantityByArea {
    /// The thresholds that apply to a household in `area`.
    pub fn for_area(&self, area: AreaType) -> &QuantityThresholds {
        match area {
            AreaType::WaterRich => &self.water_rich,
            AreaType::WaterShort => &self.water_short,
        }
    }
}

/// Convenience (用水方便程度) thresholds. Water piped into the home or yard is 达标 whatever
/// these say, so they only concern households that fetch water by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvenienceThresholds {
    /// A fetch round trip of at most this many minutes is 达标.
    pub met_max_round_trip_minutes: u32,
    /// A fetch round trip of at most this many minutes is 基本达标.
    pub basically_met_max_round_trip_minutes: u32,
    /// A source at most this many metres away horizontally is 基本达标 too.
    pub basically_met_max_horizontal_distance_m: u32,
    /// A source at most this many metres up or down is 基本达标 too.
    pub basically_met_max_vertical_distance_m: u32,
}

/// Supply guarantee rate (供水保证率) thresholds, counted as outage days in the last 12
/// months so the rule works on whole days (18 days ≈ 95%, 36 days ≈ 90%).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyGuaranteeThresholds {
    /// At most this many outage days is 达标.
    pub met_max_outage_days: u32,
    /// At most this many outage days is 基本达标; more is 未达标.
    pub basically_met_max_outage_days: u32,
}

/// Plausibility bounds on input: a value above one is a data-entry error, so the
/// assessment is refused rather than graded on a typo (local figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputBounds {
    /// Highest credible litres per person per day.
    pub max_litres_per_person_day: u32,
    /// Highest credible fetch round trip, in minutes.
    pub max_fetch_round_trip_minutes: u32,
    /// Highest credible horizontal distance to the source, in metres.
    pub max_horizontal_distance_m: u32,
    /// Highest credible vertical distance to the source, in metres.
    pub max_vertical_distance_m: u32,
    /// Highest credible household size (people), so a typo cannot inflate the people
    /// counted by verdict in the county summary.
    pub max_household_people: u32,
}

/// One policy year's figures. Construct through [`load`] so they are checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Area type assumed when an assessment leaves it unspecified (local; water-rich for
    /// Gucheng), so most assessors need not enter it.
    pub default_area: AreaType,
    /// Quantity thresholds per area type.
    pub quantity: QuantityByArea,
    /// Convenience thresholds.
    pub convenience: ConvenienceThresholds,
    /// Supply guarantee thresholds.
    pub supply_guarantee: SupplyGuaranteeThresholds,
    /// Input plausibility bounds used by validation.
    pub bounds: InputBounds,
}

impl Thresholds {
    /// `Ok` when the figures are consistent, else every problem in one line.
    pub fn check(&self) -> Result<(), String> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// Every problem with this entry, as human-readable lines; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, q) in [
            ("water_rich", &self.quantity.water_rich),
            ("water_short", &self.quantity.water_short),
        ] {
            if q.basically_met_min_litres == 0 {
                out.push(format!(
                    "quantity.{name}.basically_met_min_litres must be at least 1 (no water must grade 未达标)"
                ));
            }
            if q.basically_met_min_litres > q.met_min_litres {
                out.push(format!(
                    "quantity.{name}.basically_met_min_litres must not exceed met_min_litres"
                ));
            }
            if q.met_min_litres > self.bounds.max_litres_per_person_day {
                out.push(format!(
                    "quantity.{name}.met_min_litres must not exceed bounds.max_litres_per_person_day"
                ));
            }
        }
        let (rich, short) = (&self.quantity.water_rich, &self.quantity.water_short);
        if short.met_min_litres > rich.met_min_litres
            || short.basically_met_min_litres > rich.basically_met_min_litres
        {
            out.push(
                "quantity.water_short thresholds must not exceed the water_rich ones".to_string(),
            );
        }
        let c = &self.convenience;
        if c.met_max_round_trip_minutes > c.basically_met_max_round_trip_minutes {
            out.push(
                "convenience.met_max_round_trip_minutes must not exceed basically_met_max_round_trip_minutes"
                    .to_string(),
            );
        }
        let b = &self.bounds;
        if c.basically_met_max_round_trip_minutes > b.max_fetch_round_trip_minutes {
            out.push(
                "convenience.basically_met_max_round_trip_minutes must not exceed bounds.max_fetch_round_trip_minutes"
                    .to_string(),
            );
        }
        if c.basically_met_max_horizontal_distance_m > b.max_horizontal_distance_m {
            out.push(
                "convenience.basically_met_max_horizontal_distance_m must not exceed bounds.max_horizontal_distance_m"
                    .to_string(),
            );
        }
        if c.basically_met_max_vertical_distance_m > b.max_vertical_distance_m {
            out.push(
                "convenience.basically_met_max_vertical_distance_m must not exceed bounds.max_vertical_distance_m"
                    .to_string(),
            );
        }
        if b.max_household_people == 0 {
            out.push("bounds.max_household_people must be at least 1".to_string());
        }
        let s = &self.supply_guarantee;
        if s.met_max_outage_days > s.basically_met_max_outage_days {
            out.push(
                "supply_guarantee.met_max_outage_days must not exceed basically_met_max_outage_days"
                    .to_string(),
            );
        }
        if s.basically_met_max_outage_days >= MAX_OUTAGE_DAYS {
            out.push(format!(
                "supply_guarantee.basically_met_max_outage_days must be below {MAX_OUTAGE_DAYS} (a year without water must grade 未达标)"
            ));
        }
        out
    }
}

/// The embedded thresholds for 2019, the year of the county's published figures.
#[cfg(test)]
pub(crate) fn test_thresholds() -> Thresholds {
    embedded()
        .for_year(2019)
        .expect("embedded book covers 2019")
        .clone()
}

/// The embedded book with one more year, `year`, whose figures are 2018's with `from`
/// replaced by `to` (a line of `policy.toml`).
#[cfg(test)]
pub(crate) fn book_with_year(year: i32, from: &str, to: &str) -> PolicyBook<Thresholds> {
    let (_, tables) = DEFAULT_POLICY_TOML
        .split_once("[2018]")
        .expect("policy.toml has a 2018 table");
    let later = format!("[{year}]{tables}")
        .replace("[2018.", &format!("[{year}."))
        .replace(from, to);
    load(&format!("{DEFAULT_POLICY_TOML}\n{later}")).expect("valid book")
}

#[cfg(test)]
mod tests {
    use super::*;
    use xk_runtime::book_checks::assert_refuses_bad_books;
    use xk_runtime::policy::testing::{assert_invalid, edited};

    #[test]
    fn embedded_book_has_domain_defaults() {
        let t = test_thresholds();
        assert_eq!(t.default_area, AreaType::WaterRich);
        assert_eq!(t.quantity.water_rich.met_min_litres, 60);
        assert_eq!(t.quantity.water_rich.basically_met_min_litres, 35);
        assert_eq!(t.quantity.water_short.met_min_litres, 40);
        assert_eq!(t.quantity.water_short.basically_met_min_litres, 20);
        assert_eq!(t.convenience.met_max_round_trip_minutes, 10);
        assert_eq!(t.convenience.basically_met_max_round_trip_minutes, 20);
        assert_eq!(t.convenience.basically_met_max_horizontal_distance_m, 800);
        assert_eq!(t.convenience.basically_met_max_vertical_distance_m, 80);
        assert_eq!(t.supply_guarantee.met_max_outage_days, 18);
        assert_eq!(t.supply_guarantee.basically_met_max_outage_days, 36);
        assert_eq!(t.bounds.max_litres_per_person_day, 1000);
        assert_eq!(t.bounds.max_fetch_round_trip_minutes, 720);
        assert_eq!(t.bounds.max_horizontal_distance_m, 50_000);
        assert_eq!(t.bounds.max_vertical_distance_m, 3_000);
        assert_eq!(t.problems(), Vec::<String>::new());
        assert_eq!(t.check(), Ok(()));
        assert_eq!(embedded().first_year(), 2018);
    }

    #[test]
    fn for_area_picks_the_area_table() {
        let t = test_thresholds();
        assert_eq!(t.quantity.for_area(AreaType::WaterRich).met_min_litres, 60);
        assert_eq!(t.quantity.for_area(AreaType::WaterShort).met_min_litres, 40);
    }

    #[test]
    fn for_year_picks_latest_not_after() {
        let book = book_with_year(2021, "met_min_litres = 60", "met_min_litres = 70");
        let met = |y: i32| {
            book.for_year(y)
                .map(|t| t.quantity.water_rich.met_min_litres)
        };
        assert_eq!(met(2017), None, "no policy before the book starts");
        assert_eq!(met(2018), Some(60));
        assert_eq!(met(2020), Some(60));
        assert_eq!(met(2021), Some(70));
        assert_eq!(met(2030), Some(70));
        assert_eq!(book.effective_year(2020), Some(2018));
        assert_eq!(book.effective_year(2021), Some(2021));
    }

    /// An unknown or missing key, an unknown area, a negative figure, an empty book and
    /// the old `[years.2018]` layout.
    #[test]
    fn bad_books_are_refused() {
        let key = "met_max_outage_days = 18";
        let bad = [
            ("\"water_rich\"", "\"swamp\""),
            ("met_min_litres = 60", "met_min_litres = -60"),
        ];
        assert_refuses_bad_books(load, DEFAULT_POLICY_TOML, 2018, key, &bad);
    }

    #[test]
    fn caller_book_from_toml_string() {
        let book = book_with_year(2022, "met_max_outage_days = 18", "met_max_outage_days = 10");
        let years: Vec<i32> = book.iter().map(|(y, _)| *y).collect();
        assert_eq!(years, [2018, 2022]);
        assert_eq!(
            book.for_year(2021)
                .map(|t| t.supply_guarantee.met_max_outage_days),
            Some(18)
        );
        assert_eq!(
            book.for_year(2022)
                .map(|t| t.supply_guarantee.met_max_outage_days),
            Some(10)
        );
    }

    #[test]
    fn invalid_year_reports_all_problems() {
        let text = edited(
            DEFAULT_POLICY_TOML,
            &[
                (
                    "basically_met_min_litres = 35",
                    "basically_met_min_litres = 65",
                ),
                (
                    "met_max_round_trip_minutes = 10",
                    "met_max_round_trip_minutes = 25",
                ),
                (
                    "basically_met_max_outage_days = 36",
                    "basically_met_max_outage_days = 12",
                ),
            ],
        );
        let fields = [
            "water_rich.basically_met_min_litres",
            "convenience.met_max_round_trip_minutes",
            "supply_guarantee.met_max_outage_days",
        ];
        assert_invalid(load(&text), 2018, &fields);
    }

    #[test]
    fn every_consistency_rule_is_checked() {
        let mut t = test_thresholds();
        t.quantity.water_short.basically_met_min_litres = 0;
        t.quantity.water_short.met_min_litres = 2000; // above the bound and above water_rich
        t.convenience.basically_met_max_round_trip_minutes = 800;
        t.convenience.basically_met_max_horizontal_distance_m = 60_000;
        t.convenience.basically_met_max_vertical_distance_m = 4_000;
        t.supply_guarantee.met_max_outage_days = 366;
        t.supply_guarantee.basically_met_max_outage_days = 366;
        let problems = t.problems();
        let expect = [
            "water_short.basically_met_min_litres must be at least 1",
            "water_short.met_min_litres must not exceed bounds",
            "water_short thresholds must not exceed the water_rich",
            "basically_met_max_round_trip_minutes must not exceed bounds",
            "basically_met_max_horizontal_distance_m must not exceed bounds",
            "basically_met_max_vertical_distance_m must not exceed bounds",
            "basically_met_max_outage_days must be below 366",
        ];
        assert_eq!(problems.len(), expect.len(), "{problems:?}");
        for (p, e) in problems.iter().zip(expect) {
            assert!(p.contains(e), "{p:?} should contain {e:?}");
        }
    }
}

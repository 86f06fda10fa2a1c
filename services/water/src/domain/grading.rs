//! The four-indicator grading of T/CHES 18-2018 (农村饮水安全评价准则) and the verdict.
//!
//! Each indicator — quantity, quality, convenience, supply guarantee — is graded
//! [`Grade::Met`] (达标), [`Grade::BasicallyMet`] (基本达标) or [`Grade::NotMet`] (未达标);
//! the household's [`Verdict`] is the lowest of the four. Every figure comes from a
//! [`Thresholds`]; the rules hold none.

use std::fmt;

use super::measurements::{Measurements, QualityEvidence, Supply};
use super::policy::Thresholds;

/// The grade of one indicator. Ordered `NotMet < BasicallyMet < Met`, so the verdict is a
/// plain minimum; the discriminants are the standard's scores (2 / 1 / 0), which is also
/// what the API and the store carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Grade {
    /// 未达标: the indicator fails; the household's water is unsafe.
    NotMet = 0,
    /// 基本达标: acceptable but below the full standard; still counts as guaranteed.
    BasicallyMet = 1,
    /// 达标: meets the standard.
    Met = 2,
}

impl Grade {
    /// Every grade, best first.
    pub const ALL: [Grade; 3] = [Grade::Met, Grade::BasicallyMet, Grade::NotMet];

    /// The standard's score: 2, 1 or 0.
    pub fn score(self) -> u8 {
        self as u8
    }

    /// The grade for a score, `None` for anything but 0, 1 or 2 (e.g. a corrupt row).
    pub fn from_score(score: u8) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.score() == score)
    }

    /// The standard's Chinese term, for reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            Grade::Met => "达标",
            Grade::BasicallyMet => "基本达标",
            Grade::NotMet => "未达标",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// The household's drinking-water verdict: the minimum of its four grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Verdict {
    /// 不安全: at least one indicator is 未达标; an exception in the county summary.
    Unsafe = 0,
    /// 基本安全: no indicator fails, at least one is only 基本达标; counts as guaranteed.
    BasicallySafe = 1,
    /// 安全: every indicator is 达标.
    Safe = 2,
}

impl Verdict {
    /// Every verdict, best first.
    pub const ALL: [Verdict; 3] = [Verdict::Safe, Verdict::BasicallySafe, Verdict::Unsafe];

    /// The verdict whose level is `g` (安全 ↔ 达标, 基本安全 ↔ 基本达标, 不安全 ↔ 未达标).
    pub fn from_grade(g: Grade) -> Verdict {
        match g {
            Grade::Met => Verdict::Safe,
            Grade::BasicallyMet => Verdict::BasicallySafe,
            Grade::NotMet => Verdict::Unsafe,
        }
    }

    /// The verdict of a set of grades: the lowest of them. `Safe` for none (nothing fails).
    pub fn of(grades: impl IntoIterator<Item = Grade>) -> Verdict {
        Verdict::from_grade(grades.into_iter().min().unwrap_or(Grade::Met))
    }

    /// The level of this verdict as a grade.
    pub fn grade(self) -> Grade {
        match self {
            Verdict::Safe => Grade::Met,
            Verdict::BasicallySafe => Grade::BasicallyMet,
            Verdict::Unsafe => Grade::NotMet,
        }
    }

    /// The score of this verdict: 2, 1 or 0.
    pub fn score(self) -> u8 {
        self as u8
    }

    /// Whether drinking-water safety counts as guaranteed (饮水安全有保障): both 安全 and
    /// 基本安全 do; only 不安全 is an exception.
    pub fn is_guaranteed(self) -> bool {
        self != Verdict::Unsafe
    }

    /// The standard's Chinese term, for reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            Verdict::Safe => "安全",
            Verdict::BasicallySafe => "基本安全",
            Verdict::Unsafe => "不安全",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// One of the four indicators; names what failed, so a follow-up can target it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    /// 水量: litres per person per day.
    Quantity,
    /// 水质: the water against GB 5749.
    Quality,
    /// 用水方便程度: how far and how long to fetch water.
    Convenience,
    /// 供水保证率: days of supply in a year.
    SupplyGuarantee,
}

impl Indicator {
    /// The four indicators in the standard's order (the order of [`Assessment::failing`]).
    pub const ALL: [Indicator; 4] = [
        Indicator::Quantity,
        Indicator::Quality,
        Indicator::Convenience,
        Indicator::SupplyGuarantee,
    ];

    /// The standard's Chinese term, for reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            Indicator::Quantity => "水量",
            Indicator::Quality => "水质",
            Indicator::Convenience => "用水方便程度",
            Indicator::SupplyGuarantee => "供水保证率",
        }
    }
}

/// The service's computed result for one assessment: four grades and the verdict. Never
/// sent by a caller; always recomputed from [`Measurements`] and [`Thresholds`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Assessment {
    /// Grade of the quantity indicator.
    pub quantity: Grade,
    /// Grade of the quality indicator.
    pub quality: Grade,
    /// Grade of the convenience indicator.
    pub convenience: Grade,
    /// Grade of the supply-guarantee indicator.
    pub supply_guarantee: Grade,
    /// The minimum of the four grades, as a verdict.
    pub verdict: Verdict,
    /// Indicators graded 未达标, in [`Indicator::ALL`] order; empty unless the verdict is
    /// 不安全. Tells the bureau what to fix for an unsafe household.
    pub failing: Vec<Indicator>,
}

impl Assessment {
    /// The grade of one indicator.
    pub fn grade_of(&self, i: Indicator) -> Grade {
        match i {
            Indicator::Quantity => self.quantity,
            Indicator::Quality => self.quality,
            Indicator::Convenience => self.convenience,
            Indicator::SupplyGuarantee => self.supply_guarantee,
        }
    }

    /// Whether this assessment, taken as a seasonal check, shows a seasonal shortage
    /// (季节性缺水): in the dry season the household lacks water, i.e. quantity or the
    /// supply guarantee is 未达标. Quality and convenience do not change with the season.
    pub fn is_shortage(&self) -> bool {
        self.quantity == Grade::NotMet || self.supply_guarantee == Grade::NotMet
    }

    /// Build an assessment from four grades, deriving the verdict and the failing list so
    /// they can never disagree with the grades.
    pub fn from_grades(
        quantity: Grade,
        quality: Grade,
        convenience: Grade,
        supply_guarantee: Grade,
    ) -> Assessment {
        let mut a = Assessment {
            quantity,
            quality,
            convenience,
            supply_guarantee,
            verdict: Verdict::Safe,
            failing: Vec::new(),
        };
        a.verdict = Verdict::of(Indicator::ALL.map(|i| a.grade_of(i)));
        a.failing = Indicator::ALL
            .into_iter()
            .filter(|i| a.grade_of(*i) == Grade::NotMet)
            .collect();
        a
    }
}

/// Three-way grade of a value against two bounds: at least `met` is 达标, at least `basic`
/// is 基本达标 (used where more is better).
fn at_least(value: u32, met: u32, basic: u32) -> Grade {
    if value >= met {
        Grade::Met
    } else if value >= basic {
        Grade::BasicallyMet
    } else {
        Grade::NotMet
    }
}

/// Three-way grade of a value against two bounds: at most `met` is 达标, at most `basic` is
/// 基本达标 (used where less is better).
fn at_most(value: u32, met: u32, basic: u32) -> Grade {
    if value <= met {
        Grade::Met
    } else if value <= basic {
        Grade::BasicallyMet
    } else {
        Grade::NotMet
    }
}

/// Quantity: litres per person per day against the thresholds of the household's area.
pub fn grade_quantity(m: &Measurements, t: &Thresholds) -> Grade {
    let q = t.quantity.for_area(m.area);
    at_least(
        m.litres_per_person_day,
        q.met_min_litres,
        q.basically_met_min_litres,
    )
}

/// Quality: a lab report meeting GB 5749 is 达标; an on-site check passing both
/// observations is 基本达标, but only for scattered supply — a centralized scheme must
/// show a lab report, so an on-site check there is no evidence and grades 未达标 (validation
/// refuses that combination before grading). Anything else is 未达标.
pub fn grade_quality(m: &Measurements) -> Grade {
    match &m.quality {
        QualityEvidence::LabReport { meets_gb5749, .. } => {
            if *meets_gb5749 {
                Grade::Met
            } else {
                Grade::NotMet
            }
        }
        QualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell,
            no_harm_long_use,
        } => {
            let scattered = matches!(m.supply, Supply::Scattered { .. });
            if scattered && *no_visible_impurity_colour_smell && *no_harm_long_use {
                Grade::BasicallyMet
            } else {
                Grade::NotMet
            }
        }
    }
}

/// Convenience: piped into the home or yard, or a short enough round trip, is 达标; a
/// longer but bounded round trip, or a near enough source horizontally or vertically, is
/// 基本达标.
pub fn grade_convenience(m: &Measurements, t: &Thresholds) -> Grade {
    let c = &t.convenience;
    if m.piped_in || m.fetch_round_trip_minutes <= c.met_max_round_trip_minutes {
        Grade::Met
    } else if m.fetch_round_trip_minutes <= c.basically_met_max_round_trip_minutes
        || m.horizontal_distance_m <= c.basically_met_max_horizontal_distance_m
        || m.vertical_distance_m <= c.basically_met_max_vertical_distance_m
    {
        Grade::BasicallyMet
    } else {
        Grade::NotMet
    }
}

/// Supply guarantee: outage days in the last 12 months against the two day limits.
pub fn grade_supply_guarantee(m: &Measurements, t: &Thresholds) -> Grade {
    let s = &t.supply_guarantee;
    at_most(
        m.outage_days_last_12_months,
        s.met_max_outage_days,
        s.basically_met_max_outage_days,
    )
}

/// Grade all four indicators and derive the verdict. Total: defined on every
/// [`Measurements`], validated or not.
pub fn grade(m: &Measurements, t: &Thresholds) -> Assessment {
    Assessment::from_grades(
        grade_quantity(m, t),
        grade_quality(m),
        grade_convenience(m, t),
        grade_supply_guarantee(m, t),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::measurements::{AreaType, ScatteredKind};
    use crate::domain::policy::test_thresholds;
    use chrono::NaiveDate;

    /// A household that is 安全 on every indicator under the default thresholds; each test
    /// changes one measurement.
    fn safe() -> Measurements {
        Measurements {
            supply: Supply::Centralized {
                scheme_id: "GC-SH-001".into(),
            },
            litres_per_person_day: 80,
            quality: QualityEvidence::LabReport {
                report_no: "SZ-2019-0413".into(),
                lab: "襄阳市疾控中心".into(),
                date: NaiveDate::from_ymd_opt(2019, 4, 13).expect("valid date"),
                meets_gb5749: true,
            },
            piped_in: true,
            fetch_round_trip_minutes: 0,
            horizontal_distance_m: 0,
            vertical_distance_m: 0,
            outage_days_last_12_months: 0,
            area: AreaType::WaterRich,
            assessed_on: NaiveDate::from_ymd_opt(2019, 6, 1).expect("valid date"),
            seasonal_check: false,
        }
    }

    /// Not piped in, and far away on every measure: only the one measure under test can
    /// lift convenience.
    fn fetching(minutes: u32, horizontal: u32, vertical: u32) -> Measurements {
        Measurements {
            piped_in: false,
            fetch_round_trip_minutes: minutes,
            horizontal_distance_m: horizontal,
            vertical_distance_m: vertical,
            ..safe()
        }
    }

    fn litres(area: AreaType, l: u32) -> Grade {
        let m = Measurements {
            area,
            litres_per_person_day: l,
            ..safe()
        };
        grade_quantity(&m, &test_thresholds())
    }

    #[test]
    fn shortage_is_quantity_or_supply_failing() {
        use Grade::{BasicallyMet as B, Met as M, NotMet as N};
        assert!(!Assessment::from_grades(B, N, N, B).is_shortage());
        assert!(Assessment::from_grades(N, M, M, M).is_shortage());
        assert!(Assessment::from_grades(M, M, M, N).is_shortage());
    }

    #[test]
    fn quantity_edges_water_rich() {
        use AreaType::WaterRich as R;
        assert_eq!(litres(R, 61), Grade::Met);
        assert_eq!(litres(R, 60), Grade::Met);
        assert_eq!(litres(R, 59), Grade::BasicallyMet);
        assert_eq!(litres(R, 35), Grade::BasicallyMet);
        assert_eq!(litres(R, 34), Grade::NotMet);
        assert_eq!(litres(R, 0), Grade::NotMet);
    }

    #[test]
    fn quantity_edges_water_short() {
        use AreaType::WaterShort as S;
        assert_eq!(litres(S, 60), Grade::Met);
        assert_eq!(litres(S, 40), Grade::Met);
        assert_eq!(litres(S, 39), Grade::BasicallyMet);
        assert_eq!(litres(S, 20), Grade::BasicallyMet);
        assert_eq!(litres(S, 19), Grade::NotMet);
        assert_eq!(litres(S, 0), Grade::NotMet);
    }

    #[test]
    fn area_type_changes_the_grade_of_the_same_quantity() {
        // 40 L is 达标 in a water-short area but only 基本达标 in a water-rich one.
        assert_eq!(litres(AreaType::WaterShort, 40), Grade::Met);
        assert_eq!(litres(AreaType::WaterRich, 40), Grade::BasicallyMet);
        // 20 L: 基本达标 when short, 未达标 when rich.
        assert_eq!(litres(AreaType::WaterShort, 20), Grade::BasicallyMet);
        assert_eq!(litres(AreaType::WaterRich, 20), Grade::NotMet);
    }

    #[test]
    fn quantity_follows_the_thresholds_not_literals() {
        let mut t = test_thresholds();
        t.quantity.water_rich.met_min_litres = 70;
        t.quantity.water_rich.basically_met_min_litres = 50;
        let g = |l| {
            grade_quantity(
                &Measurements {
                    litres_per_person_day: l,
                    ..safe()
                },
                &t,
            )
        };
        assert_eq!(g(70), Grade::Met);
        assert_eq!(g(69), Grade::BasicallyMet);
        assert_eq!(g(60), Grade::BasicallyMet);
        assert_eq!(g(50), Grade::BasicallyMet);
        assert_eq!(g(49), Grade::NotMet);
    }

    fn quality(supply: Supply, q: QualityEvidence) -> Grade {
        grade_quality(&Measurements {
            supply,
            quality: q,
            ..safe()
        })
    }

    fn well() -> Supply {
        Supply::Scattered {
            kind: ScatteredKind::Well,
        }
    }

    fn lab(meets: bool) -> QualityEvidence {
        QualityEvidence::LabReport {
            report_no: "R".into(),
            lab: "L".into(),
            date: NaiveDate::from_ymd_opt(2019, 1, 1).expect("valid date"),
            meets_gb5749: meets,
        }
    }

    fn on_site(clear: bool, harmless: bool) -> QualityEvidence {
        QualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell: clear,
            no_harm_long_use: harmless,
        }
    }

    #[test]
    fn quality_lab_report() {
        let scheme = safe().supply;
        assert_eq!(quality(scheme.clone(), lab(true)), Grade::Met);
        assert_eq!(quality(scheme, lab(false)), Grade::NotMet);
        assert_eq!(quality(well(), lab(true)), Grade::Met);
        assert_eq!(quality(well(), lab(false)), Grade::NotMet);
    }

    #[test]
    fn quality_on_site_check_for_scattered_supply() {
        for kind in [
            ScatteredKind::Well,
            ScatteredKind::Cistern,
            ScatteredKind::Spring,
            ScatteredKind::Other,
        ] {
            let s = Supply::Scattered { kind };
            assert_eq!(quality(s.clone(), on_site(true, true)), Grade::BasicallyMet);
            assert_eq!(quality(s.clone(), on_site(true, false)), Grade::NotMet);
            assert_eq!(quality(s.clone(), on_site(false, true)), Grade::NotMet);
            assert_eq!(quality(s, on_site(false, false)), Grade::NotMet);
        }
    }

    #[test]
    fn quality_on_site_check_is_no_evidence_for_a_centralized_scheme() {
        assert_eq!(quality(safe().supply, on_site(true, true)), Grade::NotMet);
    }

    fn convenience(m: &Measurements) -> Grade {
        grade_convenience(m, &test_thresholds())
    }

    #[test]
    fn convenience_piped_in_is_met_whatever_the_distance() {
        let m = Measurements {
            piped_in: true,
            ..fetching(500, 40_000, 2_000)
        };
        assert_eq!(convenience(&m), Grade::Met);
    }

    #[test]
    fn convenience_round_trip_edges() {
        let far = |min| convenience(&fetching(min, 801, 81));
        assert_eq!(far(0), Grade::Met);
        assert_eq!(far(10), Grade::Met);
        assert_eq!(far(11), Grade::BasicallyMet);
        assert_eq!(far(20), Grade::BasicallyMet);
        assert_eq!(far(21), Grade::NotMet);
    }

    #[test]
    fn convenience_horizontal_distance_edges() {
        let g = |h| convenience(&fetching(21, h, 81));
        assert_eq!(g(0), Grade::BasicallyMet);
        assert_eq!(g(800), Grade::BasicallyMet);
        assert_eq!(g(801), Grade::NotMet);
    }

    #[test]
    fn convenience_vertical_distance_edges() {
        let g = |v| convenience(&fetching(21, 801, v));
        assert_eq!(g(0), Grade::BasicallyMet);
        assert_eq!(g(80), Grade::BasicallyMet);
        assert_eq!(g(81), Grade::NotMet);
    }

    #[test]
    fn convenience_distances_never_reach_met() {
        // A near source without a short round trip stays 基本达标.
        assert_eq!(convenience(&fetching(11, 0, 0)), Grade::BasicallyMet);
        assert_eq!(convenience(&fetching(300, 0, 0)), Grade::BasicallyMet);
    }

    fn outage(days: u32) -> Grade {
        grade_supply_guarantee(
            &Measurements {
                outage_days_last_12_months: days,
                ..safe()
            },
            &test_thresholds(),
        )
    }

    #[test]
    fn supply_guarantee_edges() {
        assert_eq!(outage(0), Grade::Met);
        assert_eq!(outage(18), Grade::Met); // 95%
        assert_eq!(outage(19), Grade::BasicallyMet);
        assert_eq!(outage(36), Grade::BasicallyMet); // 90%
        assert_eq!(outage(37), Grade::NotMet);
        assert_eq!(outage(366), Grade::NotMet);
    }

    #[test]
    fn safe_household_is_safe() {
        let a = grade(&safe(), &test_thresholds());
        assert_eq!(
            a,
            Assessment {
                quantity: Grade::Met,
                quality: Grade::Met,
                convenience: Grade::Met,
                supply_guarantee: Grade::Met,
                verdict: Verdict::Safe,
                failing: vec![],
            }
        );
        assert!(a.verdict.is_guaranteed());
    }

    #[test]
    fn one_basically_met_makes_basically_safe() {
        let m = Measurements {
            outage_days_last_12_months: 30,
            ..safe()
        };
        let a = grade(&m, &test_thresholds());
        assert_eq!(a.supply_guarantee, Grade::BasicallyMet);
        assert_eq!(a.quantity, Grade::Met);
        assert_eq!(a.verdict, Verdict::BasicallySafe);
        assert_eq!(a.failing, vec![]);
        assert!(a.verdict.is_guaranteed());
    }

    #[test]
    fn scattered_well_on_site_check_is_basically_safe() {
        let m = Measurements {
            supply: well(),
            quality: on_site(true, true),
            litres_per_person_day: 45,
            ..fetching(15, 300, 10)
        };
        let a = grade(&m, &test_thresholds());
        assert_eq!(
            a,
            Assessment {
                quantity: Grade::BasicallyMet,
                quality: Grade::BasicallyMet,
                convenience: Grade::BasicallyMet,
                supply_guarantee: Grade::Met,
                verdict: Verdict::BasicallySafe,
                failing: vec![],
            }
        );
    }

    #[test]
    fn any_not_met_makes_unsafe_and_lists_the_failures() {
        let m = Measurements {
            litres_per_person_day: 10,
            outage_days_last_12_months: 40,
            ..safe()
        };
        let a = grade(&m, &test_thresholds());
        assert_eq!(a.quantity, Grade::NotMet);
        assert_eq!(a.quality, Grade::Met);
        assert_eq!(a.convenience, Grade::Met);
        assert_eq!(a.supply_guarantee, Grade::NotMet);
        assert_eq!(a.verdict, Verdict::Unsafe);
        assert_eq!(
            a.failing,
            vec![Indicator::Quantity, Indicator::SupplyGuarantee]
        );
        assert!(!a.verdict.is_guaranteed());
    }

    #[test]
    fn verdict_is_the_minimum_of_every_combination() {
        for q in Grade::ALL {
            for w in Grade::ALL {
                for c in Grade::ALL {
                    for s in Grade::ALL {
                        let a = Assessment::from_grades(q, w, c, s);
                        let min = q.min(w).min(c).min(s);
                        assert_eq!(a.verdict.grade(), min);
                        assert_eq!(a.verdict, Verdict::from_grade(min));
                        let failing: Vec<_> = Indicator::ALL
                            .into_iter()
                            .zip([q, w, c, s])
                            .filter(|(_, g)| *g == Grade::NotMet)
                            .map(|(i, _)| i)
                            .collect();
                        assert_eq!(a.failing, failing);
                        assert_eq!(a.verdict.is_guaranteed(), min != Grade::NotMet);
                    }
                }
            }
        }
    }

    #[test]
    fn grade_and_verdict_scores_and_labels() {
        assert_eq!(Grade::Met.score(), 2);
        assert_eq!(Grade::BasicallyMet.score(), 1);
        assert_eq!(Grade::NotMet.score(), 0);
        assert!(Grade::NotMet < Grade::BasicallyMet && Grade::BasicallyMet < Grade::Met);
        for g in Grade::ALL {
            assert_eq!(Grade::from_score(g.score()), Some(g));
            assert_eq!(Verdict::from_grade(g).grade(), g);
            assert_eq!(Verdict::from_grade(g).score(), g.score());
        }
        assert_eq!(Grade::from_score(3), None);
        assert_eq!(Grade::Met.to_string(), "达标");
        assert_eq!(Grade::BasicallyMet.to_string(), "基本达标");
        assert_eq!(Grade::NotMet.to_string(), "未达标");
        assert_eq!(Verdict::Safe.to_string(), "安全");
        assert_eq!(Verdict::BasicallySafe.to_string(), "基本安全");
        assert_eq!(Verdict::Unsafe.to_string(), "不安全");
        assert!(Verdict::Safe.is_guaranteed());
        assert!(Verdict::BasicallySafe.is_guaranteed());
        assert!(!Verdict::Unsafe.is_guaranteed());
        assert_eq!(Verdict::of([]), Verdict::Safe);
        assert_eq!(
            Verdict::ALL.map(Verdict::label_zh),
            ["安全", "基本安全", "不安全"]
        );
        assert_eq!(
            Indicator::ALL.map(Indicator::label_zh),
            ["水量", "水质", "用水方便程度", "供水保证率"]
        );
    }
}

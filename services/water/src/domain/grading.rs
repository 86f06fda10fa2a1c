//! The four-indicator grading of T/CHES 18-2018 (农村饮水安全评价准则) and the verdict.
//!
//! Each indicator — quantity, quality, convenience, supply guarantee — is graded
//! [`Grade::Met`] (达标), [`Grade::BasicallyMet`] (基本达标) or [`Grade::NotMet`] (未达标);
//! the household's [`Verdict`] is the lowest of the four. Every figure comes from a
//! [`Thresholds`]; the rules hold none.
//!
//! A measurement that was not taken (`None`) satisfies no criterion that needs it: an
//! unmeasured quantity or outage count grades its indicator 未达标, and an unmeasured
//! distance is not "within 800 m". Other criteria of the same indicator still grade (piped
//! in, or a measured fetch time, makes convenience 达标 whatever the distances).

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
}

xk_runtime::labels! {
    /// The standard's Chinese term, for reports.
    pub fn label_zh for Grade {
        Met => "达标",
        BasicallyMet => "基本达标",
        NotMet => "未达标",
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
}

xk_runtime::labels! {
    /// The standard's Chinese term, for reports.
    pub fn label_zh for Verdict {
        Safe => "安全",
        BasicallySafe => "基本安全",
        Unsafe => "不安全",
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

/// Whether a measured value is at most `bound`; an unmeasured one is not.
fn within(value: Option<u32>, bound: u32) -> bool {
    value.is_some_and(|x| x <= bound)
}

/// Three-way grade of a value against two bounds: at least `met` is 达标, at least `basic`
/// is 基本达标 (used where more is better); unmeasured is 未达标.
fn at_least(value: Option<u32>, met: u32, basic: u32) -> Grade {
    let Some(value) = value else {
        return Grade::NotMet;
    };
    if value >= met {
        Grade::Met
    } else if value >= basic {
        Grade::BasicallyMet
    } else {
        Grade::NotMet
    }
}

/// Three-way grade of a value against two bounds: at most `met` is 达标, at most `basic` is
/// 基本达标 (used where less is better); unmeasured is 未达标.
fn at_most(value: Option<u32>, met: u32, basic: u32) -> Grade {
    if within(value, met) {
        Grade::Met
    } else if within(value, basic) {
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
/// 基本达标. Each criterion counts only with its measurement taken.
pub fn grade_convenience(m: &Measurements, t: &Thresholds) -> Grade {
    let c = &t.convenience;
    if m.piped_in || within(m.fetch_round_trip_minutes, c.met_max_round_trip_minutes) {
        Grade::Met
    } else if within(
        m.fetch_round_trip_minutes,
        c.basically_met_max_round_trip_minutes,
    ) || within(
        m.horizontal_distance_m,
        c.basically_met_max_horizontal_distance_m,
    ) || within(
        m.vertical_distance_m,
        c.basically_met_max_vertical_distance_m,
    ) {
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
mod tests;

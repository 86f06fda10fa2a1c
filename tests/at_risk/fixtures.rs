//! The households the test loads, and the triggers it computes for them itself.

use std::collections::BTreeMap;

use xk_contracts::pb::aggregator::v1::RiskKind;
use xk_contracts::pb::{education, registry};

use crate::common;
use crate::county::*;

/// What the test loads for one household, from which it computes the triggers itself.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    pub n: u32,
    pub village: &'static str,
    pub size: usize,
    pub status: registry::v1::ArchiveStatus,
    /// (year, per-capita income in fen).
    pub incomes: Vec<(i32, i64)>,
    /// (member index, out-of-policy cost in fen): settled as one case each, so the
    /// personal payment is exactly this figure.
    pub payments: Vec<(usize, i64)>,
    /// The last member is a child with this status.
    pub child: Option<education::v1::StudentStatus>,
    /// Water: litres per person per day (10 is 不安全, 35 基本安全).
    pub litres: Option<i64>,
    /// Housing: relocated with (labour, employed) members.
    pub relocated: Option<(i32, i32)>,
}

impl Fixture {
    pub fn id(&self) -> String {
        format!("HH{:06}", self.n)
    }

    pub fn household(&self) -> registry::v1::Household {
        let mut h = common::household(self.n, self.village, self.size, self.status);
        if self.child.is_some()
            && let Some(m) = h.members.last_mut()
        {
            m.resident_id = child_id(self.n);
            m.labour = registry::v1::LabourCapacity::NotWorkingAge as i32;
        }
        if self.status == registry::v1::ArchiveStatus::MonitoredOnly {
            h.monitoring = Some(registry::v1::Monitoring {
                category: registry::v1::MonitoringCategory::Edge as i32,
                stage: registry::v1::MonitoringStage::Identified as i32,
                identified_on: Some(date(YEAR, 6, 1)),
                stage_changed_on: None,
            });
        }
        h.incomes = self
            .incomes
            .iter()
            .map(|(y, f)| registry::v1::Income {
                year: *y,
                per_capita_net_income_fen: *f,
            })
            .collect();
        h
    }

    pub fn income(&self, year: i32) -> Option<i64> {
        self.incomes
            .iter()
            .find(|(y, _)| *y == year)
            .map(|(_, f)| *f)
    }

    /// The triggers, computed independently of the aggregator's code (other formulas for
    /// the same rules), in RiskKind order.
    pub fn expected(&self, health_up: bool, water_up: bool) -> Vec<RiskKind> {
        let mut k = Vec::new();
        let cur = self.income(YEAR);
        let prev = self.income(YEAR - 1);
        if cur.is_some_and(|c| c < LINE) {
            k.push(RiskKind::IncomeBelowMonitoringLine);
        }
        // Fell by more than 30%: what is left is less than 70%.
        if let (Some(c), Some(p)) = (cur, prev)
            && c * 10 < p * 7
        {
            k.push(RiskKind::IncomeFellSharply);
        }
        if health_up {
            let total: i64 = self.payments.iter().map(|(_, f)| f).sum();
            if prev.is_some_and(|p| total > p * self.size as i64) {
                k.push(RiskKind::MedicalExpensesAboveIncome);
            }
            for (_, f) in &self.payments {
                if *f > LARGE {
                    k.push(RiskKind::LargeMedicalPayment);
                }
            }
        }
        use education::v1::StudentStatus as S;
        if matches!(self.child, Some(S::DroppedOut) | Some(S::NeverEnrolled)) {
            k.push(RiskKind::ChildOutOfSchool);
        }
        if water_up && self.litres.is_some_and(|l| l < 20) {
            k.push(RiskKind::UnsafeWater);
        }
        if self.relocated.is_some_and(|(l, e)| l > 0 && e == 0) {
            k.push(RiskKind::RelocatedWithoutEmployment);
        }
        k
    }
}

/// The county: each trigger fires for some households and not for others.
pub fn fixtures() -> Vec<Fixture> {
    use education::v1::StudentStatus as S;
    use registry::v1::ArchiveStatus as A;
    let f = |n, village, size, status| Fixture {
        n,
        village,
        size,
        status,
        ..Default::default()
    };
    vec![
        // A fall of exactly 30% (and still above the line): not at risk.
        Fixture {
            incomes: vec![(YEAR - 1, 1_000_000), (YEAR, 700_000)],
            litres: Some(35),
            ..f(1, V1, 3, A::Exited)
        },
        // One fen below the line.
        Fixture {
            incomes: vec![(YEAR, LINE - 1)],
            ..f(2, V1, 2, A::Poor)
        },
        // A fall of just over 30%, still above the line.
        Fixture {
            incomes: vec![(YEAR - 1, 1_000_000), (YEAR, 699_999)],
            ..f(3, V1, 2, A::Exited)
        },
        // Income exactly at the line; payments exactly at the large threshold and, in sum,
        // exactly last year's household income (300,000 x 2): not at risk.
        Fixture {
            incomes: vec![(YEAR - 1, 300_000), (YEAR, LINE)],
            payments: vec![(0, LARGE), (1, 100_000)],
            ..f(4, V1, 2, A::Exited)
        },
        // One fen over both: a large payment, and expenses above last year's income.
        Fixture {
            incomes: vec![(YEAR - 1, 300_000), (YEAR, 700_000)],
            payments: vec![(0, LARGE + 1), (1, 100_000)],
            ..f(5, V1, 2, A::Exited)
        },
        // A dropped-out child.
        Fixture {
            incomes: vec![(YEAR, 800_000)],
            child: Some(S::DroppedOut),
            ..f(6, V1, 3, A::Poor)
        },
        // A child in school, safe water, a small payment: not at risk.
        Fixture {
            incomes: vec![(YEAR - 1, 800_000), (YEAR, 800_000)],
            child: Some(S::InCounty),
            payments: vec![(0, 20_000)],
            litres: Some(35),
            ..f(12, V1, 3, A::Exited)
        },
        // A child never enrolled, unsafe water.
        Fixture {
            incomes: vec![(YEAR, 900_000)],
            child: Some(S::NeverEnrolled),
            litres: Some(10),
            ..f(7, V2, 3, A::Exited)
        },
        // Relocated, labour, no one employed.
        Fixture {
            incomes: vec![(YEAR, 900_000)],
            relocated: Some((1, 0)),
            ..f(8, V2, 2, A::Exited)
        },
        // Relocated and employed, basically safe water: not at risk.
        Fixture {
            incomes: vec![(YEAR, 900_000)],
            relocated: Some((1, 1)),
            litres: Some(35),
            ..f(9, V2, 2, A::Exited)
        },
        // Another township: below the line and fallen by half.
        Fixture {
            incomes: vec![(YEAR - 1, 200_000), (YEAR, 100_000)],
            ..f(11, V3, 2, A::MonitoredOnly)
        },
        Fixture {
            incomes: vec![(YEAR, 900_000)],
            ..f(10, V3, 2, A::Exited)
        },
    ]
}

/// The test's own answer for a prefix: village then household order, at-risk only.
pub fn expected(
    fx: &[Fixture],
    prefix: &str,
    health_up: bool,
    water_up: bool,
) -> Vec<(String, Vec<RiskKind>)> {
    let mut by_key: BTreeMap<(String, String), Vec<RiskKind>> = BTreeMap::new();
    for f in fx.iter().filter(|f| f.village.starts_with(prefix)) {
        let k = f.expected(health_up, water_up);
        if !k.is_empty() {
            by_key.insert((f.village.to_string(), f.id()), k);
        }
    }
    by_key.into_iter().map(|((_, id), k)| (id, k)).collect()
}

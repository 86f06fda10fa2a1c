//! The monitoring triggers of DOMAIN.md §3 for ListAtRiskHouseholds, as pure functions:
//! one village's registry households plus each service's signals for that village in, the
//! at-risk households with their reasons out. No I/O; the walk that feeds it is in
//! `api::at_risk`.
//!
//! | function | decides |
//! |---|---|
//! | [`income_reasons`] | income below the monitoring line; income fallen sharply |
//! | [`person_payments`] | each person's net personal medical payment, by resident id |
//! | [`schooling_by_household`] / [`disaster_by_household`] | the other two rigid expenses, by household |
//! | [`rigid_expenses_reason`] | medical + schooling + disaster above last year's income |
//! | [`assess_village`] | every reason of every household of one village, in order |
//! | [`unavailable_signals`] | which triggers a failed service leaves unjudged |
//! | [`resume_key`] / [`parse_resume_key`] | the resume position (village, household) |
//! | [`stream_budget`] | how long the whole stream may run |
//!
//! Money is integer fen; percentages are compared in integers (no floats), so "exactly
//! 30%" and "exactly at the line" are decided exactly (neither is a trigger).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use xk_contracts::pb::aggregator::v1::{
    AtRiskHousehold, RiskKind, RiskReason, SectionStatus, UnavailableSignal,
};
use xk_contracts::pb::{education, health, housing, registry, water};
use xk_contracts::types::ResidentId;

use crate::domain::deadline::{MARGIN_PERCENT, MIN_CALL_BUDGET, MIN_MARGIN};
use crate::policy::RiskPolicy;

/// The guarantee services whose signals ListAtRiskHouseholds combines with the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Personal medical payments (health's settled cases).
    Health,
    /// Children out of school (education).
    Education,
    /// Unsafe drinking water (water).
    Water,
    /// Relocated households without employment (housing).
    Housing,
}

impl Source {
    /// Every source, in the order their signals are reported.
    pub const ALL: [Source; 4] = [
        Source::Health,
        Source::Education,
        Source::Water,
        Source::Housing,
    ];

    /// The service's short name (as in section statuses).
    pub fn name(self) -> &'static str {
        match self {
            Source::Health => "health",
            Source::Education => "education",
            Source::Water => "water",
            Source::Housing => "housing",
        }
    }

    /// The triggers that depend on this source.
    pub fn kinds(self) -> &'static [RiskKind] {
        match self {
            Source::Health => &[
                RiskKind::MedicalExpensesAboveIncome,
                RiskKind::LargeMedicalPayment,
            ],
            // Schooling expenses are a part of the rigid-expenses trigger.
            Source::Education => &[
                RiskKind::MedicalExpensesAboveIncome,
                RiskKind::ChildOutOfSchool,
            ],
            Source::Water => &[RiskKind::UnsafeWater],
            Source::Housing => &[RiskKind::RelocatedWithoutEmployment],
        }
    }
}

/// One village's signals from the four guarantee services; `Err` holds why a service is
/// unavailable (then its triggers are not judged for the village).
#[derive(Debug, Clone, Copy)]
pub struct Signals<'a> {
    /// Net personal medical payment of the year per resident id (see [`person_payments`]).
    pub payments: Result<&'a BTreeMap<String, i64>, &'a SectionStatus>,
    /// The registry's disaster expenses of the year for the village's households (the
    /// registry is the walk's spine, so this part is always there).
    pub disaster: &'a [registry::v1::DisasterExpense],
    /// Education's schooling expenses of the year for the village.
    pub schooling: Result<&'a [education::v1::SchoolingExpense], &'a SectionStatus>,
    /// Students of the village whose status is dropped out or never enrolled.
    pub students: Result<&'a [education::v1::Student], &'a SectionStatus>,
    /// Water's UNSAFE exceptions of the village.
    pub water: Result<&'a [water::v1::HouseholdException], &'a SectionStatus>,
    /// Housing's NO_EMPLOYMENT exceptions of the village.
    pub housing: Result<&'a [housing::v1::HousingException], &'a SectionStatus>,
}

fn reason(kind: RiskKind, detail: String) -> RiskReason {
    RiskReason {
        kind: kind as i32,
        detail,
    }
}

/// A resident id as it may appear in a detail: masked (`420625********123X`), or a
/// fixed placeholder if it does not even parse (never the raw text).
pub fn mask_resident(id: &str) -> String {
    match ResidentId::parse_stored(id) {
        Ok(r) => r.masked(),
        Err(_) => "(unreadable resident id)".to_string(),
    }
}

/// `part / whole` as a percentage with one decimal, in integers (`34.5`).
fn percent_1dp(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "?".into();
    }
    let permille = (i128::from(part) * 1000 / i128::from(whole)) as i64;
    format!("{}.{}", permille / 10, permille.rem_euclid(10))
}

/// The per-capita income of `year`, if recorded.
pub fn income_of(h: &registry::v1::Household, year: i32) -> Option<i64> {
    h.incomes
        .iter()
        .find(|i| i.year == year)
        .map(|i| i.per_capita_net_income_fen)
}

/// Income below the monitoring line of `year` (strictly below) and a fall from the
/// previous year of strictly more than the policy's percent. A year without a recorded
/// income judges neither (no figure is not a low figure).
pub fn income_reasons(h: &registry::v1::Household, year: i32, p: &RiskPolicy) -> Vec<RiskReason> {
    let mut out = Vec::new();
    let cur = income_of(h, year);
    if let Some(cur) = cur
        && cur < p.monitoring_line_fen
    {
        out.push(reason(
            RiskKind::IncomeBelowMonitoringLine,
            format!(
                "per-capita income {cur} fen in {year} is below the monitoring line of {} fen",
                p.monitoring_line_fen
            ),
        ));
    }
    if let (Some(cur), Some(prev)) = (cur, income_of(h, year - 1))
        && prev > 0
        && i128::from(prev - cur) * 100 > i128::from(p.income_fall_percent) * i128::from(prev)
    {
        out.push(reason(
            RiskKind::IncomeFellSharply,
            format!(
                "per-capita income fell {}% from {prev} fen in {} to {cur} fen in {year} (trigger: more than {}%)",
                percent_1dp(prev - cur, prev),
                year - 1,
                p.income_fall_percent
            ),
        ));
    }
    out
}

/// Each person's net personal medical payment of the year (in-policy plus out-of-policy,
/// net of reversals), by resident id, from health's person-year rows. A person listed
/// twice (never, but pages are the service's) is summed.
pub fn person_payments(people: &[health::v1::PersonPayment]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for p in people {
        *out.entry(p.resident_id.clone()).or_insert(0) += p.personal_total_fen;
    }
    out
}

fn current_members(h: &registry::v1::Household) -> impl Iterator<Item = &registry::v1::Member> {
    h.members.iter().filter(|m| m.removed_on.is_none())
}

/// Each household's schooling expenses of `year` (education), by household id. A figure
/// for a student who is a member of one of the village's households counts for that
/// household (education's household id may be out of date); any other figure counts for the
/// household it names. `member_of` maps resident id to household id.
pub fn schooling_by_household(
    expenses: &[education::v1::SchoolingExpense],
    member_of: &HashMap<&str, &str>,
    year: i32,
) -> HashMap<String, i64> {
    let mut out: HashMap<String, i64> = HashMap::new();
    for e in expenses.iter().filter(|e| e.year == year) {
        let household = member_of
            .get(e.resident_id.as_str())
            .copied()
            .unwrap_or(e.household_id.as_str());
        let sum = out.entry(household.to_string()).or_insert(0);
        *sum = sum.saturating_add(e.out_of_pocket_fen);
    }
    out
}

/// Each household's disaster expenses of `year` (registry), by household id.
pub fn disaster_by_household(
    expenses: &[registry::v1::DisasterExpense],
    year: i32,
) -> HashMap<String, i64> {
    let mut out: HashMap<String, i64> = HashMap::new();
    for e in expenses.iter().filter(|e| e.year == year) {
        let sum = out.entry(e.household_id.clone()).or_insert(0);
        *sum = sum.saturating_add(e.amount_fen);
    }
    out
}

/// A household's rigid expenses of one year (DOMAIN.md §3), by part, in fen; `None` for a
/// part whose service was unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RigidExpenses {
    /// The members' net personal medical payments (health).
    pub medical: Option<i64>,
    /// Out-of-pocket schooling costs (education).
    pub schooling: Option<i64>,
    /// Disaster losses and expenses (registry).
    pub disaster: Option<i64>,
}

impl RigidExpenses {
    /// The sum of the known parts (saturating: figures are callers' and unbounded).
    pub fn known_total(&self) -> i64 {
        [self.medical, self.schooling, self.disaster]
            .into_iter()
            .flatten()
            .fold(0i64, i64::saturating_add)
    }
}

fn part(fen: Option<i64>, service: &str) -> String {
    match fen {
        Some(f) => format!("{f} fen"),
        None => format!("unknown ({service} unavailable)"),
    }
}

/// The rigid-expenses trigger: medical + schooling + disaster expenses of `year` strictly
/// above last year's household income (per-capita income of `year - 1` x current members).
/// No income recorded for last year: not judged. An unknown part counts as nothing, so a
/// household the known parts already put above is listed; one they do not is left to the
/// `unavailable` list. The detail names every part.
pub fn rigid_expenses_reason(
    h: &registry::v1::Household,
    parts: RigidExpenses,
    year: i32,
) -> Option<RiskReason> {
    let prev = income_of(h, year - 1)?;
    let people = current_members(h).count() as i64;
    let income = prev.saturating_mul(people);
    let total = parts.known_total();
    (total > income).then(|| {
        reason(
            RiskKind::MedicalExpensesAboveIncome,
            format!(
                "rigid expenses of {total} fen in {year} (medical {}, schooling {}, disaster {}) are above last year's household income of {income} fen ({prev} fen x {people} people)",
                part(parts.medical, "health"),
                part(parts.schooling, "education"),
                part(parts.disaster, "registry"),
            ),
        )
    })
}

/// Every member's payment of the year, by resident id, in member order.
fn member_payments<'a>(
    h: &'a registry::v1::Household,
    payments: &BTreeMap<String, i64>,
) -> Vec<(&'a str, i64)> {
    // Every member listed pays into the household's burden (one who died in the year after
    // a long illness is the typical case); the income base counts the current members.
    h.members
        .iter()
        .filter_map(|m| {
            payments
                .get(&m.resident_id)
                .map(|f| (m.resident_id.as_str(), *f))
        })
        .collect()
}

fn large_payment_reasons(
    h: &registry::v1::Household,
    payments: &BTreeMap<String, i64>,
    year: i32,
    p: &RiskPolicy,
) -> Vec<RiskReason> {
    let mut out = Vec::new();
    for (rid, fen) in member_payments(h, payments) {
        if fen > p.large_medical_payment_fen {
            out.push(reason(
                RiskKind::LargeMedicalPayment,
                format!(
                    "{} paid {fen} fen personally for medical care in {year}, above {} fen",
                    mask_resident(rid),
                    p.large_medical_payment_fen
                ),
            ));
        }
    }
    out
}

fn status_name(status: i32) -> &'static str {
    use education::v1::StudentStatus as S;
    match S::try_from(status) {
        Ok(S::DroppedOut) => "dropped out (辍学)",
        Ok(S::NeverEnrolled) => "never enrolled (失学)",
        _ => "not in school",
    }
}

/// Whether a student's status is out of school (dropped out or never enrolled).
pub fn out_of_school(s: &education::v1::Student) -> bool {
    use education::v1::StudentStatus as S;
    s.status == S::DroppedOut as i32 || s.status == S::NeverEnrolled as i32
}

fn water_detail(e: &water::v1::HouseholdException) -> String {
    let Some(a) = &e.assessment else {
        return "current drinking-water verdict 不安全".into();
    };
    let failing: Vec<&str> = a
        .grading
        .as_ref()
        .map(|g| {
            g.failing
                .iter()
                .map(|i| match water::v1::Indicator::try_from(*i) {
                    Ok(water::v1::Indicator::Quantity) => "quantity",
                    Ok(water::v1::Indicator::Quality) => "quality",
                    Ok(water::v1::Indicator::Convenience) => "convenience",
                    Ok(water::v1::Indicator::SupplyGuarantee) => "supply guarantee",
                    _ => "other",
                })
                .collect()
        })
        .unwrap_or_default();
    let on = a
        .assessed_on
        .as_ref()
        .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
        .unwrap_or_else(|| "?".into());
    format!(
        "current drinking-water verdict 不安全 (assessed {on}; failing: {})",
        if failing.is_empty() {
            "-".to_string()
        } else {
            failing.join(", ")
        }
    )
}

/// Every at-risk household of one village, in household-id order, each with every reason
/// in [`RiskKind`] order. `households` are the registry's households of the village
/// (removed ones are skipped); signals are matched by household id, or for students by
/// resident id when the student is a member of the household.
pub fn assess_village(
    households: &[registry::v1::Household],
    signals: Signals<'_>,
    year: i32,
    p: &RiskPolicy,
) -> Vec<AtRiskHousehold> {
    let member_of: HashMap<&str, &str> = households
        .iter()
        .flat_map(|h| {
            h.members
                .iter()
                .map(move |m| (m.resident_id.as_str(), h.household_id.as_str()))
        })
        .collect();
    let mut children: HashMap<&str, Vec<&education::v1::Student>> = HashMap::new();
    if let Ok(students) = signals.students {
        for s in students.iter().filter(|s| out_of_school(s)) {
            let hh = member_of
                .get(s.resident_id.as_str())
                .copied()
                .unwrap_or(s.household_id.as_str());
            children.entry(hh).or_default().push(s);
        }
    }
    let unsafe_water: HashMap<&str, &water::v1::HouseholdException> = signals
        .water
        .map(|w| {
            w.iter()
                .filter(|e| e.kind == water::v1::ExceptionKind::Unsafe as i32)
                .map(|e| (e.household_id.as_str(), e))
                .collect()
        })
        .unwrap_or_default();
    let jobless: BTreeSet<&str> = signals
        .housing
        .map(|x| {
            x.iter()
                .filter(|e| {
                    e.kinds
                        .contains(&(housing::v1::ExceptionKind::NoEmployment as i32))
                })
                .map(|e| e.household_id.as_str())
                .collect()
        })
        .unwrap_or_default();

    let schooling = signals
        .schooling
        .map(|e| schooling_by_household(e, &member_of, year));
    let disaster = disaster_by_household(signals.disaster, year);

    let mut sorted: Vec<&registry::v1::Household> = households
        .iter()
        .filter(|h| h.status != registry::v1::ArchiveStatus::Removed as i32)
        .collect();
    sorted.sort_by(|a, b| a.household_id.cmp(&b.household_id));
    let mut out = Vec::new();
    for h in sorted {
        let id = h.household_id.as_str();
        let mut reasons = income_reasons(h, year, p);
        let parts = RigidExpenses {
            medical: signals.payments.ok().map(|pay| {
                member_payments(h, pay)
                    .iter()
                    .fold(0i64, |sum, (_, f)| sum.saturating_add(*f))
            }),
            schooling: schooling
                .as_ref()
                .ok()
                .map(|s| s.get(id).copied().unwrap_or(0)),
            disaster: Some(disaster.get(id).copied().unwrap_or(0)),
        };
        reasons.extend(rigid_expenses_reason(h, parts, year));
        if let Ok(payments) = signals.payments {
            reasons.extend(large_payment_reasons(h, payments, year, p));
        }
        if let Some(kids) = children.get(id) {
            let mut kids = kids.clone();
            kids.sort_by(|a, b| a.resident_id.cmp(&b.resident_id));
            for s in kids {
                reasons.push(reason(
                    RiskKind::ChildOutOfSchool,
                    format!(
                        "{}: {}{}",
                        mask_resident(&s.resident_id),
                        status_name(s.status),
                        if s.open_case {
                            ", return-to-school case open"
                        } else {
                            ", no return-to-school case"
                        }
                    ),
                ));
            }
        }
        if let Some(e) = unsafe_water.get(id) {
            reasons.push(reason(RiskKind::UnsafeWater, water_detail(e)));
        }
        if jobless.contains(id) {
            reasons.push(reason(
                RiskKind::RelocatedWithoutEmployment,
                "relocated household with labour and no member employed".into(),
            ));
        }
        if !reasons.is_empty() {
            out.push(AtRiskHousehold {
                household_id: h.household_id.clone(),
                village_code: h.village_code.clone(),
                status: h.status,
                reasons,
            });
        }
    }
    out
}

/// The triggers left unjudged by the failed sources, in source order.
pub fn unavailable_signals(failed: &BTreeMap<Source, SectionStatus>) -> Vec<UnavailableSignal> {
    failed
        .iter()
        .flat_map(|(src, status)| {
            src.kinds().iter().map(move |k| UnavailableSignal {
                kind: *k as i32,
                status: Some(status.clone()),
            })
        })
        .collect()
}

/// The resume position after `household_id` of `village_code` (the key inside a token).
pub fn resume_key(village_code: &str, household_id: &str) -> String {
    format!("{village_code}/{household_id}")
}

/// A resume key back into (village code, household id).
pub fn parse_resume_key(key: &str) -> Result<(String, String), String> {
    let bad = || "not a token this service issued".to_string();
    let (v, h) = key.split_once('/').ok_or_else(bad)?;
    if v.len() != 12 || !v.bytes().all(|b| b.is_ascii_digit()) || h.is_empty() {
        return Err(bad());
    }
    Ok((v.to_string(), h.to_string()))
}

/// How long the whole stream may run: the caller's deadline minus the margin kept for
/// the last message (the same margin rule as a unary call), or `None` when the caller
/// sent no deadline (each upstream call is still bounded by the upstream budget).
/// `Err` (why) when the caller's deadline leaves nothing useful.
pub fn stream_budget(incoming: Option<Duration>) -> Result<Option<Duration>, &'static str> {
    let Some(total) = incoming else {
        return Ok(None);
    };
    let margin = (total * MARGIN_PERCENT / 100).max(MIN_MARGIN);
    match total.checked_sub(margin) {
        Some(b) if b >= MIN_CALL_BUDGET => Ok(Some(b)),
        _ => Err("the deadline leaves no time to ask the services"),
    }
}

#[cfg(test)]
mod tests;

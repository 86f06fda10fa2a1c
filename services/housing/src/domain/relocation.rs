//! Relocated households (易地扶贫搬迁): the new house (area, funding, debt), the old house
//! (demolition, reclamation), and the exceptions the county summary counts for a household.
//! How the household is resettled is [`super::site::SiteType`].
//!
//! Rules on the new house:
//! - area ≤ red line per person × members at relocation, unless an exception reason is
//!   recorded (exactly at the red line is within it);
//! - household debt strictly below the cap;
//! - members at least one, area positive, money never negative;
//! - funding adds up: `build_cost = subsidy + self_raised + other_funds`. The three are a
//!   breakdown of the cost, and the county summary sums each column; a row that does not
//!   add up would silently skew those totals, so it is refused as malformed. Debt is not
//!   part of the sum (it is how the self-raised part may have been financed).

use chrono::NaiveDate;
use xk_contracts::types::months_after;
use xk_runtime::nesting::within;

use super::milestones::{Milestones, moved_in_on, validate_milestones};
use super::policy::Policy;
use super::rules::{AREA_RED_LINE, DEBT_CAP, MILESTONE_ORDER, RECLAIMED_BEFORE_DEMOLITION};
use super::site::SiteType;
use super::support::{SupportRecord, employment_ok, validate_labour, validate_support};
use super::{ExceptionKind, FieldViolation, into_result, is_blank};

/// The new house of a relocated household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Housing {
    /// Members at relocation; the area red line scales with it.
    pub members: u32,
    /// Floor area in 0.01 m²; checked against the red line.
    pub area_centi_m2: i64,
    /// Why the house exceeds the red line, if it does; without it an over-area house is an exception.
    pub over_area_reason: Option<String>,
    /// Total build cost in fen; must equal the sum of the funding sources.
    pub build_cost_fen: i64,
    /// Government subsidy in fen; summed by the county.
    pub subsidy_fen: i64,
    /// Amount the household raised itself in fen; summed by the county.
    pub self_raised_fen: i64,
    /// Other funding (donations, local top-ups) in fen, so the sources can add up.
    pub other_funds_fen: i64,
    /// Household debt from relocation in fen; must stay below the cap.
    pub debt_fen: i64,
}

/// The largest area within the red line for `members`, in 0.01 m².
pub fn area_cap_centi_m2(members: u32, p: &Policy) -> i64 {
    p.area_red_line_centi_m2_per_person
        .saturating_mul(i64::from(members))
}

/// Whether the house exceeds the red line for its members.
pub fn over_area(h: &Housing, p: &Policy) -> bool {
    h.area_centi_m2 > area_cap_centi_m2(h.members, p)
}

/// Whether a non-blank over-area exception reason is recorded.
pub fn has_over_area_reason(h: &Housing) -> bool {
    h.over_area_reason.as_deref().is_some_and(|r| !is_blank(r))
}

/// Whether the debt is within the cap (strictly below it).
pub fn debt_ok(debt_fen: i64, p: &Policy) -> bool {
    debt_fen < p.debt_cap_fen
}

/// Validate the new house (see the module rules). Malformed values are invalid
/// arguments; over-area without reason and debt at or over the cap are failed preconditions.
pub fn validate_housing(h: &Housing, p: &Policy) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    if h.members == 0 {
        v.push(FieldViolation::invalid(
            "members",
            "a relocated household has at least one member",
        ));
    }
    if h.area_centi_m2 <= 0 {
        v.push(FieldViolation::invalid(
            "area_centi_m2",
            format!("area must be positive (got {} × 0.01 m²)", h.area_centi_m2),
        ));
    }
    let money = [
        ("build_cost_fen", h.build_cost_fen),
        ("subsidy_fen", h.subsidy_fen),
        ("self_raised_fen", h.self_raised_fen),
        ("other_funds_fen", h.other_funds_fen),
        ("debt_fen", h.debt_fen),
    ];
    for (field, amount) in money {
        if amount < 0 {
            v.push(FieldViolation::invalid(
                field,
                format!("amount must not be negative (got {amount} fen)"),
            ));
        }
    }
    let funding_ok = [
        h.build_cost_fen,
        h.subsidy_fen,
        h.self_raised_fen,
        h.other_funds_fen,
    ]
    .iter()
    .all(|a| *a >= 0);
    // Only compare the sum when every part is well-formed; a negative part is already reported.
    if funding_ok {
        let sources = h
            .subsidy_fen
            .checked_add(h.self_raised_fen)
            .and_then(|s| s.checked_add(h.other_funds_fen));
        if sources != Some(h.build_cost_fen) {
            v.push(FieldViolation::invalid(
                "build_cost_fen",
                format!(
                    "build cost {} fen is not subsidy {} + self-raised {} + other {} fen",
                    h.build_cost_fen, h.subsidy_fen, h.self_raised_fen, h.other_funds_fen
                ),
            ));
        }
    }
    if h.over_area_reason.as_deref().is_some_and(is_blank) {
        v.push(FieldViolation::invalid(
            "over_area_reason",
            "the reason is blank; omit it when there is none",
        ));
    }
    if h.members > 0 && h.area_centi_m2 > 0 && over_area(h, p) && !has_over_area_reason(h) {
        v.push(FieldViolation::rule(
            AREA_RED_LINE,
            "area_centi_m2",
            format!(
                "area {} exceeds the red line of {} for {} members (0.01 m² units); \
                 record over_area_reason",
                h.area_centi_m2,
                area_cap_centi_m2(h.members, p),
                h.members
            ),
        ));
    }
    if h.debt_fen >= 0 && !debt_ok(h.debt_fen, p) {
        v.push(FieldViolation::rule(
            DEBT_CAP,
            "debt_fen",
            format!(
                "debt {} fen is not below the cap of {} fen",
                h.debt_fen, p.debt_cap_fen
            ),
        ));
    }
    into_result(v)
}

/// What happens to the old house.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Demolition {
    /// The old house must be demolished (拆旧复垦).
    Required,
    /// Exempt from demolition (e.g. a protected traditional building).
    Exempt {
        /// Why, required so the exemption can be audited.
        reason: String,
    },
}

/// Land type of the reclaimed homestead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LandType {
    /// Cultivated land (耕地).
    Cultivated,
    /// Garden land, orchards (园地).
    Garden,
    /// Forest land (林地).
    Forest,
    /// Grassland (草地).
    Grassland,
    /// Any other agricultural use.
    Other,
}

/// The old house and its land. Its dates (demolished, reclamation accepted) are in
/// [`Milestones`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldHouse {
    /// Whether demolition is required or exempt; an exempt house is never overdue.
    pub demolition: Demolition,
    /// Reclaimed homestead area in 0.01 mu; summed toward the county's reclaimed total.
    pub reclaimed_centi_mu: i64,
    /// Land type after reclamation; required once reclamation is accepted.
    pub land_type: Option<LandType>,
}

/// Validate the old house against its milestones: an exemption has a reason and no
/// demolition date; the reclaimed area is non-negative and plausible; land is reclaimed
/// only after demolition; an accepted reclamation has an area and a land type.
pub fn validate_old_house(
    o: &OldHouse,
    m: &Milestones,
    p: &Policy,
) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    if let Demolition::Exempt { reason } = &o.demolition {
        if is_blank(reason) {
            v.push(FieldViolation::invalid(
                "demolition.reason",
                "an exemption from demolition needs a reason",
            ));
        }
        if m.demolished.is_some() {
            v.push(FieldViolation::rule(
                MILESTONE_ORDER,
                "demolished",
                "the old house is exempt from demolition but has a demolition date",
            ));
        }
    }
    if o.reclaimed_centi_mu < 0 {
        v.push(FieldViolation::invalid(
            "reclaimed_centi_mu",
            format!(
                "reclaimed area must not be negative (got {} × 0.01 mu)",
                o.reclaimed_centi_mu
            ),
        ));
    } else if o.reclaimed_centi_mu > p.max_reclaimed_centi_mu_per_household {
        v.push(FieldViolation::invalid(
            "reclaimed_centi_mu",
            format!(
                "reclaimed area {} exceeds the plausible maximum of {} per household \
                 (0.01 mu units; check the unit)",
                o.reclaimed_centi_mu, p.max_reclaimed_centi_mu_per_household
            ),
        ));
    }
    if m.demolished.is_none() {
        if o.reclaimed_centi_mu > 0 {
            v.push(FieldViolation::rule(
                RECLAIMED_BEFORE_DEMOLITION,
                "reclaimed_centi_mu",
                "land can only be reclaimed after the old house is demolished",
            ));
        }
        if m.reclamation_accepted.is_some() {
            v.push(FieldViolation::rule(
                MILESTONE_ORDER,
                "reclamation_accepted",
                "reclamation can only be accepted after the old house is demolished",
            ));
        }
    }
    if m.reclamation_accepted.is_some() {
        if o.reclaimed_centi_mu <= 0 {
            v.push(FieldViolation::invalid(
                "reclaimed_centi_mu",
                "an accepted reclamation needs the reclaimed area",
            ));
        }
        if o.land_type.is_none() {
            v.push(FieldViolation::invalid(
                "land_type",
                "an accepted reclamation needs the land type",
            ));
        }
    }
    into_result(v)
}

/// Everything known about one relocated household that the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelocationFacts {
    /// How the household is resettled; decides the move-in rule.
    pub site_type: SiteType,
    /// The new house.
    pub housing: Housing,
    /// The timeline.
    pub milestones: Milestones,
    /// The old house and its land.
    pub old_house: OldHouse,
    /// Members able to work; with `employed_members` drives the employment rule.
    pub labour_members: u32,
    /// Members currently employed (a job, public-welfare job or workshop job).
    pub employed_members: u32,
    /// Follow-up support measures; at least one is expected once moved in.
    pub support: Vec<SupportRecord>,
}

/// The last day the old house may still stand: `demolition_grace_months` after the
/// move-in date. `None` when the household has not moved in.
pub fn demolition_due(site_type: SiteType, m: &Milestones, p: &Policy) -> Option<NaiveDate> {
    moved_in_on(site_type, m).map(|d| months_after(d, p.demolition_grace_months))
}

/// Validate a whole household record; field paths are prefixed with `housing.`,
/// `milestones.`, `old_house.` and `support[i].`.
pub fn validate_relocation(
    f: &RelocationFacts,
    today: NaiveDate,
    p: &Policy,
) -> Result<(), Vec<FieldViolation>> {
    let old_house = validate_old_house(&f.old_house, &f.milestones, p);
    let mut v: Vec<FieldViolation> = within("housing", validate_housing(&f.housing, p))
        .chain(within(
            "milestones",
            validate_milestones(&f.milestones, today),
        ))
        .chain(within("old_house", old_house))
        .collect();
    for (i, s) in f.support.iter().enumerate() {
        v.extend(within(&format!("support[{i}]"), validate_support(s, today)));
    }
    if let Err(errs) = validate_labour(f.housing.members, f.labour_members, f.employed_members) {
        v.extend(errs);
    }
    into_result(v)
}

/// The household's exceptions on `today`, in [`ExceptionKind`] order:
/// - `NotMovedIn`: not moved in by its site type's rule (as of today);
/// - `NotDemolishedAfterGrace`: demolition required, moved in, not demolished, and today
///   is after the grace period;
/// - `NoEmployment`: labour but nobody employed;
/// - `OverAreaWithoutReason`: over the red line with no reason;
/// - `DebtAtOrOverCap`: debt not below the cap;
/// - `NoFollowUpSupport`: moved in, yet no support measure started by today.
pub fn exceptions(f: &RelocationFacts, today: NaiveDate, p: &Policy) -> Vec<ExceptionKind> {
    let mut out = Vec::new();
    let moved_in = moved_in_on(f.site_type, &f.milestones).filter(|d| *d <= today);
    if moved_in.is_none() {
        out.push(ExceptionKind::NotMovedIn);
    }
    let demolished = f.milestones.demolished.is_some_and(|d| d <= today);
    if moved_in.is_some()
        && f.old_house.demolition == Demolition::Required
        && !demolished
        && demolition_due(f.site_type, &f.milestones, p).is_some_and(|due| today > due)
    {
        out.push(ExceptionKind::NotDemolishedAfterGrace);
    }
    if !employment_ok(f.labour_members, f.employed_members) {
        out.push(ExceptionKind::NoEmployment);
    }
    if over_area(&f.housing, p) && !has_over_area_reason(&f.housing) {
        out.push(ExceptionKind::OverAreaWithoutReason);
    }
    if !debt_ok(f.housing.debt_fen, p) {
        out.push(ExceptionKind::DebtAtOrOverCap);
    }
    if moved_in.is_some() && !f.support.iter().any(|s| s.started_on <= today) {
        out.push(ExceptionKind::NoFollowUpSupport);
    }
    out
}

#[cfg(test)]
mod tests;

//! Relocated households (易地扶贫搬迁): the resettlement site type, the new house (area,
//! funding, debt), the old house (demolition, reclamation), and the exceptions the county
//! summary counts for a household.
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

use chrono::{Months, NaiveDate};

use super::milestones::{Milestones, moved_in_on, validate_milestones};
use super::policy::Policy;
use super::support::{SupportRecord, employment_ok, validate_labour, validate_support};
use super::{ExceptionKind, FieldViolation, into_result, is_blank};

/// Kinds of centralized resettlement site (集中安置).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CentralizedKind {
    /// In the county town (县城).
    CountyTown,
    /// In a market town (集镇).
    MarketTown,
    /// In a central village (中心村).
    CentralVillage,
    /// In an industrial park (产业园区).
    IndustrialPark,
}

/// Kinds of scattered resettlement (分散安置).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScatteredKind {
    /// Filling in an existing village (插花安置).
    FillingIn,
    /// Moving in with relatives (投亲靠友).
    WithRelatives,
}

/// How a household is resettled; decides the move-in rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SiteType {
    /// A centralized site: moved in at key handover.
    Centralized(CentralizedKind),
    /// Scattered resettlement: moved in once the house passes and the family lives there.
    Scattered(ScatteredKind),
}

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
        v.push(FieldViolation::precondition(
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
        v.push(FieldViolation::precondition(
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
            v.push(FieldViolation::precondition(
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
            v.push(FieldViolation::precondition(
                "reclaimed_centi_mu",
                "land can only be reclaimed after the old house is demolished",
            ));
        }
        if m.reclamation_accepted.is_some() {
            v.push(FieldViolation::precondition(
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
    moved_in_on(site_type, m).map(|d| {
        d.checked_add_months(Months::new(p.demolition_grace_months))
            .unwrap_or(NaiveDate::MAX)
    })
}

/// Validate a whole household record; field paths are prefixed with `housing.`,
/// `milestones.`, `old_house.` and `support[i].`.
pub fn validate_relocation(
    f: &RelocationFacts,
    today: NaiveDate,
    p: &Policy,
) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    let mut add = |prefix: &str, r: Result<(), Vec<FieldViolation>>| {
        if let Err(errs) = r {
            v.extend(errs.into_iter().map(|e| e.prefixed(prefix)));
        }
    };
    add("housing", validate_housing(&f.housing, p));
    add("milestones", validate_milestones(&f.milestones, today));
    add(
        "old_house",
        validate_old_house(&f.old_house, &f.milestones, p),
    );
    for (i, s) in f.support.iter().enumerate() {
        add(&format!("support[{i}]"), validate_support(s, today));
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
mod tests {
    use super::*;
    use crate::domain::ViolationKind;
    use crate::domain::milestones::full_chain;
    use crate::domain::policy::test_policy;
    use crate::domain::support::SupportMeasure;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn housing(members: u32, area_centi_m2: i64) -> Housing {
        Housing {
            members,
            area_centi_m2,
            over_area_reason: None,
            build_cost_fen: 12_000_000,
            subsidy_fen: 11_000_000,
            self_raised_fen: 900_000,
            other_funds_fen: 100_000,
            debt_fen: 500_000,
        }
    }

    const CENTRAL: SiteType = SiteType::Centralized(CentralizedKind::CountyTown);
    const SCATTERED: SiteType = SiteType::Scattered(ScatteredKind::FillingIn);

    /// A household that is fine on 2020-06-30: moved in 2018, demolished, employed, supported.
    fn good_facts() -> RelocationFacts {
        RelocationFacts {
            site_type: CENTRAL,
            housing: housing(4, 10_000),
            milestones: full_chain(d(2018, 3, 1)),
            old_house: OldHouse {
                demolition: Demolition::Required,
                reclaimed_centi_mu: 35,
                land_type: Some(LandType::Cultivated),
            },
            labour_members: 2,
            employed_members: 1,
            support: vec![SupportRecord {
                measure: SupportMeasure::Workshop,
                started_on: d(2018, 11, 1),
                ended_on: None,
            }],
        }
    }

    fn today() -> NaiveDate {
        d(2020, 6, 30)
    }

    #[test]
    fn good_household_is_valid_and_has_no_exception() {
        let p = test_policy();
        let f = good_facts();
        assert_eq!(validate_relocation(&f, today(), &p), Ok(()));
        assert_eq!(exceptions(&f, today(), &p), vec![]);
    }

    #[test]
    fn area_exactly_at_red_line_is_within() {
        let p = test_policy();
        assert_eq!(area_cap_centi_m2(4, &p), 10_000);
        let at = housing(4, 10_000);
        assert!(!over_area(&at, &p));
        assert_eq!(validate_housing(&at, &p), Ok(()));
        let over = housing(4, 10_001);
        assert!(over_area(&over, &p));
        let err = validate_housing(&over, &p).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "area_centi_m2");
        assert_eq!(err[0].kind, ViolationKind::FailedPrecondition);
        assert!(err[0].description.contains("10000"));
    }

    #[test]
    fn over_area_with_reason_is_accepted() {
        let p = test_policy();
        let mut h = housing(1, 5_000);
        h.over_area_reason = Some("单人户，最小户型 50 m²".to_string());
        assert_eq!(validate_housing(&h, &p), Ok(()));
        let mut f = good_facts();
        f.housing = h.clone();
        assert_eq!(exceptions(&f, today(), &p), vec![]);
        h.over_area_reason = Some("  ".to_string());
        let err = validate_housing(&h, &p).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, vec!["over_area_reason", "area_centi_m2"]);
        f.housing = h;
        assert_eq!(
            exceptions(&f, today(), &p),
            vec![ExceptionKind::OverAreaWithoutReason]
        );
    }

    #[test]
    fn debt_just_below_cap_ok_at_cap_rejected() {
        let p = test_policy();
        let mut h = housing(4, 10_000);
        h.debt_fen = 999_999; // 9,999.99 yuan
        assert!(debt_ok(h.debt_fen, &p));
        assert_eq!(validate_housing(&h, &p), Ok(()));
        h.debt_fen = 1_000_000; // 10,000 yuan
        assert!(!debt_ok(h.debt_fen, &p));
        let err = validate_housing(&h, &p).unwrap_err();
        assert_eq!(
            err,
            vec![FieldViolation::precondition(
                "debt_fen",
                "debt 1000000 fen is not below the cap of 1000000 fen"
            )]
        );
        let mut f = good_facts();
        f.housing = h;
        assert_eq!(
            exceptions(&f, today(), &p),
            vec![ExceptionKind::DebtAtOrOverCap]
        );
    }

    #[test]
    fn negative_amounts_zero_members_and_area_reported() {
        let p = test_policy();
        let h = Housing {
            members: 0,
            area_centi_m2: 0,
            over_area_reason: None,
            build_cost_fen: -1,
            subsidy_fen: -2,
            self_raised_fen: -3,
            other_funds_fen: -4,
            debt_fen: -5,
        };
        let err = validate_housing(&h, &p).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "members",
                "area_centi_m2",
                "build_cost_fen",
                "subsidy_fen",
                "self_raised_fen",
                "other_funds_fen",
                "debt_fen"
            ]
        );
        assert!(err.iter().all(|v| v.kind == ViolationKind::InvalidArgument));
    }

    #[test]
    fn funding_must_add_up() {
        let p = test_policy();
        let mut h = housing(4, 10_000);
        h.other_funds_fen = 0;
        let err = validate_housing(&h, &p).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "build_cost_fen");
        assert_eq!(err[0].kind, ViolationKind::InvalidArgument);
        h.build_cost_fen = 11_900_000;
        assert_eq!(validate_housing(&h, &p), Ok(()));
        let overflow = Housing {
            subsidy_fen: i64::MAX,
            self_raised_fen: 1,
            build_cost_fen: i64::MAX,
            other_funds_fen: 0,
            ..housing(4, 10_000)
        };
        assert_eq!(validate_housing(&overflow, &p).unwrap_err().len(), 1);
    }

    #[test]
    fn not_moved_in_exception() {
        let p = test_policy();
        let mut f = good_facts();
        f.milestones.key_handover = None;
        f.milestones.moved_in = None;
        f.milestones.demolished = None;
        f.milestones.reclamation_accepted = None;
        f.old_house.reclaimed_centi_mu = 0;
        assert_eq!(validate_relocation(&f, today(), &p), Ok(()));
        assert_eq!(exceptions(&f, today(), &p), vec![ExceptionKind::NotMovedIn]);
        // Scattered: accepted and handed over, but the family does not live there yet.
        f.site_type = SCATTERED;
        f.milestones.key_handover = Some(d(2019, 1, 1));
        assert_eq!(exceptions(&f, today(), &p), vec![ExceptionKind::NotMovedIn]);
        f.milestones.moved_in = Some(d(2019, 2, 1));
        assert_eq!(exceptions(&f, d(2019, 3, 1), &p), vec![]);
    }

    #[test]
    fn moved_in_date_after_today_does_not_count_yet() {
        let p = test_policy();
        let f = good_facts(); // key handover 2018-03-01 + 210 days
        assert_eq!(
            exceptions(&f, d(2018, 3, 2), &p),
            vec![ExceptionKind::NotMovedIn]
        );
    }

    #[test]
    fn demolition_grace_boundary() {
        let p = test_policy();
        let mut f = good_facts();
        f.milestones = Milestones {
            acceptance: Some(d(2019, 1, 10)),
            key_handover: Some(d(2019, 1, 15)),
            moved_in: Some(d(2019, 2, 1)),
            ..Milestones::default()
        };
        f.old_house.reclaimed_centi_mu = 0;
        f.old_house.land_type = None;
        assert_eq!(
            demolition_due(CENTRAL, &f.milestones, &p),
            Some(d(2020, 1, 15))
        );
        assert_eq!(exceptions(&f, d(2020, 1, 15), &p), vec![]);
        assert_eq!(
            exceptions(&f, d(2020, 1, 16), &p),
            vec![ExceptionKind::NotDemolishedAfterGrace]
        );
        // Scattered counts from moving in, not from the key handover.
        f.site_type = SCATTERED;
        assert_eq!(
            demolition_due(SCATTERED, &f.milestones, &p),
            Some(d(2020, 2, 1))
        );
        assert_eq!(exceptions(&f, d(2020, 2, 1), &p), vec![]);
        assert_eq!(
            exceptions(&f, d(2020, 2, 2), &p),
            vec![ExceptionKind::NotDemolishedAfterGrace]
        );
        // Demolished: no exception.
        f.milestones.demolished = Some(d(2020, 1, 20));
        assert_eq!(exceptions(&f, d(2021, 1, 1), &p), vec![]);
    }

    #[test]
    fn exempt_old_house_is_never_overdue() {
        let p = test_policy();
        let mut f = good_facts();
        f.milestones.demolished = None;
        f.milestones.reclamation_accepted = None;
        f.old_house = OldHouse {
            demolition: Demolition::Exempt {
                reason: "传统村落保护建筑".to_string(),
            },
            reclaimed_centi_mu: 0,
            land_type: None,
        };
        assert_eq!(validate_relocation(&f, today(), &p), Ok(()));
        assert_eq!(exceptions(&f, d(2030, 1, 1), &p), vec![]);
    }

    #[test]
    fn old_house_validation() {
        let p = test_policy();
        let m_done = full_chain(d(2018, 3, 1));
        let exempt_but_demolished = OldHouse {
            demolition: Demolition::Exempt {
                reason: String::new(),
            },
            reclaimed_centi_mu: 35,
            land_type: Some(LandType::Forest),
        };
        let err = validate_old_house(&exempt_but_demolished, &m_done, &p).unwrap_err();
        let got: Vec<(&str, ViolationKind)> =
            err.iter().map(|v| (v.field.as_str(), v.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("demolition.reason", ViolationKind::InvalidArgument),
                ("demolished", ViolationKind::FailedPrecondition),
            ]
        );

        let no_demolition = Milestones {
            reclamation_accepted: Some(d(2019, 1, 1)),
            ..Milestones::default()
        };
        let reclaimed_early = OldHouse {
            demolition: Demolition::Required,
            reclaimed_centi_mu: 50,
            land_type: None,
        };
        let err = validate_old_house(&reclaimed_early, &no_demolition, &p).unwrap_err();
        let got: Vec<(&str, ViolationKind)> =
            err.iter().map(|v| (v.field.as_str(), v.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("reclaimed_centi_mu", ViolationKind::FailedPrecondition),
                ("reclamation_accepted", ViolationKind::FailedPrecondition),
                ("land_type", ViolationKind::InvalidArgument),
            ]
        );
    }

    #[test]
    fn reclaimed_area_bounds() {
        let p = test_policy();
        let m = full_chain(d(2018, 3, 1));
        let with = |a: i64| OldHouse {
            demolition: Demolition::Required,
            reclaimed_centi_mu: a,
            land_type: Some(LandType::Cultivated),
        };
        assert_eq!(validate_old_house(&with(200), &m, &p), Ok(()));
        let err = validate_old_house(&with(201), &m, &p).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].kind, ViolationKind::InvalidArgument);
        assert!(err[0].description.contains("plausible maximum of 200"));
        let err = validate_old_house(&with(-1), &m, &p).unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}"); // negative, and accepted without area
        let err = validate_old_house(&with(0), &m, &p).unwrap_err();
        assert_eq!(err[0].field, "reclaimed_centi_mu");
    }

    #[test]
    fn no_employment_and_no_support_exceptions() {
        let p = test_policy();
        let mut f = good_facts();
        f.employed_members = 0;
        assert_eq!(
            exceptions(&f, today(), &p),
            vec![ExceptionKind::NoEmployment]
        );
        f.labour_members = 0;
        assert_eq!(exceptions(&f, today(), &p), vec![]);
        f.support.clear();
        assert_eq!(
            exceptions(&f, today(), &p),
            vec![ExceptionKind::NoFollowUpSupport]
        );
        // Support that starts later does not count yet.
        f.support.push(SupportRecord {
            measure: SupportMeasure::Training,
            started_on: d(2020, 7, 1),
            ended_on: None,
        });
        assert_eq!(
            exceptions(&f, today(), &p),
            vec![ExceptionKind::NoFollowUpSupport]
        );
    }

    #[test]
    fn all_exceptions_at_once_in_order() {
        let p = test_policy();
        let mut f = good_facts();
        f.milestones = Milestones::default();
        f.old_house.reclaimed_centi_mu = 0;
        f.employed_members = 0;
        f.housing = Housing {
            debt_fen: 2_000_000,
            ..housing(1, 3_000)
        };
        f.support.clear();
        assert_eq!(
            exceptions(&f, today(), &p),
            vec![
                ExceptionKind::NotMovedIn,
                ExceptionKind::NoEmployment,
                ExceptionKind::OverAreaWithoutReason,
                ExceptionKind::DebtAtOrOverCap,
            ]
        );
    }

    #[test]
    fn relocation_validation_prefixes_fields() {
        let p = test_policy();
        let mut f = good_facts();
        f.housing.debt_fen = -1;
        f.milestones.completion = Some(d(2017, 1, 1));
        f.old_house.reclaimed_centi_mu = 1_000;
        f.support[0].ended_on = Some(d(2018, 1, 1));
        f.labour_members = 9;
        let err = validate_relocation(&f, today(), &p).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "housing.debt_fen",
                "milestones.completion",
                "old_house.reclaimed_centi_mu",
                "support[0].ended_on",
                "labour_members"
            ]
        );
    }

    proptest! {
        #[test]
        fn over_area_exception_iff_over_red_line(members in 1u32..12, area in 1i64..40_000) {
            let p = test_policy();
            let mut f = good_facts();
            f.housing = housing(members, area);
            let over = exceptions(&f, today(), &p).contains(&ExceptionKind::OverAreaWithoutReason);
            prop_assert_eq!(over, area > 2_500 * i64::from(members));
            prop_assert_eq!(validate_housing(&f.housing, &p).is_ok(), !over);
        }

        #[test]
        fn debt_exception_iff_not_below_cap(debt in 0i64..3_000_000) {
            let p = test_policy();
            let mut f = good_facts();
            f.housing.debt_fen = debt;
            let flagged = exceptions(&f, today(), &p).contains(&ExceptionKind::DebtAtOrOverCap);
            prop_assert_eq!(flagged, debt >= 1_000_000);
        }

        #[test]
        fn demolished_households_never_overdue(extra_days in 0u64..5000) {
            let p = test_policy();
            let f = good_facts();
            let later = today() + chrono::Days::new(extra_days);
            prop_assert!(!exceptions(&f, later, &p).contains(&ExceptionKind::NotDemolishedAfterGrace));
        }
    }
}

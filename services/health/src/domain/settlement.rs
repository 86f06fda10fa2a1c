//! The four-layer settlement of a hospital case (一站式结算), cumulative per person and
//! coverage year.
//!
//! # The rules
//!
//! A case's cost splits into its in-policy part (政策范围内, `total − out_of_policy`) and its
//! out-of-policy part. **Out-of-policy cost is personal**: no layer pays any of it, it does not
//! count toward any deductible, burden or cap, and it is shown separately
//! ([`Settlement::personal_out_of_policy_fen`]). The layers settle the in-policy part in a
//! fixed order, each on what the previous ones left:
//!
//! 1. **Basic insurance.** The terms are the chronic-outpatient row for a chronic outpatient
//!    case, otherwise the row of the institution's level on the in-county or out-of-county
//!    table. The deductible is annual: the case is charged
//!    `min(in_policy, max(0, deductible − basic_deductible_used))`, and basic pays
//!    `floor((in_policy − charged) × rate)`. For the registered poor the deductible is scaled
//!    by `poor_deductible_{in,out_of}_county_bp` (waived in county, halved outside by default)
//!    and the rate is `poor_rate_bp`.
//! 2. **Serious-illness insurance.** The case's burden is `in_policy − basic`. With `B` the
//!    year's cumulative burden before the case and `D` the deductible (the poor's lowered one
//!    for the poor), the case's base is `max(0, B + burden − D) − max(0, B − D)`: exactly the
//!    part of the year's burden above `D` that this case adds. Serious pays
//!    `floor(base × rate)`, no cap.
//! 3. **Medical assistance** (registered poor only). Pays
//!    `min(floor(left × rate), annual_cap − assistance_paid)` where `left` is the in-policy
//!    cost after layers 1–2; nothing once the annual cap is reached.
//! 4. **Supplementary insurance** (registered poor, in-county care only). Tops up so that
//!    (a) the case's reimbursement reaches `floor(in_policy × target)` — 90% inpatient, 80%
//!    chronic outpatient — and (b) the year's personal in-policy payment for in-county care
//!    does not exceed `annual_personal_cap`: it pays the larger of the two top-ups, never
//!    more than what is left. Both are modelled because Hubei's "985" promises both; the
//!    cap is exact, and setting a target to 0 leaves the cap alone.
//!
//! The person pays what is left of the in-policy cost ([`Settlement::personal_in_policy_fen`])
//! plus all out-of-policy cost. A person not registered poor gets layers 1 and 2 only, on the
//! general terms. Whether a person counts as registered poor is a property of each case (the
//! registry status on the date of care), so a person identified mid-year gets the poor's
//! terms from then on; the cap counts only the personal payments of cases settled as poor.
//!
//! Every rate goes through [`apply_bp`] (floor to the fen; see [`super::money`]), and the
//! personal share is what remains, so `basic + serious + assistance + supplementary +
//! personal_total == total` for every case.
//!
//! # Cumulative state, order, corrections
//!
//! [`YearToDate`] is everything the rules carry from one case to the next within a person's
//! coverage year, and nothing else. Settling cases one after another, each with the previous
//! result's state, *is* the annual rule: there is no separate year-end computation. Order
//! matters (an earlier case uses up the deductible, the assistance cap and the personal cap),
//! so it is fixed: **cases settle in arrival order**, the order the service settles them in,
//! recorded as the increasing case id (settlements of one person-year are serialised on its
//! row, so that order is the commit order). The discharge date plays no part: a claim for an
//! early stay that arrives after a later one settles after it, against the state the later
//! one left. Why not discharge-date order: one-stop settlement (一站式结算) fixes what the
//! person pays at the discharge desk, and the layers pay the institution then; ordering by
//! discharge date would mean re-settling, after the fact, cases already paid and collected
//! whenever a late claim (a manual, out-of-county reimbursement) arrives. Arrival order
//! keeps every settled figure final and is reproducible: [`settle_all`] over a person-year's
//! cases in case-id order gives exactly the stored figures. [`settle`] is a pure function:
//! re-settling a claim with the same state gives the same answer.
//!
//! A settlement is never overwritten. A reversal is a negative settlement
//! ([`Settlement::negated`]) that, applied to the state, restores it: [`reverse`] does that
//! exactly for the **latest** settlement of the year. An earlier case cannot be reversed on
//! its own, because the cases after it were settled against a state that included it; to
//! correct or remove it, reverse back to it (or equivalently re-settle the year's remaining
//! cases in order with [`settle_all`]) and record the differences as reversal + new
//! settlement for each claim whose layers changed.

use serde::{Deserialize, Serialize};

use super::money::apply_bp;
use super::policy::{BasicTerms, InstitutionLevel, Policy, PolicyViolation};

/// One hospital case (a claim) as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Case {
    /// Whole cost of the case in fen: what is split between the layers and the person.
    pub total_fen: i64,
    /// Part of `total_fen` outside the policy list (政策范围外), in fen: paid by the person,
    /// shown separately, and left out of every layer, deductible, burden and cap.
    pub out_of_policy_fen: i64,
    /// Level of the treating institution: picks the basic deductible and rate.
    pub institution_level: InstitutionLevel,
    /// Whether the institution is in the county: picks the in/out-of-county basic terms, the
    /// poor's deductible reduction, and whether supplementary insurance (and its cap) applies.
    pub in_county: bool,
    /// Chronic-illness outpatient care (门诊慢特病) rather than inpatient care: has its own
    /// basic terms and its own "985" reimbursement target.
    pub chronic_outpatient: bool,
    /// The person is registered poor (建档立卡) for this case: the poor's terms, medical
    /// assistance and supplementary insurance apply only then.
    pub registered_poor: bool,
}

impl Case {
    /// The in-policy cost, `total − out_of_policy`, that the layers settle.
    #[must_use]
    pub const fn in_policy_fen(&self) -> i64 {
        self.total_fen - self.out_of_policy_fen
    }

    /// Checks the amounts.
    ///
    /// # Errors
    /// [`SettleError::NegativeAmount`] or [`SettleError::OutOfPolicyExceedsTotal`].
    pub const fn validate(&self) -> Result<(), SettleError> {
        if self.total_fen < 0 {
            return Err(SettleError::NegativeAmount {
                field: "total_fen",
                value: self.total_fen,
            });
        }
        if self.out_of_policy_fen < 0 {
            return Err(SettleError::NegativeAmount {
                field: "out_of_policy_fen",
                value: self.out_of_policy_fen,
            });
        }
        if self.out_of_policy_fen > self.total_fen {
            return Err(SettleError::OutOfPolicyExceedsTotal {
                out_of_policy_fen: self.out_of_policy_fen,
                total_fen: self.total_fen,
            });
        }
        Ok(())
    }
}

/// A person's cumulative state within one coverage year: exactly what the rules carry from
/// one case to the next. Starts at [`YearToDate::default`] (all zero) each coverage year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct YearToDate {
    /// In-policy cost charged to the basic deductible so far this year, in fen. The basic
    /// deductible is annual, so a case owes only `deductible − this` (never below zero).
    pub basic_deductible_used_fen: i64,
    /// Cumulative in-policy personal burden after basic insurance (`in_policy − basic`, summed
    /// over the year's cases), in fen. Serious-illness insurance pays on the part of it above
    /// its deductible, so this also says how much of that deductible is used.
    pub serious_burden_fen: i64,
    /// Medical assistance paid so far this year, in fen: assistance stops at its annual cap.
    pub assistance_paid_fen: i64,
    /// The person's own in-policy payment so far this year for in-county care settled as
    /// registered poor, in fen (after all four layers): supplementary insurance keeps it at
    /// or below the annual personal cap.
    pub in_county_personal_fen: i64,
}

/// What one settlement added to each [`YearToDate`] counter (negative in a reversal). Kept in
/// the settlement so that the latest one can be undone exactly and audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct YtdDelta {
    /// In-policy cost of this case charged to the basic deductible.
    pub basic_deductible_used_fen: i64,
    /// This case's in-policy personal burden after basic insurance (counted toward serious
    /// illness).
    pub serious_burden_fen: i64,
    /// Medical assistance paid for this case (counted toward its cap).
    pub assistance_paid_fen: i64,
    /// Personal in-policy payment of this case counted toward the annual personal cap (the
    /// whole personal in-policy payment for a registered-poor in-county case, else 0).
    pub in_county_personal_fen: i64,
}

impl YtdDelta {
    fn negated(self) -> Self {
        Self {
            basic_deductible_used_fen: -self.basic_deductible_used_fen,
            serious_burden_fen: -self.serious_burden_fen,
            assistance_paid_fen: -self.assistance_paid_fen,
            in_county_personal_fen: -self.in_county_personal_fen,
        }
    }
}

impl YearToDate {
    /// Checks that no counter is negative.
    ///
    /// # Errors
    /// [`SettleError::NegativeState`] naming the first negative counter.
    pub const fn validate(&self) -> Result<(), SettleError> {
        let fields = [
            ("basic_deductible_used_fen", self.basic_deductible_used_fen),
            ("serious_burden_fen", self.serious_burden_fen),
            ("assistance_paid_fen", self.assistance_paid_fen),
            ("in_county_personal_fen", self.in_county_personal_fen),
        ];
        let mut i = 0;
        while i < fields.len() {
            let (field, value) = fields[i];
            if value < 0 {
                return Err(SettleError::NegativeState { field, value });
            }
            i += 1;
        }
        Ok(())
    }

    /// `self + delta`, or the name of the first counter that would overflow or go negative.
    fn apply(&self, d: &YtdDelta) -> Result<Self, &'static str> {
        fn add(a: i64, b: i64, field: &'static str) -> Result<i64, &'static str> {
            match a.checked_add(b) {
                Some(v) if v >= 0 => Ok(v),
                _ => Err(field),
            }
        }
        Ok(Self {
            basic_deductible_used_fen: add(
                self.basic_deductible_used_fen,
                d.basic_deductible_used_fen,
                "basic_deductible_used_fen",
            )?,
            serious_burden_fen: add(
                self.serious_burden_fen,
                d.serious_burden_fen,
                "serious_burden_fen",
            )?,
            assistance_paid_fen: add(
                self.assistance_paid_fen,
                d.assistance_paid_fen,
                "assistance_paid_fen",
            )?,
            in_county_personal_fen: add(
                self.in_county_personal_fen,
                d.in_county_personal_fen,
                "in_county_personal_fen",
            )?,
        })
    }
}

/// Hands the seven fen figures a settlement splits a case's cost into (each with its
/// doc) to `$callback! { $($head)* { <fields> } }`: the [`Settlement`] struct and the
/// store's `settlement_split` columns are both expanded from this one list, so a layer
/// added here is a field and a column at once (in this order, which is the tables' column
/// order).
macro_rules! with_split_fields {
    ($callback:path { $($head:tt)* }) => {
        $callback! { $($head)* {
            /// Layer 1, paid by basic medical insurance, in fen.
            pub basic_fen: i64,
            /// Layer 2, paid by serious-illness insurance, in fen.
            pub serious_fen: i64,
            /// Layer 3, paid by medical assistance, in fen (0 unless registered poor).
            pub assistance_fen: i64,
            /// Layer 4, paid by supplementary insurance, in fen (0 unless registered poor
            /// and in county).
            pub supplementary_fen: i64,
            /// What the person pays of the in-policy cost, in fen: the figure the
            /// 5,000-yuan cap is about (the over-cap check reads a person-year's).
            pub personal_in_policy_fen: i64,
            /// What the person pays of the out-of-policy cost, in fen: all of it, shown
            /// separately.
            pub personal_out_of_policy_fen: i64,
            /// What the person pays in all, in fen (`personal_in_policy +
            /// personal_out_of_policy`).
            pub personal_total_fen: i64,
        } }
    };
}
pub(crate) use with_split_fields;

/// The [`Settlement`] struct around the split's fields and the year-to-date delta.
macro_rules! settlement_struct {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        $vis struct $name {
            $($fields)*
            /// What this settlement added to the year-to-date counters; makes [`reverse`]
            /// exact and shows how much of the deductible, burden and caps this case used.
            pub ytd_delta: YtdDelta,
        }
    };
}

with_split_fields! { settlement_struct {
    /// The settlement of one case: every layer, recorded.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
    pub struct Settlement
} }

impl Settlement {
    /// Paid by the four layers together, in fen.
    #[must_use]
    pub const fn reimbursed_fen(&self) -> i64 {
        self.basic_fen + self.serious_fen + self.assistance_fen + self.supplementary_fen
    }

    /// The reversal of this settlement: every amount and counter negated. Recorded next to
    /// the original (never replacing it), the two add up to zero.
    #[must_use]
    pub fn negated(&self) -> Self {
        Self {
            basic_fen: -self.basic_fen,
            serious_fen: -self.serious_fen,
            assistance_fen: -self.assistance_fen,
            supplementary_fen: -self.supplementary_fen,
            personal_in_policy_fen: -self.personal_in_policy_fen,
            personal_out_of_policy_fen: -self.personal_out_of_policy_fen,
            personal_total_fen: -self.personal_total_fen,
            ytd_delta: self.ytd_delta.negated(),
        }
    }
}

/// Why a case could not be settled. Nothing is settled when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettleError {
    /// A case amount is negative (the caller's mistake).
    #[error("case.{field} must not be negative (got {value} fen)")]
    NegativeAmount {
        /// The case field: `total_fen` or `out_of_policy_fen`.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// The out-of-policy part is larger than the whole (the caller's mistake).
    #[error(
        "case.out_of_policy_fen ({out_of_policy_fen} fen) exceeds case.total_fen ({total_fen} fen)"
    )]
    OutOfPolicyExceedsTotal {
        /// The out-of-policy amount given.
        out_of_policy_fen: i64,
        /// The total given.
        total_fen: i64,
    },
    /// A year-to-date counter is negative: the stored state is corrupt, not the request.
    #[error("year-to-date {field} must not be negative (got {value} fen)")]
    NegativeState {
        /// The counter.
        field: &'static str,
        /// Its value.
        value: i64,
    },
    /// A year-to-date counter would exceed `i64` fen.
    #[error("year-to-date {field} would overflow")]
    Overflow {
        /// The counter.
        field: &'static str,
    },
    /// The policy breaks the structural rules (a configuration error, not the request).
    #[error("policy is invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidPolicy(Vec<PolicyViolation>),
}

impl SettleError {
    /// The case field at fault when the caller sent a bad case (for a field violation in
    /// the API's error), `None` when the fault is the state or the configuration.
    #[must_use]
    pub const fn case_field(&self) -> Option<&'static str> {
        match self {
            Self::NegativeAmount { field, .. } => Some(field),
            Self::OutOfPolicyExceedsTotal { .. } => Some("out_of_policy_fen"),
            Self::NegativeState { .. } | Self::Overflow { .. } | Self::InvalidPolicy(_) => None,
        }
    }
}

/// A case of a year that could not be settled by [`settle_all`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("case {index}: {source}")]
pub struct CaseError {
    /// Position of the case in the slice given.
    pub index: usize,
    /// Why it could not be settled.
    #[source]
    pub source: SettleError,
}

/// Why [`reverse`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReverseError {
    /// Undoing the settlement would make a counter negative: it was not applied to this state.
    #[error("settlement was not applied to this year-to-date state ({field} would go negative)")]
    NotApplied {
        /// The counter that would go negative.
        field: &'static str,
    },
}

/// The basic terms (deductible already scaled for the poor, and rate) that apply to a case.
fn basic_terms(policy: &Policy, case: &Case) -> (i64, u32) {
    let basic = &policy.basic;
    let row: &BasicTerms = if case.chronic_outpatient {
        &basic.chronic_outpatient
    } else if case.in_county {
        basic.in_county.get(case.institution_level)
    } else {
        basic.out_of_county.get(case.institution_level)
    };
    if case.registered_poor {
        let share = if case.in_county {
            basic.poor_deductible_in_county_bp
        } else {
            basic.poor_deductible_out_of_county_bp
        };
        (apply_bp(row.deductible_fen, share), row.poor_rate_bp)
    } else {
        (row.deductible_fen, row.rate_bp)
    }
}

/// The part of `amount` above `threshold`.
fn above(amount: i64, threshold: i64) -> i64 {
    amount.saturating_sub(threshold).max(0)
}

/// Settles one case against the person's year-to-date state and returns the settlement and
/// the new state. Pure and deterministic. See the module doc for the rules.
///
/// # Errors
/// [`SettleError`] for an invalid case (naming the field), a corrupt state, an overflowing
/// counter or an invalid policy. Nothing is settled then.
pub fn settle(
    policy: &Policy,
    ytd: &YearToDate,
    case: &Case,
) -> Result<(Settlement, YearToDate), SettleError> {
    policy.validate().map_err(SettleError::InvalidPolicy)?;
    case.validate()?;
    ytd.validate()?;

    let poor = case.registered_poor;
    let in_policy = case.in_policy_fen();

    // Layer 1: basic insurance, after what remains of the annual deductible.
    let (deductible, basic_rate) = basic_terms(policy, case);
    let deductible_charged = above(deductible, ytd.basic_deductible_used_fen).min(in_policy);
    let basic = apply_bp(in_policy - deductible_charged, basic_rate);
    let burden = in_policy - basic;

    // Layer 2: serious illness, on what this case adds to the year's burden above its deductible.
    let serious_terms = &policy.serious_illness;
    let (serious_deductible, serious_rate) = if poor {
        (
            serious_terms.poor_deductible_fen,
            serious_terms.poor_rate_bp,
        )
    } else {
        (serious_terms.deductible_fen, serious_terms.rate_bp)
    };
    let burden_before = ytd.serious_burden_fen;
    let burden_after = burden_before
        .checked_add(burden)
        .ok_or(SettleError::Overflow {
            field: "serious_burden_fen",
        })?;
    let serious_base =
        above(burden_after, serious_deductible) - above(burden_before, serious_deductible);
    let serious = apply_bp(serious_base, serious_rate);
    let after_serious = burden - serious;

    // Layer 3: medical assistance, within its annual cap.
    let assistance = if poor {
        let terms = &policy.medical_assistance;
        let room = above(terms.annual_cap_fen, ytd.assistance_paid_fen);
        apply_bp(after_serious, terms.rate_bp).min(room)
    } else {
        0
    };
    let after_assistance = after_serious - assistance;

    // Layer 4: supplementary ("985"), in-county care of the registered poor.
    let capped = poor && case.in_county;
    let supplementary = if capped {
        let terms = &policy.supplementary;
        let target_bp = if case.chronic_outpatient {
            terms.chronic_outpatient_target_bp
        } else {
            terms.inpatient_target_bp
        };
        let reimbursed = basic + serious + assistance;
        let to_target = above(apply_bp(in_policy, target_bp), reimbursed);
        let room = above(terms.annual_personal_cap_fen, ytd.in_county_personal_fen);
        let to_cap = above(after_assistance, room);
        to_target.max(to_cap).min(after_assistance)
    } else {
        0
    };
    let personal_in_policy = after_assistance - supplementary;

    let ytd_delta = YtdDelta {
        basic_deductible_used_fen: deductible_charged,
        serious_burden_fen: burden,
        assistance_paid_fen: assistance,
        in_county_personal_fen: if capped { personal_in_policy } else { 0 },
    };
    let next = ytd
        .apply(&ytd_delta)
        .map_err(|field| SettleError::Overflow { field })?;

    let settlement = Settlement {
        basic_fen: basic,
        serious_fen: serious,
        assistance_fen: assistance,
        supplementary_fen: supplementary,
        personal_in_policy_fen: personal_in_policy,
        personal_out_of_policy_fen: case.out_of_policy_fen,
        personal_total_fen: personal_in_policy + case.out_of_policy_fen,
        ytd_delta,
    };
    Ok((settlement, next))
}

/// Settles a person's coverage year from the start: `cases` in the order given, each
/// against the state the previous one left. Returns every settlement and the year's final
/// state. This is how a year is recomputed after a correction; it is deterministic.
///
/// # Errors
/// [`CaseError`] naming the first case that could not be settled.
pub fn settle_all(
    policy: &Policy,
    cases: &[Case],
) -> Result<(Vec<Settlement>, YearToDate), CaseError> {
    let mut ytd = YearToDate::default();
    let mut settlements = Vec::with_capacity(cases.len());
    for (index, case) in cases.iter().enumerate() {
        let (settlement, next) =
            settle(policy, &ytd, case).map_err(|source| CaseError { index, source })?;
        settlements.push(settlement);
        ytd = next;
    }
    Ok((settlements, ytd))
}

/// Undoes the latest settlement: given the state right after `settlement` was applied,
/// returns the state right before it, exactly. (For an earlier settlement, see the module
/// doc: reverse back to it, or re-settle the remaining cases with [`settle_all`].)
///
/// # Errors
/// [`ReverseError::NotApplied`] when undoing would make a counter negative, which means the
/// settlement was not applied to this state.
pub fn reverse(ytd: &YearToDate, settlement: &Settlement) -> Result<YearToDate, ReverseError> {
    ytd.apply(&settlement.ytd_delta.negated())
        .map_err(|field| ReverseError::NotApplied { field })
}

#[cfg(test)]
mod tests;

//! The relocation timeline of one household and the move-in rule.
//!
//! Milestones happen in this order, and none may be recorded before it happens:
//!
//! construction start ≤ completion ≤ acceptance ≤ key handover ≤ moved in ≤ old house
//! demolished ≤ reclamation accepted.
//!
//! A milestone may be missing (not reached yet, or not applicable: a family moving in with
//! relatives has no construction start). Order is checked among the recorded ones: each
//! recorded milestone must not be earlier than any recorded milestone before it in the chain.
//!
//! Missing is not a way around the order on the move-in path, though: completion →
//! acceptance → key handover → moved in is a sequence of prerequisites
//! ([`validate_prerequisites`]). A later step may only be on record when every step before
//! it is, so a household never counts as moved in without a completed, accepted house. The
//! site type decides the last link (DOMAIN.md §6): a centralized site moves in at key
//! handover, so moving in needs the handover; a scattered household moves in once the house
//! passed and the family lives there, so moving in needs acceptance, and a key handover,
//! when there is one, still comes after acceptance.
//!
//! A date in the future is a malformed value ([`ViolationKind::InvalidArgument`](super::ViolationKind::InvalidArgument));
//! a date out of order breaks the timeline rule ([`ViolationKind::FailedPrecondition`](super::ViolationKind::FailedPrecondition)).

use chrono::NaiveDate;

use super::rules::MILESTONE_ORDER;
use super::site::SiteType;
use super::{FieldViolation, in_future, into_result};

/// One step of the timeline, in chain order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Milestone {
    /// Building of the new house started.
    ConstructionStart,
    /// Building finished.
    Completion,
    /// The house passed acceptance inspection.
    Acceptance,
    /// Keys handed to the family (centralized sites count as moved in from here).
    KeyHandover,
    /// The family lives in the new house.
    MovedIn,
    /// The old house was demolished.
    Demolished,
    /// Reclamation of the old homestead was accepted.
    ReclamationAccepted,
}

impl Milestone {
    /// All milestones in chain order.
    pub const ALL: [Milestone; 7] = [
        Milestone::ConstructionStart,
        Milestone::Completion,
        Milestone::Acceptance,
        Milestone::KeyHandover,
        Milestone::MovedIn,
        Milestone::Demolished,
        Milestone::ReclamationAccepted,
    ];

    /// The field name in requests and violations.
    pub fn field(self) -> &'static str {
        match self {
            Milestone::ConstructionStart => "construction_start",
            Milestone::Completion => "completion",
            Milestone::Acceptance => "acceptance",
            Milestone::KeyHandover => "key_handover",
            Milestone::MovedIn => "moved_in",
            Milestone::Demolished => "demolished",
            Milestone::ReclamationAccepted => "reclamation_accepted",
        }
    }
}

/// The dates a household reached each milestone; `None` until reached (or when not applicable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Milestones {
    /// Construction of the new house started; first step of the timeline.
    pub construction_start: Option<NaiveDate>,
    /// Construction finished; the house can then be inspected.
    pub completion: Option<NaiveDate>,
    /// Acceptance inspection passed; a scattered house must pass before it counts as moved in.
    pub acceptance: Option<NaiveDate>,
    /// Keys handed over; a centralized site counts as moved in from this day.
    pub key_handover: Option<NaiveDate>,
    /// The family lives in the new house; required for a scattered site to count as moved in.
    pub moved_in: Option<NaiveDate>,
    /// Old house demolished; clears the demolition obligation.
    pub demolished: Option<NaiveDate>,
    /// Reclamation of the old homestead accepted; the land counts toward the reclaimed total.
    pub reclamation_accepted: Option<NaiveDate>,
}

impl Milestones {
    /// The date of milestone `m`.
    pub fn get(&self, m: Milestone) -> Option<NaiveDate> {
        match m {
            Milestone::ConstructionStart => self.construction_start,
            Milestone::Completion => self.completion,
            Milestone::Acceptance => self.acceptance,
            Milestone::KeyHandover => self.key_handover,
            Milestone::MovedIn => self.moved_in,
            Milestone::Demolished => self.demolished,
            Milestone::ReclamationAccepted => self.reclamation_accepted,
        }
    }

    /// Set the date of milestone `m`.
    pub fn set(&mut self, m: Milestone, date: Option<NaiveDate>) {
        let slot = match m {
            Milestone::ConstructionStart => &mut self.construction_start,
            Milestone::Completion => &mut self.completion,
            Milestone::Acceptance => &mut self.acceptance,
            Milestone::KeyHandover => &mut self.key_handover,
            Milestone::MovedIn => &mut self.moved_in,
            Milestone::Demolished => &mut self.demolished,
            Milestone::ReclamationAccepted => &mut self.reclamation_accepted,
        };
        *slot = date;
    }
}

/// Check the timeline: no date after `today` (invalid argument), and each recorded
/// milestone not earlier than any recorded predecessor (failed precondition, reported on
/// the later milestone and naming the latest predecessor it precedes).
pub fn validate_milestones(m: &Milestones, today: NaiveDate) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    // The latest recorded predecessor so far: (milestone, date).
    let mut latest: Option<(Milestone, NaiveDate)> = None;
    for step in Milestone::ALL {
        let Some(date) = m.get(step) else { continue };
        v.extend(in_future(step.field(), step.field(), date, today));
        match latest {
            Some((before, before_date)) if date < before_date => {
                v.push(FieldViolation::rule(
                    MILESTONE_ORDER,
                    step.field(),
                    format!(
                        "{} {date} is before {} {before_date}",
                        step.field(),
                        before.field()
                    ),
                ));
            }
            _ => latest = Some((step, date)),
        }
    }
    into_result(v)
}

/// The milestones that must be on record before `step` may be, at a site of `site_type`
/// (see the module doc). Construction start, demolition and reclamation have none here:
/// a family moving in with relatives builds nothing, and the old house's steps follow the
/// move-in by their own rules.
pub fn prerequisites(site_type: SiteType, step: Milestone) -> &'static [Milestone] {
    use Milestone::{Acceptance, Completion, KeyHandover};
    match (step, site_type) {
        (Milestone::Acceptance, _) => &[Completion],
        (Milestone::KeyHandover, _) => &[Completion, Acceptance],
        (Milestone::MovedIn, SiteType::Centralized(_)) => &[Completion, Acceptance, KeyHandover],
        (Milestone::MovedIn, SiteType::Scattered(_)) => &[Completion, Acceptance],
        _ => &[],
    }
}

/// Check that no milestone is on record while one of its [`prerequisites`] is missing.
/// Each missing prerequisite is one failed precondition on the *missing* milestone's field
/// (what the caller has to supply), naming the first recorded step that needs it; nothing
/// is reported for a chain that stops early.
pub fn validate_prerequisites(
    site_type: SiteType,
    m: &Milestones,
) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    for missing in Milestone::ALL.into_iter().filter(|s| m.get(*s).is_none()) {
        let needed_by = Milestone::ALL.into_iter().find_map(|later| {
            let date = m.get(later)?;
            prerequisites(site_type, later)
                .contains(&missing)
                .then_some((later, date))
        });
        if let Some((later, date)) = needed_by {
            v.push(FieldViolation::rule(
                MILESTONE_ORDER,
                missing.field(),
                format!(
                    "{} {date} is recorded but {} is not: completion, acceptance, key handover \
                     and moving in happen in that order; record {} first",
                    later.field(),
                    missing.field(),
                    missing.field()
                ),
            ));
        }
    }
    into_result(v)
}

/// The day the household counts as moved in, if it does: for a centralized site the key
/// handover (or, for a record stored before [`validate_prerequisites`] held on every write
/// path, the moved-in date when no handover is on record); for a scattered site the later
/// of acceptance and moved in, both required.
pub fn moved_in_on(site_type: SiteType, m: &Milestones) -> Option<NaiveDate> {
    match site_type {
        SiteType::Centralized(_) => m.key_handover.or(m.moved_in),
        SiteType::Scattered(_) => match (m.acceptance, m.moved_in) {
            (Some(a), Some(i)) => Some(a.max(i)),
            _ => None,
        },
    }
}

/// Whether the household counts as moved in: centralized at key handover; scattered once
/// the house passed acceptance and the family lives there.
pub fn is_moved_in(site_type: SiteType, m: &Milestones) -> bool {
    moved_in_on(site_type, m).is_some()
}

#[cfg(test)]
pub(crate) fn full_chain(start: NaiveDate) -> Milestones {
    let at = |days: u64| Some(start + chrono::Days::new(days));
    Milestones {
        construction_start: at(0),
        completion: at(180),
        acceptance: at(200),
        key_handover: at(210),
        moved_in: at(220),
        demolished: at(300),
        reclamation_accepted: at(400),
    }
}

#[cfg(test)]
mod tests;

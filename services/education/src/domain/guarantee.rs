//! Whether a student's status counts as guaranteed (有保障), from the status and the facts
//! some statuses need (letters, home-teaching visits).
//!
//! | status | guaranteed when |
//! |---|---|
//! | in school in the county, special school, inclusive class | always |
//! | in school outside the county / province | a notification letter has a reply or proof |
//! | home teaching | at least one visit logged this school year |
//! | deferral | approval reference given, in effect (approved, not expired) and no longer than the maximum |
//! | exemption (health) | approval reference and reason given, approved on or before today |
//! | dropped out, never enrolled | never: a return-to-school case is needed |

use chrono::NaiveDate;

use super::home_teaching::HomeTeachingLog;
use super::is_blank;
use super::letters::Letter;
use super::policy::Policy;
use super::status::{StudentStatus, deferral_limit};

/// Facts from outside the status itself that some statuses need to count as guaranteed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuaranteeFacts {
    /// Notification letters about the child's current placement; for a child outside the
    /// county or province one of them must have a reply or proof.
    pub letters: Vec<Letter>,
    /// Home-teaching totals for the current school year; a child in home teaching needs
    /// at least one visit.
    pub home_teaching: HomeTeachingLog,
}

/// Why a status is or is not guaranteed; one value per outcome, so the API and the
/// summary can count exceptions by cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// In school in the county.
    InSchoolInCounty,
    /// In school elsewhere, confirmed by a letter's reply or a proof.
    ElsewhereConfirmed,
    /// In school elsewhere, but no letter was sent.
    ElsewhereNoLetter,
    /// In school elsewhere, letter sent but neither reply nor proof yet.
    ElsewhereUnconfirmed,
    /// At a special-education school.
    SpecialSchool,
    /// In an inclusive class.
    InclusiveClass,
    /// In home teaching with visits logged this school year.
    HomeTeachingVisited,
    /// In home teaching but no visit logged this school year.
    HomeTeachingNoVisit,
    /// Deferral approved and in effect.
    DeferralApproved,
    /// Deferral without an approval reference.
    DeferralNotApproved,
    /// Deferral whose period ends before it starts.
    DeferralInvalidPeriod,
    /// Deferral longer than the policy maximum.
    DeferralTooLong,
    /// Deferral approved on a day after today.
    DeferralNotYetInEffect,
    /// Deferral past its last day.
    DeferralExpired,
    /// Exemption approved.
    ExemptionApproved,
    /// Exemption without an approval reference or reason.
    ExemptionNotApproved,
    /// Exemption approved on a day after today.
    ExemptionNotYetInEffect,
    /// Dropped out: needs a return-to-school case.
    DroppedOut,
    /// Never enrolled: needs a return-to-school case.
    NeverEnrolled,
}

impl Reason {
    /// Stable snake_case name, for messages and mapping to the contract.
    pub fn name(self) -> &'static str {
        match self {
            Reason::InSchoolInCounty => "in_school_in_county",
            Reason::ElsewhereConfirmed => "elsewhere_confirmed",
            Reason::ElsewhereNoLetter => "elsewhere_no_letter",
            Reason::ElsewhereUnconfirmed => "elsewhere_unconfirmed",
            Reason::SpecialSchool => "special_school",
            Reason::InclusiveClass => "inclusive_class",
            Reason::HomeTeachingVisited => "home_teaching_visited",
            Reason::HomeTeachingNoVisit => "home_teaching_no_visit",
            Reason::DeferralApproved => "deferral_approved",
            Reason::DeferralNotApproved => "deferral_not_approved",
            Reason::DeferralInvalidPeriod => "deferral_invalid_period",
            Reason::DeferralTooLong => "deferral_too_long",
            Reason::DeferralNotYetInEffect => "deferral_not_yet_in_effect",
            Reason::DeferralExpired => "deferral_expired",
            Reason::ExemptionApproved => "exemption_approved",
            Reason::ExemptionNotApproved => "exemption_not_approved",
            Reason::ExemptionNotYetInEffect => "exemption_not_yet_in_effect",
            Reason::DroppedOut => "dropped_out",
            Reason::NeverEnrolled => "never_enrolled",
        }
    }
}

/// The verdict for one child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guarantee {
    /// Whether the child's compulsory education counts as guaranteed today.
    pub guaranteed: bool,
    /// Why, so an exception can be acted on and counted by cause.
    pub reason: Reason,
}

impl Guarantee {
    fn yes(reason: Reason) -> Self {
        Guarantee {
            guaranteed: true,
            reason,
        }
    }

    fn no(reason: Reason) -> Self {
        Guarantee {
            guaranteed: false,
            reason,
        }
    }

    /// Not guaranteed for the first refusal whose condition holds (checked in order, so
    /// the reason given is the first thing to fix), otherwise guaranteed for `approved`.
    fn unless<const N: usize>(approved: Reason, refusals: [(bool, Reason); N]) -> Self {
        refusals
            .into_iter()
            .find_map(|(refused, reason)| refused.then(|| Guarantee::no(reason)))
            .unwrap_or(Guarantee::yes(approved))
    }
}

/// Whether `status` counts as guaranteed on `today` (see the module table).
pub fn guarantee(
    status: &StudentStatus,
    facts: &GuaranteeFacts,
    today: NaiveDate,
    p: &Policy,
) -> Guarantee {
    match status {
        StudentStatus::InCounty => Guarantee::yes(Reason::InSchoolInCounty),
        StudentStatus::SpecialSchool => Guarantee::yes(Reason::SpecialSchool),
        StudentStatus::InclusiveClass => Guarantee::yes(Reason::InclusiveClass),
        StudentStatus::OutsideCounty | StudentStatus::OutsideProvince => {
            let sent: Vec<&Letter> = facts
                .letters
                .iter()
                .filter(|l| l.sent_on <= today)
                .collect();
            if sent.iter().any(|l| l.confirms_enrolment(today)) {
                Guarantee::yes(Reason::ElsewhereConfirmed)
            } else if sent.is_empty() {
                Guarantee::no(Reason::ElsewhereNoLetter)
            } else {
                Guarantee::no(Reason::ElsewhereUnconfirmed)
            }
        }
        StudentStatus::HomeTeaching => Guarantee::unless(
            Reason::HomeTeachingVisited,
            [(facts.home_teaching.visits == 0, Reason::HomeTeachingNoVisit)],
        ),
        StudentStatus::Deferral {
            approved_on,
            expires_on,
            approval_ref,
        } => Guarantee::unless(
            Reason::DeferralApproved,
            [
                (is_blank(approval_ref), Reason::DeferralNotApproved),
                (expires_on < approved_on, Reason::DeferralInvalidPeriod),
                (
                    *expires_on > deferral_limit(*approved_on, p),
                    Reason::DeferralTooLong,
                ),
                (*approved_on > today, Reason::DeferralNotYetInEffect),
                (today > *expires_on, Reason::DeferralExpired),
            ],
        ),
        StudentStatus::Exemption {
            approved_on,
            approval_ref,
            reason,
        } => Guarantee::unless(
            Reason::ExemptionApproved,
            [
                (
                    is_blank(approval_ref) || is_blank(reason),
                    Reason::ExemptionNotApproved,
                ),
                (*approved_on > today, Reason::ExemptionNotYetInEffect),
            ],
        ),
        StudentStatus::DroppedOut => Guarantee::no(Reason::DroppedOut),
        StudentStatus::NeverEnrolled => Guarantee::no(Reason::NeverEnrolled),
    }
}

#[cfg(test)]
mod tests;

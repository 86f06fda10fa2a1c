//! A student's enrolment status and whether it counts as guaranteed (有保障).
//!
//! | status | guaranteed when |
//! |---|---|
//! | in school in the county, special school, inclusive class | always |
//! | in school outside the county / province | a notification letter has a reply or proof |
//! | home teaching | at least one visit logged this school year |
//! | deferral | approval reference given, in effect (approved, not expired) and no longer than the maximum |
//! | exemption (health) | approval reference and reason given, approved on or before today |
//! | dropped out, never enrolled | never: a return-to-school case is needed |

use chrono::{Months, NaiveDate};

use super::home_teaching::HomeTeachingLog;
use super::letters::Letter;
use super::policy::Policy;
use super::{FieldViolation, into_result, is_blank};

/// Where and how a compulsory-age child is (or is not) being educated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StudentStatus {
    /// In school in the county (县内就读).
    InCounty,
    /// In school in another county of the province; needs a confirmed notification letter.
    OutsideCounty,
    /// In school in another province; needs a confirmed notification letter.
    OutsideProvince,
    /// At a special-education school (特殊教育学校).
    SpecialSchool,
    /// In an ordinary class with support (随班就读).
    InclusiveClass,
    /// Taught at home by visiting teachers (送教上门); needs a visit log.
    HomeTeaching,
    /// Deferred entry or attendance (缓学), approved for a limited period.
    Deferral {
        /// Day the deferral was approved; it is in effect from this day.
        approved_on: NaiveDate,
        /// Last day the deferral covers; afterwards the child must be back in school.
        expires_on: NaiveDate,
        /// Reference of the approval document; a deferral without one is not approved.
        approval_ref: String,
    },
    /// Exempted from attendance for health reasons (免学), approved.
    Exemption {
        /// Day the exemption was approved.
        approved_on: NaiveDate,
        /// Reference of the approval document; without one the exemption is not approved.
        approval_ref: String,
        /// The health reason, required because only health reasons justify an exemption.
        reason: String,
    },
    /// Left school before completing compulsory education (辍学).
    DroppedOut,
    /// Never enrolled in school (失学).
    NeverEnrolled,
}

impl StudentStatus {
    /// Stable snake_case name, for messages and for mapping to the contract's enum.
    pub fn name(&self) -> &'static str {
        match self {
            StudentStatus::InCounty => "in_county",
            StudentStatus::OutsideCounty => "outside_county",
            StudentStatus::OutsideProvince => "outside_province",
            StudentStatus::SpecialSchool => "special_school",
            StudentStatus::InclusiveClass => "inclusive_class",
            StudentStatus::HomeTeaching => "home_teaching",
            StudentStatus::Deferral { .. } => "deferral",
            StudentStatus::Exemption { .. } => "exemption",
            StudentStatus::DroppedOut => "dropped_out",
            StudentStatus::NeverEnrolled => "never_enrolled",
        }
    }

    /// Whether the child is out of school and needs a return-to-school case (劝返).
    pub fn needs_return_case(&self) -> bool {
        matches!(
            self,
            StudentStatus::DroppedOut | StudentStatus::NeverEnrolled
        )
    }
}

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
}

/// The last day a deferral approved on `approved_on` may cover: `deferral_max_months`
/// later (month ends clamp, e.g. 31 January + 1 month = 28/29 February).
pub fn deferral_limit(approved_on: NaiveDate, p: &Policy) -> NaiveDate {
    approved_on
        .checked_add_months(Months::new(p.deferral_max_months))
        .unwrap_or(NaiveDate::MAX)
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
        StudentStatus::HomeTeaching => {
            if facts.home_teaching.visits > 0 {
                Guarantee::yes(Reason::HomeTeachingVisited)
            } else {
                Guarantee::no(Reason::HomeTeachingNoVisit)
            }
        }
        StudentStatus::Deferral {
            approved_on,
            expires_on,
            approval_ref,
        } => {
            if is_blank(approval_ref) {
                Guarantee::no(Reason::DeferralNotApproved)
            } else if expires_on < approved_on {
                Guarantee::no(Reason::DeferralInvalidPeriod)
            } else if *expires_on > deferral_limit(*approved_on, p) {
                Guarantee::no(Reason::DeferralTooLong)
            } else if *approved_on > today {
                Guarantee::no(Reason::DeferralNotYetInEffect)
            } else if today > *expires_on {
                Guarantee::no(Reason::DeferralExpired)
            } else {
                Guarantee::yes(Reason::DeferralApproved)
            }
        }
        StudentStatus::Exemption {
            approved_on,
            approval_ref,
            reason,
        } => {
            if is_blank(approval_ref) || is_blank(reason) {
                Guarantee::no(Reason::ExemptionNotApproved)
            } else if *approved_on > today {
                Guarantee::no(Reason::ExemptionNotYetInEffect)
            } else {
                Guarantee::yes(Reason::ExemptionApproved)
            }
        }
        StudentStatus::DroppedOut => Guarantee::no(Reason::DroppedOut),
        StudentStatus::NeverEnrolled => Guarantee::no(Reason::NeverEnrolled),
    }
}

/// Validate a status before it is recorded: a deferral needs its approval data, a period
/// that ends after it starts, no approval date in the future and no more than the maximum
/// length; an exemption needs its approval reference, its reason and no future date.
/// Field paths are relative to the status message (`deferral.*`, `exemption.*`).
pub fn validate_status(
    status: &StudentStatus,
    today: NaiveDate,
    p: &Policy,
) -> Result<(), Vec<FieldViolation>> {
    let mut v = Vec::new();
    match status {
        StudentStatus::Deferral {
            approved_on,
            expires_on,
            approval_ref,
        } => {
            if is_blank(approval_ref) {
                v.push(FieldViolation::invalid(
                    "deferral.approval_ref",
                    "a deferral needs the reference of its approval",
                ));
            }
            if *approved_on > today {
                v.push(FieldViolation::invalid(
                    "deferral.approved_on",
                    format!("approval date {approved_on} is in the future"),
                ));
            }
            if expires_on < approved_on {
                v.push(FieldViolation::invalid(
                    "deferral.expires_on",
                    format!("expiry {expires_on} is before the approval date {approved_on}"),
                ));
            } else if *expires_on > deferral_limit(*approved_on, p) {
                v.push(FieldViolation::precondition(
                    "deferral.expires_on",
                    format!(
                        "a deferral may cover at most {} months (until {}); renew it with a new approval",
                        p.deferral_max_months,
                        deferral_limit(*approved_on, p)
                    ),
                ));
            }
        }
        StudentStatus::Exemption {
            approved_on,
            approval_ref,
            reason,
        } => {
            if is_blank(approval_ref) {
                v.push(FieldViolation::invalid(
                    "exemption.approval_ref",
                    "an exemption needs the reference of its approval",
                ));
            }
            if is_blank(reason) {
                v.push(FieldViolation::invalid(
                    "exemption.reason",
                    "an exemption needs its health reason",
                ));
            }
            if *approved_on > today {
                v.push(FieldViolation::invalid(
                    "exemption.approved_on",
                    format!("approval date {approved_on} is in the future"),
                ));
            }
        }
        _ => {}
    }
    into_result(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ViolationKind;
    use crate::domain::letters::letter;
    use crate::domain::policy::test_policy;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn no_facts() -> GuaranteeFacts {
        GuaranteeFacts::default()
    }

    fn deferral(approved_on: NaiveDate, expires_on: NaiveDate, r: &str) -> StudentStatus {
        StudentStatus::Deferral {
            approved_on,
            expires_on,
            approval_ref: r.to_string(),
        }
    }

    fn exemption(approved_on: NaiveDate, r: &str, reason: &str) -> StudentStatus {
        StudentStatus::Exemption {
            approved_on,
            approval_ref: r.to_string(),
            reason: reason.to_string(),
        }
    }

    fn today() -> NaiveDate {
        d(2019, 11, 1)
    }

    #[test]
    fn always_guaranteed_statuses() {
        let p = test_policy();
        for (s, r) in [
            (StudentStatus::InCounty, Reason::InSchoolInCounty),
            (StudentStatus::SpecialSchool, Reason::SpecialSchool),
            (StudentStatus::InclusiveClass, Reason::InclusiveClass),
        ] {
            assert_eq!(
                guarantee(&s, &no_facts(), today(), &p),
                Guarantee {
                    guaranteed: true,
                    reason: r
                }
            );
        }
    }

    #[test]
    fn outside_needs_letter_with_reply_or_proof() {
        let p = test_policy();
        for s in [StudentStatus::OutsideCounty, StudentStatus::OutsideProvince] {
            assert_eq!(
                guarantee(&s, &no_facts(), today(), &p),
                Guarantee {
                    guaranteed: false,
                    reason: Reason::ElsewhereNoLetter
                }
            );
            let mut facts = GuaranteeFacts {
                letters: vec![letter(d(2019, 9, 2), None)],
                ..no_facts()
            };
            assert_eq!(
                guarantee(&s, &facts, today(), &p),
                Guarantee {
                    guaranteed: false,
                    reason: Reason::ElsewhereUnconfirmed
                }
            );
            facts
                .letters
                .push(letter(d(2019, 9, 3), Some(d(2019, 9, 20))));
            assert_eq!(
                guarantee(&s, &facts, today(), &p),
                Guarantee {
                    guaranteed: true,
                    reason: Reason::ElsewhereConfirmed
                }
            );
            let mut proof_only = letter(d(2019, 9, 2), None);
            proof_only.proof_ref = Some("学籍证明".to_string());
            let facts = GuaranteeFacts {
                letters: vec![proof_only],
                ..no_facts()
            };
            assert!(guarantee(&s, &facts, today(), &p).guaranteed);
        }
    }

    #[test]
    fn letter_sent_after_today_counts_as_no_letter() {
        let p = test_policy();
        let facts = GuaranteeFacts {
            letters: vec![letter(d(2019, 12, 1), None)],
            ..no_facts()
        };
        assert_eq!(
            guarantee(&StudentStatus::OutsideCounty, &facts, today(), &p).reason,
            Reason::ElsewhereNoLetter
        );
    }

    #[test]
    fn home_teaching_needs_a_visit() {
        let p = test_policy();
        assert_eq!(
            guarantee(&StudentStatus::HomeTeaching, &no_facts(), today(), &p),
            Guarantee {
                guaranteed: false,
                reason: Reason::HomeTeachingNoVisit
            }
        );
        let facts = GuaranteeFacts {
            home_teaching: HomeTeachingLog {
                visits: 1,
                hours: 3,
            },
            ..no_facts()
        };
        assert_eq!(
            guarantee(&StudentStatus::HomeTeaching, &facts, today(), &p),
            Guarantee {
                guaranteed: true,
                reason: Reason::HomeTeachingVisited
            }
        );
    }

    #[test]
    fn deferral_exactly_twelve_months_is_guaranteed() {
        let p = test_policy();
        let s = deferral(d(2019, 9, 1), d(2020, 9, 1), "谷教缓〔2019〕3号");
        assert_eq!(deferral_limit(d(2019, 9, 1), &p), d(2020, 9, 1));
        assert_eq!(
            guarantee(&s, &no_facts(), today(), &p),
            Guarantee {
                guaranteed: true,
                reason: Reason::DeferralApproved
            }
        );
        assert_eq!(validate_status(&s, today(), &p), Ok(()));
    }

    #[test]
    fn deferral_thirteen_months_is_too_long() {
        let p = test_policy();
        let s = deferral(d(2019, 9, 1), d(2020, 10, 1), "谷教缓〔2019〕3号");
        assert_eq!(
            guarantee(&s, &no_facts(), today(), &p),
            Guarantee {
                guaranteed: false,
                reason: Reason::DeferralTooLong
            }
        );
        let err = validate_status(&s, today(), &p).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "deferral.expires_on");
        assert_eq!(err[0].kind, ViolationKind::FailedPrecondition);
        assert!(err[0].description.contains("12 months"));
        // One day over also counts as too long.
        let one_day = deferral(d(2019, 9, 1), d(2020, 9, 2), "r");
        assert_eq!(
            guarantee(&one_day, &no_facts(), today(), &p).reason,
            Reason::DeferralTooLong
        );
    }

    #[test]
    fn deferral_without_approval_is_not_guaranteed() {
        let p = test_policy();
        let s = deferral(d(2019, 9, 1), d(2020, 3, 1), "  ");
        assert_eq!(
            guarantee(&s, &no_facts(), today(), &p),
            Guarantee {
                guaranteed: false,
                reason: Reason::DeferralNotApproved
            }
        );
        let err = validate_status(&s, today(), &p).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].field, "deferral.approval_ref");
        assert_eq!(err[0].kind, ViolationKind::InvalidArgument);
    }

    #[test]
    fn deferral_expiry_is_inclusive() {
        let p = test_policy();
        let s = deferral(d(2019, 5, 1), d(2019, 11, 1), "r");
        assert!(guarantee(&s, &no_facts(), d(2019, 11, 1), &p).guaranteed);
        assert_eq!(
            guarantee(&s, &no_facts(), d(2019, 11, 2), &p),
            Guarantee {
                guaranteed: false,
                reason: Reason::DeferralExpired
            }
        );
    }

    #[test]
    fn deferral_not_yet_in_effect_and_invalid_period() {
        let p = test_policy();
        let future = deferral(d(2019, 12, 1), d(2020, 6, 1), "r");
        assert_eq!(
            guarantee(&future, &no_facts(), today(), &p).reason,
            Reason::DeferralNotYetInEffect
        );
        assert!(!guarantee(&future, &no_facts(), today(), &p).guaranteed);
        let backwards = deferral(d(2019, 9, 1), d(2019, 8, 1), "r");
        assert_eq!(
            guarantee(&backwards, &no_facts(), today(), &p),
            Guarantee {
                guaranteed: false,
                reason: Reason::DeferralInvalidPeriod
            }
        );
    }

    #[test]
    fn deferral_validation_reports_all_problems() {
        let p = test_policy();
        let s = deferral(d(2019, 12, 1), d(2019, 11, 30), "");
        let err = validate_status(&s, today(), &p).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "deferral.approval_ref",
                "deferral.approved_on",
                "deferral.expires_on"
            ]
        );
        assert!(err.iter().all(|v| v.kind == ViolationKind::InvalidArgument));
    }

    #[test]
    fn exemption_rules() {
        let p = test_policy();
        let ok = exemption(d(2019, 9, 1), "谷教免〔2019〕1号", "重度脑瘫");
        assert_eq!(
            guarantee(&ok, &no_facts(), today(), &p),
            Guarantee {
                guaranteed: true,
                reason: Reason::ExemptionApproved
            }
        );
        assert_eq!(validate_status(&ok, today(), &p), Ok(()));
        let no_reason = exemption(d(2019, 9, 1), "r", "");
        assert_eq!(
            guarantee(&no_reason, &no_facts(), today(), &p),
            Guarantee {
                guaranteed: false,
                reason: Reason::ExemptionNotApproved
            }
        );
        let no_ref = exemption(d(2019, 9, 1), "", "reason");
        assert_eq!(
            guarantee(&no_ref, &no_facts(), today(), &p).reason,
            Reason::ExemptionNotApproved
        );
        let future = exemption(d(2019, 12, 1), "r", "reason");
        assert_eq!(
            guarantee(&future, &no_facts(), today(), &p),
            Guarantee {
                guaranteed: false,
                reason: Reason::ExemptionNotYetInEffect
            }
        );
        let err = validate_status(&exemption(d(2019, 12, 1), " ", ""), today(), &p).unwrap_err();
        let fields: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "exemption.approval_ref",
                "exemption.reason",
                "exemption.approved_on"
            ]
        );
    }

    #[test]
    fn dropout_and_never_enrolled_are_not_guaranteed() {
        let p = test_policy();
        assert_eq!(
            guarantee(&StudentStatus::DroppedOut, &no_facts(), today(), &p),
            Guarantee {
                guaranteed: false,
                reason: Reason::DroppedOut
            }
        );
        assert_eq!(
            guarantee(&StudentStatus::NeverEnrolled, &no_facts(), today(), &p),
            Guarantee {
                guaranteed: false,
                reason: Reason::NeverEnrolled
            }
        );
        assert!(StudentStatus::DroppedOut.needs_return_case());
        assert!(StudentStatus::NeverEnrolled.needs_return_case());
        assert!(!StudentStatus::InCounty.needs_return_case());
    }

    #[test]
    fn statuses_without_extra_data_always_validate() {
        let p = test_policy();
        for s in [
            StudentStatus::InCounty,
            StudentStatus::OutsideCounty,
            StudentStatus::OutsideProvince,
            StudentStatus::SpecialSchool,
            StudentStatus::InclusiveClass,
            StudentStatus::HomeTeaching,
            StudentStatus::DroppedOut,
            StudentStatus::NeverEnrolled,
        ] {
            assert_eq!(validate_status(&s, today(), &p), Ok(()), "{}", s.name());
        }
    }

    #[test]
    fn names_are_distinct() {
        let names: std::collections::BTreeSet<&str> = [
            Reason::InSchoolInCounty,
            Reason::ElsewhereConfirmed,
            Reason::ElsewhereNoLetter,
            Reason::ElsewhereUnconfirmed,
            Reason::SpecialSchool,
            Reason::InclusiveClass,
            Reason::HomeTeachingVisited,
            Reason::HomeTeachingNoVisit,
            Reason::DeferralApproved,
            Reason::DeferralNotApproved,
            Reason::DeferralInvalidPeriod,
            Reason::DeferralTooLong,
            Reason::DeferralNotYetInEffect,
            Reason::DeferralExpired,
            Reason::ExemptionApproved,
            Reason::ExemptionNotApproved,
            Reason::ExemptionNotYetInEffect,
            Reason::DroppedOut,
            Reason::NeverEnrolled,
        ]
        .into_iter()
        .map(Reason::name)
        .collect();
        assert_eq!(names.len(), 19);
    }

    fn arb_date() -> impl Strategy<Value = NaiveDate> {
        (0u64..4000).prop_map(|n| d(2014, 1, 1) + chrono::Days::new(n))
    }

    fn arb_letter() -> impl Strategy<Value = Letter> {
        (
            arb_date(),
            proptest::option::of(arb_date()),
            proptest::option::of("[a-z ]{0,4}"),
        )
            .prop_map(|(sent, reply, proof)| {
                let mut l = letter(sent, reply);
                l.proof_ref = proof;
                l
            })
    }

    fn arb_facts() -> impl Strategy<Value = GuaranteeFacts> {
        (
            proptest::collection::vec(arb_letter(), 0..4),
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(|(letters, visits, hours)| GuaranteeFacts {
                letters,
                home_teaching: HomeTeachingLog { visits, hours },
            })
    }

    proptest! {
        #[test]
        fn out_of_school_is_never_guaranteed(facts in arb_facts(), today in arb_date()) {
            let p = test_policy();
            for s in [StudentStatus::DroppedOut, StudentStatus::NeverEnrolled] {
                let g = guarantee(&s, &facts, today, &p);
                prop_assert!(!g.guaranteed);
                prop_assert_eq!(g.reason.name(), s.name());
            }
        }

        #[test]
        fn deferral_within_max_and_in_effect_is_guaranteed(
            approved in arb_date(), len_days in 0u64..2000, offset in 0u64..2000
        ) {
            let p = test_policy();
            let expires = approved + chrono::Days::new(len_days);
            let today = approved + chrono::Days::new(offset);
            let s = deferral(approved, expires, "r");
            let g = guarantee(&s, &GuaranteeFacts::default(), today, &p);
            let within = expires <= deferral_limit(approved, &p);
            prop_assert_eq!(g.guaranteed, within && today <= expires);
            prop_assert_eq!(validate_status(&s, approved, &p).is_ok(), within);
        }

        #[test]
        fn guaranteed_iff_reason_is_a_yes_reason(facts in arb_facts(), today in arb_date()) {
            let p = test_policy();
            for s in [StudentStatus::OutsideCounty, StudentStatus::HomeTeaching] {
                let g = guarantee(&s, &facts, today, &p);
                prop_assert_eq!(
                    g.guaranteed,
                    matches!(g.reason, Reason::ElsewhereConfirmed | Reason::HomeTeachingVisited)
                );
            }
        }
    }
}

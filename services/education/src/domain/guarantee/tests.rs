//! The guarantee table and the status checks, case by case and as properties.

use super::*;
use crate::domain::FieldViolation;
use crate::domain::letters::letter;
use crate::domain::status::validate_status;
use crate::domain::testing::*;

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

/// The verdict on `s` today under the test policy, with no letters or visits on record.
fn on_its_own(s: &StudentStatus) -> Guarantee {
    guarantee(s, &no_facts(), today(), &test_policy())
}

/// The one violation validation finds in `s` today under the test policy.
fn sole_violation(s: &StudentStatus) -> FieldViolation {
    let err = validate_status(s, today(), &test_policy()).unwrap_err();
    assert_eq!(err.len(), 1, "{err:?}");
    err.into_iter().next().expect("one violation")
}

#[test]
fn always_guaranteed_statuses() {
    for (s, r) in [
        (StudentStatus::InCounty, Reason::InSchoolInCounty),
        (StudentStatus::SpecialSchool, Reason::SpecialSchool),
        (StudentStatus::InclusiveClass, Reason::InclusiveClass),
    ] {
        assert_eq!(on_its_own(&s), Guarantee::yes(r));
    }
}

#[test]
fn outside_needs_letter_with_reply_or_proof() {
    let p = test_policy();
    for s in [StudentStatus::OutsideCounty, StudentStatus::OutsideProvince] {
        assert_eq!(on_its_own(&s), Guarantee::no(Reason::ElsewhereNoLetter));
        let mut facts = GuaranteeFacts {
            letters: vec![letter(d(2019, 9, 2), None)],
            ..no_facts()
        };
        assert_eq!(
            guarantee(&s, &facts, today(), &p),
            Guarantee::no(Reason::ElsewhereUnconfirmed)
        );
        facts
            .letters
            .push(letter(d(2019, 9, 3), Some(d(2019, 9, 20))));
        assert_eq!(
            guarantee(&s, &facts, today(), &p),
            Guarantee::yes(Reason::ElsewhereConfirmed)
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
        on_its_own(&StudentStatus::HomeTeaching),
        Guarantee::no(Reason::HomeTeachingNoVisit)
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
        Guarantee::yes(Reason::HomeTeachingVisited)
    );
}

#[test]
fn deferral_exactly_twelve_months_is_guaranteed() {
    let p = test_policy();
    let s = deferral(d(2019, 9, 1), d(2020, 9, 1), "谷教缓〔2019〕3号");
    assert_eq!(deferral_limit(d(2019, 9, 1), &p), d(2020, 9, 1));
    assert_eq!(on_its_own(&s), Guarantee::yes(Reason::DeferralApproved));
    assert_eq!(validate_status(&s, today(), &p), Ok(()));
}

#[test]
fn deferral_thirteen_months_is_too_long() {
    let s = deferral(d(2019, 9, 1), d(2020, 10, 1), "谷教缓〔2019〕3号");
    assert_eq!(on_its_own(&s), Guarantee::no(Reason::DeferralTooLong));
    let v = sole_violation(&s);
    let too_long = crate::domain::rules::DEFERRAL_TOO_LONG;
    let kind = ViolationKind::FailedPrecondition;
    assert_eq!(
        (v.field.as_str(), v.kind, v.rule),
        ("deferral.expires_on", kind, too_long)
    );
    assert!(v.description.contains("12 months"));
    // One day over also counts as too long.
    let one_day = deferral(d(2019, 9, 1), d(2020, 9, 2), "r");
    assert_eq!(on_its_own(&one_day).reason, Reason::DeferralTooLong);
}

#[test]
fn deferral_without_approval_is_not_guaranteed() {
    let s = deferral(d(2019, 9, 1), d(2020, 3, 1), "  ");
    assert_eq!(on_its_own(&s), Guarantee::no(Reason::DeferralNotApproved));
    let v = sole_violation(&s);
    let kind = ViolationKind::InvalidArgument;
    assert_eq!((v.field.as_str(), v.kind), ("deferral.approval_ref", kind));
}

#[test]
fn deferral_expiry_is_inclusive() {
    let p = test_policy();
    let s = deferral(d(2019, 5, 1), d(2019, 11, 1), "r");
    assert!(guarantee(&s, &no_facts(), d(2019, 11, 1), &p).guaranteed);
    assert_eq!(
        guarantee(&s, &no_facts(), d(2019, 11, 2), &p),
        Guarantee::no(Reason::DeferralExpired)
    );
}

#[test]
fn deferral_not_yet_in_effect_and_invalid_period() {
    let future = deferral(d(2019, 12, 1), d(2020, 6, 1), "r");
    assert_eq!(on_its_own(&future).reason, Reason::DeferralNotYetInEffect);
    assert!(!on_its_own(&future).guaranteed);
    let backwards = deferral(d(2019, 9, 1), d(2019, 8, 1), "r");
    assert_eq!(
        on_its_own(&backwards),
        Guarantee::no(Reason::DeferralInvalidPeriod)
    );
}

#[test]
fn deferral_validation_reports_all_problems() {
    let p = test_policy();
    let s = deferral(d(2019, 12, 1), d(2019, 11, 30), "");
    let err = validate_status(&s, today(), &p).unwrap_err();
    let invalid = ViolationKind::InvalidArgument;
    assert_eq!(
        field_kinds(&err),
        [
            ("deferral.approval_ref", invalid),
            ("deferral.approved_on", invalid),
            ("deferral.expires_on", invalid),
        ]
    );
}

#[test]
fn exemption_rules() {
    let p = test_policy();
    let ok = exemption(d(2019, 9, 1), "谷教免〔2019〕1号", "重度脑瘫");
    assert_eq!(on_its_own(&ok), Guarantee::yes(Reason::ExemptionApproved));
    assert_eq!(validate_status(&ok, today(), &p), Ok(()));
    let no_reason = exemption(d(2019, 9, 1), "r", "");
    assert_eq!(
        on_its_own(&no_reason),
        Guarantee::no(Reason::ExemptionNotApproved)
    );
    let no_ref = exemption(d(2019, 9, 1), "", "reason");
    assert_eq!(on_its_own(&no_ref).reason, Reason::ExemptionNotApproved);
    let future = exemption(d(2019, 12, 1), "r", "reason");
    assert_eq!(
        on_its_own(&future),
        Guarantee::no(Reason::ExemptionNotYetInEffect)
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
    assert_eq!(
        on_its_own(&StudentStatus::DroppedOut),
        Guarantee::no(Reason::DroppedOut)
    );
    assert_eq!(
        on_its_own(&StudentStatus::NeverEnrolled),
        Guarantee::no(Reason::NeverEnrolled)
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

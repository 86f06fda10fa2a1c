//! The timeline rules: order, future dates, prerequisites by site type, the move-in rule.

use super::*;
use crate::domain::ViolationKind;
use crate::domain::site::{CentralizedKind, ScatteredKind};
use crate::domain::testing::{breaches, d, fields, fixed_day};
use Milestone as M;
use proptest::prelude::*;

/// The milestones' field names, in timeline order.
const FIELDS: [&str; 7] = [
    "construction_start",
    "completion",
    "acceptance",
    "key_handover",
    "moved_in",
    "demolished",
    "reclamation_accepted",
];

/// A record holding only these milestones, on these dates.
fn recorded(steps: &[(Milestone, NaiveDate)]) -> Milestones {
    let mut m = Milestones::default();
    for &(step, date) in steps {
        m.set(step, Some(date));
    }
    m
}

/// What validation on the fixed day says against a record of only these milestones.
fn refused(steps: &[(Milestone, NaiveDate)]) -> Vec<FieldViolation> {
    validate_milestones(&recorded(steps), fixed_day()).unwrap_err()
}

#[test]
fn complete_ordered_chain_is_valid() {
    let m = full_chain(d(2018, 3, 1));
    assert_eq!(validate_milestones(&m, fixed_day()), Ok(()));
    assert_eq!(
        validate_milestones(&Milestones::default(), fixed_day()),
        Ok(())
    );
}

#[test]
fn equal_dates_are_in_order() {
    let day = d(2019, 5, 1);
    let mut m = Milestones::default();
    for step in Milestone::ALL {
        m.set(step, Some(day));
    }
    assert_eq!(validate_milestones(&m, fixed_day()), Ok(()));
}

#[test]
fn each_order_violation_is_reported_on_the_later_milestone() {
    for (i, pair) in Milestone::ALL.windows(2).enumerate() {
        let (before, after) = (pair[0], pair[1]);
        let mut m = full_chain(d(2018, 3, 1));
        let earlier = m.get(before).unwrap() - chrono::Days::new(1);
        m.set(after, Some(earlier));
        // Keep the rest of the chain after `after` consistent with its old dates.
        let err = validate_milestones(&m, fixed_day()).unwrap_err();
        assert_eq!(err.len(), 1, "pair {i}: {err:?}");
        assert_eq!(err[0].field, after.field());
        assert_eq!(err[0].kind, ViolationKind::FailedPrecondition);
        assert!(
            err[0].description.contains(before.field()),
            "{}",
            err[0].description
        );
    }
}

/// What validation says against a record of only a construction start and a completion.
fn built(construction_start: NaiveDate, completion: NaiveDate) -> Vec<FieldViolation> {
    refused(&[
        (M::ConstructionStart, construction_start),
        (M::Completion, completion),
    ])
}

#[test]
fn completion_before_start() {
    let why = "completion 2019-02-28 is before construction_start 2019-03-01";
    let expected = FieldViolation::rule(MILESTONE_ORDER, "completion", why);
    assert_eq!(built(d(2019, 3, 1), d(2019, 2, 28)), [expected]);
}

#[test]
fn order_is_checked_across_gaps() {
    // Family moving in with relatives: no construction; moved in before acceptance.
    let err = refused(&[(M::Acceptance, d(2019, 5, 1)), (M::MovedIn, d(2019, 4, 1))]);
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].field, "moved_in");
    assert!(err[0].description.contains("acceptance 2019-05-01"));
}

#[test]
fn a_late_early_milestone_flags_every_later_one_before_it() {
    let mut m = full_chain(d(2018, 3, 1));
    m.construction_start = Some(d(2020, 1, 1));
    let err = validate_milestones(&m, fixed_day()).unwrap_err();
    // Every milestone after construction_start.
    assert_eq!(fields(&err), FIELDS[1..]);
    assert!(
        err.iter()
            .all(|v| v.description.contains("construction_start 2020-01-01"))
    );
}

#[test]
fn future_dates_are_invalid_arguments() {
    let why = "completion 2020-07-01 is in the future";
    let expected = FieldViolation::invalid("completion", why);
    assert_eq!(built(d(2020, 1, 1), d(2020, 7, 1)), [expected]);
    // Today itself is fine.
    let m = recorded(&[(M::MovedIn, fixed_day())]);
    assert_eq!(validate_milestones(&m, fixed_day()), Ok(()));
}

#[test]
fn future_and_order_violations_reported_together() {
    let err = refused(&[(M::KeyHandover, d(2020, 8, 1)), (M::MovedIn, d(2020, 7, 1))]);
    assert_eq!(
        breaches(&err),
        [
            ("key_handover", ""),
            ("moved_in", ""),
            ("moved_in", MILESTONE_ORDER)
        ]
    );
    assert_eq!(
        ViolationKind::overall(&err),
        Some(ViolationKind::InvalidArgument)
    );
}

#[test]
fn centralized_moves_in_at_key_handover() {
    let site = SiteType::Centralized(CentralizedKind::CountyTown);
    let mut m = recorded(&[(M::Acceptance, d(2019, 5, 1))]);
    assert!(!is_moved_in(site, &m));
    assert_eq!(moved_in_on(site, &m), None);
    m.key_handover = Some(d(2019, 6, 1));
    assert!(is_moved_in(site, &m));
    assert_eq!(moved_in_on(site, &m), Some(d(2019, 6, 1)));
    m.moved_in = Some(d(2019, 7, 1));
    assert_eq!(moved_in_on(site, &m), Some(d(2019, 6, 1)));
    // Moved-in date alone also counts (handover not recorded).
    let only_moved = recorded(&[(M::MovedIn, d(2019, 7, 1))]);
    assert_eq!(moved_in_on(site, &only_moved), Some(d(2019, 7, 1)));
    for kind in [
        CentralizedKind::MarketTown,
        CentralizedKind::CentralVillage,
        CentralizedKind::IndustrialPark,
    ] {
        assert!(is_moved_in(SiteType::Centralized(kind), &m));
    }
}

#[test]
fn scattered_needs_acceptance_and_living_there() {
    for kind in [ScatteredKind::FillingIn, ScatteredKind::WithRelatives] {
        let site = SiteType::Scattered(kind);
        let handed = recorded(&[(M::KeyHandover, d(2019, 6, 1))]);
        assert!(!is_moved_in(site, &handed));
        let accepted = recorded(&[(M::Acceptance, d(2019, 5, 1))]);
        assert!(!is_moved_in(site, &accepted));
        let living = recorded(&[(M::MovedIn, d(2019, 7, 1))]);
        assert!(!is_moved_in(site, &living));
        let both = recorded(&[(M::Acceptance, d(2019, 5, 1)), (M::MovedIn, d(2019, 7, 1))]);
        assert!(is_moved_in(site, &both));
        assert_eq!(moved_in_on(site, &both), Some(d(2019, 7, 1)));
    }
}

const CENTRAL: SiteType = SiteType::Centralized(CentralizedKind::CountyTown);
const SCATTERED: SiteType = SiteType::Scattered(ScatteredKind::WithRelatives);

/// The fields of the missing milestones [`validate_prerequisites`] reports.
fn missing(site: SiteType, m: &Milestones) -> Vec<String> {
    match validate_prerequisites(site, m) {
        Ok(()) => vec![],
        Err(v) => {
            assert!(
                v.iter()
                    .all(|x| x.kind == ViolationKind::FailedPrecondition)
            );
            v.into_iter().map(|x| x.field).collect()
        }
    }
}

#[test]
fn a_handover_needs_completion_and_acceptance_on_record() {
    let handed = recorded(&[(M::KeyHandover, d(2019, 6, 1))]);
    for site in [CENTRAL, SCATTERED] {
        assert_eq!(missing(site, &handed), ["completion", "acceptance"]);
    }
    let err = validate_prerequisites(CENTRAL, &handed).unwrap_err();
    assert!(
        err[1].description.contains("key_handover 2019-06-01"),
        "{}",
        err[1].description
    );
    let accepted_only = recorded(&[
        (M::Acceptance, d(2019, 5, 1)),
        (M::KeyHandover, d(2019, 6, 1)),
    ]);
    assert_eq!(missing(CENTRAL, &accepted_only), ["completion"]);
    let complete = Milestones {
        completion: Some(d(2019, 4, 1)),
        ..accepted_only
    };
    assert_eq!(missing(CENTRAL, &complete), Vec::<String>::new());
}

#[test]
fn acceptance_needs_completion_but_construction_start_is_never_required() {
    let accepted = recorded(&[(M::Acceptance, d(2019, 5, 1))]);
    assert_eq!(missing(SCATTERED, &accepted), ["completion"]);
    let completed = Milestones {
        completion: Some(d(2019, 4, 1)),
        ..accepted
    };
    assert_eq!(missing(SCATTERED, &completed), Vec::<String>::new());
    assert_eq!(
        missing(CENTRAL, &Milestones::default()),
        Vec::<String>::new()
    );
}

#[test]
fn moving_in_follows_the_site_type() {
    let lived_in = recorded(&[
        (M::Completion, d(2019, 4, 1)),
        (M::Acceptance, d(2019, 5, 1)),
        (M::MovedIn, d(2019, 7, 1)),
    ]);
    // Centralized moves in at key handover: living there without one is out of order.
    assert_eq!(missing(CENTRAL, &lived_in), ["key_handover"]);
    // Scattered moves in once the house passed and the family lives there.
    assert_eq!(missing(SCATTERED, &lived_in), Vec::<String>::new());
    assert!(is_moved_in(SCATTERED, &lived_in));
    let not_accepted = Milestones {
        acceptance: None,
        ..lived_in
    };
    assert_eq!(missing(SCATTERED, &not_accepted), ["acceptance"]);
    assert_eq!(
        missing(CENTRAL, &not_accepted),
        ["acceptance", "key_handover"]
    );
}

#[test]
fn get_set_round_trip_and_fields() {
    let mut m = Milestones::default();
    for (i, step) in Milestone::ALL.into_iter().enumerate() {
        let date = d(2019, 1, 1) + chrono::Days::new(i as u64);
        m.set(step, Some(date));
        assert_eq!(m.get(step), Some(date));
    }
    assert_eq!(m, full_chain_days(d(2019, 1, 1)));
    let names: Vec<&str> = Milestone::ALL.iter().map(|s| s.field()).collect();
    assert_eq!(names, FIELDS);
}

fn full_chain_days(start: NaiveDate) -> Milestones {
    let at = |days: u64| Some(start + chrono::Days::new(days));
    Milestones {
        construction_start: at(0),
        completion: at(1),
        acceptance: at(2),
        key_handover: at(3),
        moved_in: at(4),
        demolished: at(5),
        reclamation_accepted: at(6),
    }
}

/// A valid chain: non-decreasing dates from 2015, with some milestones left out.
fn arb_chain() -> impl Strategy<Value = (Milestones, NaiveDate)> {
    (
        proptest::collection::vec(0u64..200, 7),
        proptest::collection::vec(any::<bool>(), 7),
    )
        .prop_map(|(gaps, present)| {
            let mut m = Milestones::default();
            let mut date = d(2015, 1, 1);
            for ((step, gap), keep) in Milestone::ALL.into_iter().zip(gaps).zip(present) {
                date = date + chrono::Days::new(gap);
                if keep {
                    m.set(step, Some(date));
                }
            }
            (m, date)
        })
}

proptest! {
    /// Whatever is left out of a chain, a record that passes the prerequisites and
    /// counts as moved in has a completed, accepted house, and a centralized one its keys.
    #[test]
    fn moved_in_records_that_pass_have_the_whole_chain((m, _) in arb_chain(), central in any::<bool>()) {
        let site = if central { CENTRAL } else { SCATTERED };
        let passes = validate_prerequisites(site, &m).is_ok();
        let expected = Milestone::ALL.into_iter().all(|step| {
            m.get(step).is_none()
                || prerequisites(site, step).iter().all(|p| m.get(*p).is_some())
        });
        prop_assert_eq!(passes, expected);
        if passes && is_moved_in(site, &m) {
            prop_assert!(m.completion.is_some() && m.acceptance.is_some());
            prop_assert!(!central || m.key_handover.is_some());
        }
    }

    #[test]
    fn ordered_past_chains_are_valid((m, last) in arb_chain()) {
        prop_assert_eq!(validate_milestones(&m, last), Ok(()));
    }

    #[test]
    fn moving_a_milestone_before_its_predecessor_is_rejected(
        (m, last) in arb_chain(), idx in 1usize..7, back in 1u64..400
    ) {
        let mut m = m;
        let step = Milestone::ALL[idx];
        let pred = Milestone::ALL[idx - 1];
        let base = d(2015, 1, 1);
        // Make sure both are recorded, then move `step` before `pred`.
        let pred_date = m.get(pred).unwrap_or(base + chrono::Days::new(500));
        m.set(pred, Some(pred_date));
        m.set(step, Some(pred_date - chrono::Days::new(back)));
        let err = validate_milestones(&m, last.max(pred_date)).unwrap_err();
        prop_assert!(err.iter().any(|v| v.field == step.field()
            && v.kind == ViolationKind::FailedPrecondition));
    }

    #[test]
    fn any_future_milestone_is_an_invalid_argument(
        (m, last) in arb_chain(), idx in 0usize..7, ahead in 1u64..100
    ) {
        let mut m = m;
        let step = Milestone::ALL[idx];
        m.set(step, Some(last + chrono::Days::new(ahead)));
        let err = validate_milestones(&m, last).unwrap_err();
        prop_assert!(err.iter().any(|v| v.field == step.field()
            && v.kind == ViolationKind::InvalidArgument));
    }
}

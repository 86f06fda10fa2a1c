//! The household rules: the new house, the old house, the whole record, its exceptions.

use super::*;
use crate::domain::ViolationKind;
use crate::domain::milestones::full_chain;
use crate::domain::policy::test_policy;
use crate::domain::site::{CentralizedKind, ScatteredKind};
use crate::domain::support::SupportMeasure;
use crate::domain::testing::{breaches, d, fields, fixed_day};
use proptest::prelude::*;

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

/// The exceptions of `f` on `day` under the test policy.
fn exceptions_on(f: &RelocationFacts, day: NaiveDate) -> Vec<ExceptionKind> {
    exceptions(f, day, &test_policy())
}

/// The exceptions on the fixed day of the good household living in `h` instead.
fn exceptions_housed_in(h: Housing) -> Vec<ExceptionKind> {
    let f = RelocationFacts {
        housing: h,
        ..good_facts()
    };
    exceptions_on(&f, fixed_day())
}

/// The good household before its old house is demolished and the land accepted.
fn not_demolished() -> RelocationFacts {
    let mut f = good_facts();
    f.milestones.demolished = None;
    f.milestones.reclamation_accepted = None;
    f
}

#[test]
fn good_household_is_valid_and_has_no_exception() {
    let p = test_policy();
    let f = good_facts();
    assert_eq!(validate_relocation(&f, fixed_day(), &p), Ok(()));
    assert_eq!(exceptions_on(&f, fixed_day()), vec![]);
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
    assert_eq!(exceptions_housed_in(h.clone()), vec![]);
    h.over_area_reason = Some("  ".to_string());
    let err = validate_housing(&h, &p).unwrap_err();
    assert_eq!(fields(&err), vec!["over_area_reason", "area_centi_m2"]);
    let over = vec![ExceptionKind::OverAreaWithoutReason];
    assert_eq!(exceptions_housed_in(h), over);
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
        vec![FieldViolation::rule(
            DEBT_CAP,
            "debt_fen",
            "debt 1000000 fen is not below the cap of 1000000 fen"
        )]
    );
    let at_cap = vec![ExceptionKind::DebtAtOrOverCap];
    assert_eq!(exceptions_housed_in(h), at_cap);
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
    assert_eq!(
        fields(&err),
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
    let mut f = not_demolished();
    f.milestones.key_handover = None;
    f.milestones.moved_in = None;
    f.old_house.reclaimed_centi_mu = 0;
    assert_eq!(validate_relocation(&f, fixed_day(), &p), Ok(()));
    assert_eq!(
        exceptions_on(&f, fixed_day()),
        vec![ExceptionKind::NotMovedIn]
    );
    // Scattered: accepted and handed over, but the family does not live there yet.
    f.site_type = SCATTERED;
    f.milestones.key_handover = Some(d(2019, 1, 1));
    assert_eq!(
        exceptions_on(&f, fixed_day()),
        vec![ExceptionKind::NotMovedIn]
    );
    f.milestones.moved_in = Some(d(2019, 2, 1));
    assert_eq!(exceptions_on(&f, d(2019, 3, 1)), vec![]);
}

#[test]
fn moved_in_date_after_today_does_not_count_yet() {
    let f = good_facts(); // key handover 2018-03-01 + 210 days
    assert_eq!(
        exceptions_on(&f, d(2018, 3, 2)),
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
    // Centralized counts from the key handover; scattered from moving in.
    let sites = [
        ("centralized", CENTRAL, d(2020, 1, 15), d(2020, 1, 16)),
        ("scattered", SCATTERED, d(2020, 2, 1), d(2020, 2, 2)),
    ];
    for (name, site, due, day_after) in sites {
        f.site_type = site;
        let due_on = demolition_due(site, &f.milestones, &p);
        assert_eq!(due_on, Some(due), "{name}");
        assert_eq!(exceptions_on(&f, due), vec![], "{name}");
        let overdue = vec![ExceptionKind::NotDemolishedAfterGrace];
        assert_eq!(exceptions_on(&f, day_after), overdue, "{name}");
    }
    // Demolished: no exception.
    f.milestones.demolished = Some(d(2020, 1, 20));
    assert_eq!(exceptions_on(&f, d(2021, 1, 1)), vec![]);
}

#[test]
fn exempt_old_house_is_never_overdue() {
    let p = test_policy();
    let mut f = not_demolished();
    f.old_house = OldHouse {
        demolition: Demolition::Exempt {
            reason: "传统村落保护建筑".to_string(),
        },
        reclaimed_centi_mu: 0,
        land_type: None,
    };
    assert_eq!(validate_relocation(&f, fixed_day(), &p), Ok(()));
    assert_eq!(exceptions_on(&f, d(2030, 1, 1)), vec![]);
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
    assert_eq!(
        breaches(&err),
        [("demolition.reason", ""), ("demolished", MILESTONE_ORDER)]
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
    assert_eq!(
        breaches(&err),
        [
            ("reclaimed_centi_mu", RECLAIMED_BEFORE_DEMOLITION),
            ("reclamation_accepted", MILESTONE_ORDER),
            ("land_type", ""),
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
    let mut f = good_facts();
    f.employed_members = 0;
    assert_eq!(
        exceptions_on(&f, fixed_day()),
        vec![ExceptionKind::NoEmployment]
    );
    f.labour_members = 0;
    assert_eq!(exceptions_on(&f, fixed_day()), vec![]);
    f.support.clear();
    assert_eq!(
        exceptions_on(&f, fixed_day()),
        vec![ExceptionKind::NoFollowUpSupport]
    );
    // Support that starts later does not count yet.
    f.support.push(SupportRecord {
        measure: SupportMeasure::Training,
        started_on: d(2020, 7, 1),
        ended_on: None,
    });
    assert_eq!(
        exceptions_on(&f, fixed_day()),
        vec![ExceptionKind::NoFollowUpSupport]
    );
}

#[test]
fn all_exceptions_at_once_in_order() {
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
        exceptions_on(&f, fixed_day()),
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
    let err = validate_relocation(&f, fixed_day(), &p).unwrap_err();
    assert_eq!(
        fields(&err),
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
        let over = exceptions_on(&f, fixed_day()).contains(&ExceptionKind::OverAreaWithoutReason);
        prop_assert_eq!(over, area > 2_500 * i64::from(members));
        prop_assert_eq!(validate_housing(&f.housing, &p).is_ok(), !over);
    }

    #[test]
    fn debt_exception_iff_not_below_cap(debt in 0i64..3_000_000) {
        let mut f = good_facts();
        f.housing.debt_fen = debt;
        let flagged = exceptions_on(&f, fixed_day()).contains(&ExceptionKind::DebtAtOrOverCap);
        prop_assert_eq!(flagged, debt >= 1_000_000);
    }

    #[test]
    fn demolished_households_never_overdue(extra_days in 0u64..5000) {
        let f = good_facts();
        let later = fixed_day() + chrono::Days::new(extra_days);
        prop_assert!(!exceptions_on(&f, later).contains(&ExceptionKind::NotDemolishedAfterGrace));
    }
}

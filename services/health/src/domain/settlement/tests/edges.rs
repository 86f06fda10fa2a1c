//! Out-of-policy cost, and what the engine refuses.

use super::*;

#[test]
fn out_of_policy_cost_is_personal_and_counts_toward_nothing() {
    let p = policy();
    let start = ytd(0, 0, 0, 499_000);
    let all_out = Case {
        out_of_policy_fen: 50_000,
        ..inpatient(County, true, true, 50_000)
    };
    let (s, next) = run(&p, &start, &all_out);
    assert_eq!(layers(&s), [0, 0, 0, 0, 0, 50_000]);
    assert_eq!(s.personal_total_fen, 50_000);
    assert_eq!(s.ytd_delta, YtdDelta::default());
    assert_eq!(next, start);

    let mixed = Case {
        out_of_policy_fen: 30_000,
        ..inpatient(County, true, true, 130_000)
    };
    let (s, next) = run(&p, &FRESH, &mixed);
    assert_eq!(layers(&s), [80_000, 0, 14_000, 0, 6_000, 30_000]);
    assert_eq!(s.personal_total_fen, 36_000);
    assert_eq!(next.in_county_personal_fen, 6_000);
}

#[test]
fn zero_case_settles_to_zero() {
    let (s, next) = run(&policy(), &FRESH, &inpatient(Province, false, true, 0));
    assert_eq!(s, Settlement::default());
    assert_eq!(next, FRESH);
}

#[test]
fn negative_total_is_rejected_naming_the_field() {
    let err = settle(&policy(), &FRESH, &inpatient(County, true, true, -1)).unwrap_err();
    assert_eq!(
        err,
        SettleError::NegativeAmount {
            field: "total_fen",
            value: -1
        }
    );
    assert_eq!(err.case_field(), Some("total_fen"));
    assert_eq!(
        err.to_string(),
        "case.total_fen must not be negative (got -1 fen)"
    );
}

#[test]
fn negative_out_of_policy_is_rejected_naming_the_field() {
    let case = Case {
        out_of_policy_fen: -5,
        ..inpatient(County, true, true, 100)
    };
    let err = settle(&policy(), &FRESH, &case).unwrap_err();
    assert_eq!(
        err,
        SettleError::NegativeAmount {
            field: "out_of_policy_fen",
            value: -5
        }
    );
    assert_eq!(err.case_field(), Some("out_of_policy_fen"));
}

#[test]
fn out_of_policy_above_total_is_rejected() {
    let case = Case {
        out_of_policy_fen: 101,
        ..inpatient(County, true, true, 100)
    };
    let err = settle(&policy(), &FRESH, &case).unwrap_err();
    assert_eq!(
        err,
        SettleError::OutOfPolicyExceedsTotal {
            out_of_policy_fen: 101,
            total_fen: 100
        }
    );
    assert_eq!(err.case_field(), Some("out_of_policy_fen"));
    assert_eq!(
        err.to_string(),
        "case.out_of_policy_fen (101 fen) exceeds case.total_fen (100 fen)"
    );
}

#[test]
fn corrupt_state_is_rejected_and_is_not_a_case_field() {
    let err = settle(
        &policy(),
        &ytd(0, 0, -1, 0),
        &inpatient(County, true, true, 100),
    )
    .unwrap_err();
    assert_eq!(
        err,
        SettleError::NegativeState {
            field: "assistance_paid_fen",
            value: -1
        }
    );
    assert_eq!(err.case_field(), None);
}

#[test]
fn overflowing_state_is_rejected() {
    let err = settle(
        &policy(),
        &ytd(0, i64::MAX - 10, 0, 0),
        &inpatient(County, true, false, 1_000_000),
    )
    .unwrap_err();
    assert_eq!(
        err,
        SettleError::Overflow {
            field: "serious_burden_fen"
        }
    );
}

#[test]
fn invalid_policy_is_rejected() {
    let mut p = policy();
    p.medical_assistance.rate_bp = 12_000;
    let err = settle(&p, &FRESH, &inpatient(County, true, true, 100)).unwrap_err();
    match &err {
        SettleError::InvalidPolicy(v) => {
            assert_eq!(v.len(), 1);
            assert_eq!(v[0].field, "medical_assistance.rate_bp");
        }
        other => panic!("expected InvalidPolicy, got {other:?}"),
    }
    assert_eq!(err.case_field(), None);
}

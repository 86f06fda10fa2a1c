//! Out-of-policy cost, what the engine refuses, and order, idempotence, reversal and
//! correction.

use super::*;

// ---------------------------------------------------------------- out of policy, refusals

/// An inpatient case at a county-level institution, in county, of a registered-poor
/// patient: `total_fen`, of which `out_of_policy_fen` is outside the policy.
fn county_inpatient_with_out_of_policy(out_of_policy_fen: i64, total_fen: i64) -> Case {
    Case {
        out_of_policy_fen,
        ..inpatient(County, true, true, total_fen)
    }
}

#[test]
fn out_of_policy_cost_is_personal_and_counts_toward_nothing() {
    let p = policy();
    let start = ytd(0, 0, 0, 499_000);
    let all_out = county_inpatient_with_out_of_policy(50_000, 50_000);
    let (s, next) = run(&p, &start, &all_out);
    assert_eq!(layers(&s), [0, 0, 0, 0, 0, 50_000]);
    assert_eq!(s.personal_total_fen, 50_000);
    assert_eq!(s.ytd_delta, YtdDelta::default());
    assert_eq!(next, start);

    let mixed = county_inpatient_with_out_of_policy(30_000, 130_000);
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
    let case = county_inpatient_with_out_of_policy(-5, 100);
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
    let case = county_inpatient_with_out_of_policy(101, 100);
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

// ---------------------------------------------------------------- order, idempotence, reversal

#[test]
fn resettling_the_same_claim_is_idempotent() {
    let p = policy();
    let start = ytd(12_345, 300_000, 1_000, 2_000);
    let case = inpatient(County, true, true, 777_777);
    let first = settle(&p, &start, &case).unwrap();
    let second = settle(&p, &start, &case).unwrap();
    assert_eq!(first, second);
}

#[test]
fn order_of_cases_matters_and_is_deterministic() {
    let p = policy();
    let province = inpatient(Province, false, false, 1_000_000);
    let county = inpatient(County, true, false, 1_000_000);
    let orders = [
        // province first pays its 150000 deductible: 467500 + 750000.
        ("province first", [province, county], (467_500, 750_000)),
        // county first pays 50000, the province case the other 100000: 712500 + 495000.
        ("county first", [county, province], (712_500, 495_000)),
    ];
    for (name, cases, basic) in orders {
        let (s, _) = settle_all(&p, &cases).unwrap();
        assert_eq!((s[0].basic_fen, s[1].basic_fen), basic, "{name}");
        assert_eq!(
            settle_all(&p, &cases).unwrap().0,
            s,
            "{name}: deterministic"
        );
    }
}

#[test]
fn settle_all_is_the_fold_of_settle() {
    let p = policy();
    let cases = [
        inpatient(County, true, true, 3_000_000),
        chronic(Township, true, 40_000),
        inpatient(Province, false, true, 2_000_000),
        inpatient(County, true, true, 900_000),
    ];
    let (all, end) = settle_all(&p, &cases).unwrap();
    let mut state = FRESH;
    for (case, expected) in cases.iter().zip(&all) {
        let (s, next) = run(&p, &state, case);
        assert_eq!(&s, expected);
        state = next;
    }
    assert_eq!(end, state);
    assert_eq!(all.len(), 4);
}

#[test]
fn settle_all_names_the_bad_case() {
    let cases = [
        inpatient(County, true, true, 100),
        inpatient(County, true, true, -3),
    ];
    let err = settle_all(&policy(), &cases).unwrap_err();
    assert_eq!(err.index, 1);
    assert_eq!(
        err.source,
        SettleError::NegativeAmount {
            field: "total_fen",
            value: -3
        }
    );
    assert_eq!(
        err.to_string(),
        "case 1: case.total_fen must not be negative (got -3 fen)"
    );
}

#[test]
fn settle_all_of_nothing_is_a_fresh_year() {
    assert_eq!(settle_all(&policy(), &[]).unwrap(), (vec![], FRESH));
}

#[test]
fn reversing_the_latest_settlement_restores_the_state() {
    let p = policy();
    let before = ytd(20_000, 300_000, 1_000_000, 400_000);
    let (s, after) = run(&p, &before, &inpatient(County, true, true, 2_000_000));
    assert_ne!(after, before);
    assert_eq!(reverse(&after, &s), Ok(before));
}

#[test]
fn reversal_is_a_negative_settlement_that_cancels_the_original() {
    let (s, _) = run(
        &policy(),
        &FRESH,
        &county_inpatient_with_out_of_policy(1_234, 3_000_000),
    );
    let r = s.negated();
    assert_eq!(r.basic_fen, -s.basic_fen);
    assert_eq!(r.personal_total_fen, -s.personal_total_fen);
    assert_eq!(
        r.ytd_delta.serious_burden_fen,
        -s.ytd_delta.serious_burden_fen
    );
    assert_eq!(r.reimbursed_fen() + s.reimbursed_fen(), 0);
    assert_eq!(r.negated(), s);
}

#[test]
fn reversing_a_settlement_not_applied_is_refused() {
    let (s, _) = run(&policy(), &FRESH, &inpatient(County, true, true, 100_000));
    // s added 20000 of serious-illness burden; a fresh state has none to take back.
    assert_eq!(
        reverse(&FRESH, &s),
        Err(ReverseError::NotApplied {
            field: "serious_burden_fen"
        })
    );
}

#[test]
fn correcting_an_earlier_case_is_re_settling_the_rest_in_order() {
    let p = policy();
    let a = inpatient(County, true, false, 1_450_000);
    let b = inpatient(County, true, false, 1_200_000);
    let (with_a, _) = settle_all(&p, &[a, b]).unwrap();
    assert_eq!(with_a[1].serious_fen, 120_000);
    // Remove A: B alone pays the deductible and stays under the serious-illness deductible.
    let (without_a, end) = settle_all(&p, &[b]).unwrap();
    assert_eq!(layers(&without_a[0]), [862_500, 0, 0, 0, 337_500, 0]);
    assert_eq!(end, ytd(50_000, 337_500, 0, 0));
    // Subtracting A's delta from the year's end state would not give that state.
    let (_, both_end) = settle_all(&p, &[a, b]).unwrap();
    let naive = YearToDate {
        basic_deductible_used_fen: both_end.basic_deductible_used_fen
            - with_a[0].ytd_delta.basic_deductible_used_fen,
        serious_burden_fen: both_end.serious_burden_fen - with_a[0].ytd_delta.serious_burden_fen,
        ..both_end
    };
    assert_ne!(naive, end);
}

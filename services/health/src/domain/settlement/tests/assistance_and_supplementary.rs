//! Layers 3 and 4: medical assistance and supplementary insurance (the cap and the targets).

use super::*;

#[test]
fn assistance_stops_at_its_annual_cap() {
    let p = policy();
    let (s, next) = run(
        &p,
        &ytd(0, 0, 1_950_000, 0),
        &inpatient(County, true, true, 1_000_000),
    );
    // basic 800000; burden 200000 (< 250000); assistance min(140000, 50000 room) = 50000;
    // reimbursed 850000 < 900000 target: supplementary 50000; personal 100000.
    assert_eq!(layers(&s), [800_000, 0, 50_000, 50_000, 100_000, 0]);
    assert_eq!(next, ytd(0, 200_000, 2_000_000, 100_000));
    // cap reached: the next case gets no assistance.
    let (s2, next2) = run(&p, &next, &inpatient(Township, true, true, 100_000));
    assert_eq!(layers(&s2), [90_000, 0, 0, 0, 10_000, 0]);
    assert_eq!(next2.assistance_paid_fen, 2_000_000);
}

#[test]
fn assistance_that_exactly_fills_the_cap() {
    let (s, next) = run(
        &policy(),
        &ytd(0, 0, 1_986_000, 0),
        &inpatient(County, true, true, 100_000),
    );
    // 70% of 20000 = 14000 = the room left.
    assert_eq!(layers(&s), [80_000, 0, 14_000, 0, 6_000, 0]);
    assert_eq!(next.assistance_paid_fen, 2_000_000);
}

#[test]
fn non_poor_get_neither_assistance_nor_supplementary() {
    let (s, next) = run(
        &policy(),
        &FRESH,
        &inpatient(County, true, false, 10_000_000),
    );
    // basic (9950000 * 75%) = 7462500; burden 2537500; 2037500 above 500000 at 60% = 1222500.
    assert_eq!(layers(&s), [7_462_500, 1_222_500, 0, 0, 1_315_000, 0]);
    assert_eq!(next, ytd(50_000, 2_537_500, 0, 0));
}

// ---------------------------------------------------------------- layer 4: supplementary

#[test]
fn case_that_crosses_the_personal_cap() {
    let p = policy();
    let start = ytd(0, 0, 2_000_000, 450_000);
    let (s, y1) = run(&p, &start, &inpatient(County, true, true, 1_000_000));
    // basic 800000; burden 200000; no assistance left; 200000 would be personal, only 50000
    // fits under the cap: supplementary 150000 (more than the 100000 the 90% target needs).
    assert_eq!(layers(&s), [800_000, 0, 0, 150_000, 50_000, 0]);
    assert_eq!(y1, ytd(0, 200_000, 2_000_000, 500_000));
    // Past the cap, supplementary pays everything the other layers leave.
    let (s2, y2) = run(&p, &y1, &inpatient(County, true, true, 1_000_000));
    // burden 400000 in the year, 150000 above 250000 at 65% = 97500; left 102500.
    assert_eq!(layers(&s2), [800_000, 97_500, 0, 102_500, 0, 0]);
    assert_eq!(y2, ytd(0, 400_000, 2_000_000, 500_000));
}

#[test]
fn cap_reached_exactly_at_500000_fen() {
    let p = policy();
    let (s, y1) = run(
        &p,
        &ytd(0, 0, 0, 470_000),
        &inpatient(Township, true, true, 1_000_000),
    );
    // basic 900000; assistance 70000; personal 30000 -> 500000 exactly; nothing to top up.
    assert_eq!(layers(&s), [900_000, 0, 70_000, 0, 30_000, 0]);
    assert_eq!(y1.in_county_personal_fen, 500_000);
    // One more fen would be over: the next case is all supplementary.
    let (s2, y2) = run(&p, &y1, &inpatient(Township, true, true, 10_000));
    assert_eq!(layers(&s2), [9_000, 0, 700, 300, 0, 0]);
    assert_eq!(y2.in_county_personal_fen, 500_000);
}

#[test]
fn one_fen_over_the_cap_is_topped_up() {
    let (s, next) = run(
        &policy(),
        &ytd(0, 0, 0, 470_001),
        &inpatient(Township, true, true, 1_000_000),
    );
    assert_eq!(layers(&s), [900_000, 0, 70_000, 1, 29_999, 0]);
    assert_eq!(next.in_county_personal_fen, 500_000);
}

#[test]
fn out_of_county_care_is_not_capped() {
    let (s, next) = run(
        &policy(),
        &ytd(0, 0, 2_000_000, 500_000),
        &inpatient(City, false, true, 100_000),
    );
    // poor out of county: deductible 40000; basic (60000 * 70%) = 42000; personal 58000.
    assert_eq!(layers(&s), [42_000, 0, 0, 0, 58_000, 0]);
    assert_eq!(next.in_county_personal_fen, 500_000);
}

#[test]
fn inpatient_target_tops_up_to_90_percent() {
    let (s, _) = run(
        &policy(),
        &ytd(0, 0, 2_000_000, 0),
        &inpatient(County, true, true, 100_000),
    );
    assert_eq!(layers(&s), [80_000, 0, 0, 10_000, 10_000, 0]);
}

#[test]
fn chronic_outpatient_target_tops_up_to_80_percent() {
    let (s, next) = run(
        &policy(),
        &ytd(0, 0, 2_000_000, 0),
        &chronic(County, true, 100_000),
    );
    // chronic terms: no deductible, 70% for the poor; 80% target: supplementary 10000.
    assert_eq!(layers(&s), [70_000, 0, 0, 10_000, 20_000, 0]);
    assert_eq!(next, ytd(0, 30_000, 2_000_000, 20_000));
}

#[test]
fn chronic_outpatient_with_assistance_needs_no_top_up() {
    let (s, _) = run(&policy(), &FRESH, &chronic(County, true, 100_000));
    assert_eq!(layers(&s), [70_000, 0, 21_000, 0, 9_000, 0]);
}

#[test]
fn chronic_outpatient_terms_do_not_depend_on_level() {
    let p = policy();
    for level in InstitutionLevel::ALL {
        let (s, _) = run(&p, &FRESH, &chronic(level, false, 100_000));
        assert_eq!(layers(&s), [60_000, 0, 0, 0, 40_000, 0], "{level}");
    }
}

#[test]
fn targets_set_to_zero_leave_only_the_cap() {
    let mut p = policy();
    p.supplementary.inpatient_target_bp = 0;
    let (s, _) = run(
        &p,
        &ytd(0, 0, 2_000_000, 0),
        &inpatient(County, true, true, 100_000),
    );
    assert_eq!(layers(&s), [80_000, 0, 0, 0, 20_000, 0]);
}

#[test]
fn large_case_uses_all_four_layers_then_the_caps_bind() {
    let p = policy();
    let case = inpatient(County, true, true, 30_000_000);
    let (s1, y1) = run(&p, &FRESH, &case);
    // basic 24000000; burden 6000000, 5750000 above at 65% = 3737500; left 2262500;
    // assistance 1583750; left 678750, cap 500000: supplementary 178750.
    assert_eq!(
        layers(&s1),
        [24_000_000, 3_737_500, 1_583_750, 178_750, 500_000, 0]
    );
    assert_eq!(y1, ytd(0, 6_000_000, 1_583_750, 500_000));
    let (s2, y2) = run(&p, &y1, &case);
    // serious 6000000 * 65% = 3900000; left 2100000; assistance capped at 416250 of 1470000;
    // supplementary pays the rest 1683750; personal 0.
    assert_eq!(
        layers(&s2),
        [24_000_000, 3_900_000, 416_250, 1_683_750, 0, 0]
    );
    assert_eq!(y2, ytd(0, 12_000_000, 2_000_000, 500_000));
}

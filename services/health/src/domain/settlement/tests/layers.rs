//! The four layers: basic insurance, serious-illness insurance, medical assistance and
//! supplementary insurance (the cap and the targets).

use super::*;

// ---------------------------------------------------------------- layer 1: basic

#[test]
fn non_poor_county_case_pays_the_whole_deductible_first() {
    let case = Case {
        out_of_policy_fen: 100_000,
        ..inpatient(County, true, false, 1_000_000)
    };
    let (s, next) = run(&policy(), &FRESH, &case);
    // in-policy 900000; deductible 50000; basic (850000 * 75%) = 637500; burden 262500 < 500000.
    assert_eq!(layers(&s), [637_500, 0, 0, 0, 262_500, 100_000]);
    assert_eq!(s.personal_total_fen, 362_500);
    assert_eq!(s.ytd_delta, delta(50_000, 262_500, 0, 0));
    assert_eq!(next, ytd(50_000, 262_500, 0, 0));
}

#[test]
fn deductible_partly_used_charges_only_the_rest() {
    let (s, next) = run(
        &policy(),
        &ytd(30_000, 0, 0, 0),
        &inpatient(County, true, false, 100_000),
    );
    // 20000 left of 50000; basic (80000 * 75%) = 60000.
    assert_eq!(layers(&s), [60_000, 0, 0, 0, 40_000, 0]);
    assert_eq!(s.ytd_delta.basic_deductible_used_fen, 20_000);
    assert_eq!(next, ytd(50_000, 40_000, 0, 0));
}

#[test]
fn deductible_exactly_used_charges_nothing() {
    let (s, next) = run(
        &policy(),
        &ytd(50_000, 40_000, 0, 0),
        &inpatient(County, true, false, 100_000),
    );
    assert_eq!(layers(&s), [75_000, 0, 0, 0, 25_000, 0]);
    assert_eq!(s.ytd_delta.basic_deductible_used_fen, 0);
    assert_eq!(next, ytd(50_000, 65_000, 0, 0));
}

#[test]
fn deductible_paid_at_a_higher_level_covers_a_lower_level() {
    // 150000 already charged (a provincial stay): a county case owes no deductible.
    let (s, _) = run(
        &policy(),
        &ytd(150_000, 0, 0, 0),
        &inpatient(County, true, false, 100_000),
    );
    assert_eq!(s.basic_fen, 75_000);
    // ... while a provincial case after a county deductible owes the difference.
    let (s, next) = run(
        &policy(),
        &ytd(50_000, 0, 0, 0),
        &inpatient(Province, false, false, 1_000_000),
    );
    assert_eq!(s.ytd_delta.basic_deductible_used_fen, 100_000);
    assert_eq!(s.basic_fen, 495_000); // 900000 * 55%
    assert_eq!(next.basic_deductible_used_fen, 150_000);
}

#[test]
fn case_below_the_deductible_is_all_deductible_and_carries_over() {
    let p = policy();
    let (s1, y1) = run(&p, &FRESH, &inpatient(County, true, false, 30_000));
    assert_eq!(layers(&s1), [0, 0, 0, 0, 30_000, 0]);
    assert_eq!(y1, ytd(30_000, 30_000, 0, 0));
    let (s2, y2) = run(&p, &y1, &inpatient(County, true, false, 100_000));
    assert_eq!(layers(&s2), [60_000, 0, 0, 0, 40_000, 0]);
    assert_eq!(y2, ytd(50_000, 70_000, 0, 0));
}

#[test]
fn non_poor_in_county_levels() {
    let p = policy();
    let expected = [
        (Village, [850_000, 0, 0, 0, 150_000, 0]),  // 1000000 * 85%
        (Township, [833_000, 0, 0, 0, 167_000, 0]), // 980000 * 85%
        (County, [712_500, 0, 0, 0, 287_500, 0]),   // 950000 * 75%
        (City, [598_000, 0, 0, 0, 402_000, 0]),     // 920000 * 65%
        // 850000 * 55% = 467500; burden 532500, 32500 above 500000 at 60% = 19500.
        (Province, [467_500, 19_500, 0, 0, 513_000, 0]),
    ];
    for (level, want) in expected {
        let (s, _) = run(&p, &FRESH, &inpatient(level, true, false, 1_000_000));
        assert_eq!(layers(&s), want, "{level}");
    }
}

#[test]
fn non_poor_out_of_county_levels() {
    let p = policy();
    let expected = [
        (Village, 750_000),  // 1000000 * 75%
        (Township, 735_000), // 980000 * 75%
        (County, 617_500),   // 950000 * 65%
        (City, 598_000),     // same as in county
        (Province, 467_500), // same as in county
    ];
    for (level, want) in expected {
        let (s, _) = run(&p, &FRESH, &inpatient(level, false, false, 1_000_000));
        assert_eq!(s.basic_fen, want, "{level}");
        assert_eq!(s.assistance_fen, 0);
        assert_eq!(s.supplementary_fen, 0);
    }
}

#[test]
fn poor_in_county_levels_waive_the_deductible_and_raise_the_rate() {
    let p = policy();
    let expected = [
        // basic at the poor's rate, assistance 70% of the rest, personal the remainder.
        (Village, [90_000, 0, 7_000, 0, 3_000, 0]),
        (Township, [90_000, 0, 7_000, 0, 3_000, 0]),
        (County, [80_000, 0, 14_000, 0, 6_000, 0]),
        (City, [70_000, 0, 21_000, 0, 9_000, 0]),
        // 60000 + 28000 = 88% < 90% inpatient target: supplementary tops up 2000.
        (Province, [60_000, 0, 28_000, 2_000, 10_000, 0]),
    ];
    for (level, want) in expected {
        let (s, next) = run(&p, &FRESH, &inpatient(level, true, true, 100_000));
        assert_eq!(layers(&s), want, "{level}");
        assert_eq!(next.basic_deductible_used_fen, 0, "{level}: waived");
        assert_eq!(next.in_county_personal_fen, want[4], "{level}");
    }
}

#[test]
fn poor_in_and_out_of_county_differ() {
    let p = policy();
    let (s_in, y_in) = run(&p, &FRESH, &inpatient(County, true, true, 100_000));
    assert_eq!(layers(&s_in), [80_000, 0, 14_000, 0, 6_000, 0]);
    assert_eq!(y_in, ytd(0, 20_000, 14_000, 6_000));

    let (s_out, y_out) = run(&p, &FRESH, &inpatient(County, false, true, 100_000));
    // deductible halved to 25000; basic (75000 * 70%) = 52500; burden 47500;
    // assistance floor(47500 * 70%) = 33250; no supplementary out of county.
    assert_eq!(layers(&s_out), [52_500, 0, 33_250, 0, 14_250, 0]);
    assert_eq!(y_out, ytd(25_000, 47_500, 33_250, 0));
}

#[test]
fn poor_out_of_county_with_deductible_partly_used_and_serious_illness() {
    let (s, next) = run(
        &policy(),
        &ytd(10_000, 0, 0, 0),
        &inpatient(Province, false, true, 1_000_000),
    );
    // deductible 150000 halved = 75000, 65000 left; basic (935000 * 60%) = 561000;
    // burden 439000, 189000 above 250000 at 65% = 122850; left 316150;
    // assistance floor(316150 * 70%) = 221305; personal 94845.
    assert_eq!(layers(&s), [561_000, 122_850, 221_305, 0, 94_845, 0]);
    assert_eq!(next, ytd(75_000, 439_000, 221_305, 0));
}

#[test]
fn poor_deductible_halved_in_county_when_the_policy_says_so() {
    let mut p = policy();
    p.basic.poor_deductible_in_county_bp = 5_000;
    let (s, next) = run(
        &p,
        &ytd(10_000, 0, 0, 0),
        &inpatient(County, true, true, 100_000),
    );
    // deductible 25000, 15000 left; basic (85000 * 80%) = 68000; burden 32000;
    // assistance 22400; reimbursed 90400 >= 90000 target; personal 9600.
    assert_eq!(layers(&s), [68_000, 0, 22_400, 0, 9_600, 0]);
    assert_eq!(next, ytd(25_000, 32_000, 22_400, 9_600));
}

#[test]
fn halved_odd_deductible_rounds_down_for_the_person() {
    let mut p = policy();
    p.basic.out_of_county.township.deductible_fen = 20_001;
    let (s, _) = run(&p, &FRESH, &inpatient(Township, false, true, 50_000));
    // floor(20001 / 2) = 10000; basic (40000 * 80%) = 32000.
    assert_eq!(s.ytd_delta.basic_deductible_used_fen, 10_000);
    assert_eq!(s.basic_fen, 32_000);
}

#[test]
fn each_layer_rounds_down_to_the_fen() {
    let p = policy();
    let (s, _) = run(
        &p,
        &ytd(50_000, 0, 0, 0),
        &inpatient(County, true, false, 333),
    );
    assert_eq!(layers(&s), [249, 0, 0, 0, 84, 0]); // 249.75 -> 249
    let (s, _) = run(&p, &FRESH, &inpatient(County, true, true, 333));
    // basic floor(266.4) = 266; assistance floor(67 * 0.7 = 46.9) = 46;
    // target floor(299.7) = 299 <= 312 reimbursed; personal 21.
    assert_eq!(layers(&s), [266, 0, 46, 0, 21, 0]);
}

// ---------------------------------------------------------------- layer 2: serious illness

#[test]
fn serious_illness_pays_on_the_cumulative_burden_above_its_deductible() {
    let p = policy();
    // A: 1450000; deductible 50000; basic 1050000; burden 400000 (< 500000).
    let (a, y1) = run(&p, &FRESH, &inpatient(County, true, false, 1_450_000));
    assert_eq!(layers(&a), [1_050_000, 0, 0, 0, 400_000, 0]);
    // B: 1200000; basic 900000; burden 300000 -> year 700000, 200000 above at 60% = 120000.
    let (b, y2) = run(&p, &y1, &inpatient(County, true, false, 1_200_000));
    assert_eq!(layers(&b), [900_000, 120_000, 0, 0, 180_000, 0]);
    assert_eq!(y2, ytd(50_000, 700_000, 0, 0));
    // C: 100000; basic 75000; burden 25000, all above: 15000.
    let (c, y3) = run(&p, &y2, &inpatient(County, true, false, 100_000));
    assert_eq!(layers(&c), [75_000, 15_000, 0, 0, 10_000, 0]);
    assert_eq!(y3.serious_burden_fen, 725_000);
}

#[test]
fn serious_illness_pays_nothing_until_the_deductible_is_exactly_reached() {
    let p = policy();
    // burden 499000 + 1000 = 500000 exactly: nothing above.
    let (s1, y1) = run(
        &p,
        &ytd(50_000, 499_000, 0, 0),
        &inpatient(County, true, false, 4_000),
    );
    assert_eq!(layers(&s1), [3_000, 0, 0, 0, 1_000, 0]);
    assert_eq!(y1.serious_burden_fen, 500_000);
    // the next 1000 is all above: 600.
    let (s2, _) = run(&p, &y1, &inpatient(County, true, false, 4_000));
    assert_eq!(layers(&s2), [3_000, 600, 0, 0, 400, 0]);
}

#[test]
fn poor_serious_illness_uses_the_lowered_deductible_and_rate() {
    let (s, next) = run(&policy(), &FRESH, &inpatient(County, true, true, 3_000_000));
    // basic 2400000; burden 600000, 350000 above 250000 at 65% = 227500; left 372500;
    // assistance 260750; personal 111750 (within cap, above 90% target).
    assert_eq!(layers(&s), [2_400_000, 227_500, 260_750, 0, 111_750, 0]);
    assert_eq!(next, ytd(0, 600_000, 260_750, 111_750));
}

#[test]
fn becoming_poor_mid_year_keeps_the_burden_and_counts_only_poor_cases_toward_the_cap() {
    let p = policy();
    // Not yet registered: deductible 50000, basic 750000, burden 300000 (< 500000).
    let (a, y1) = run(&p, &FRESH, &inpatient(County, true, false, 1_050_000));
    assert_eq!(layers(&a), [750_000, 0, 0, 0, 300_000, 0]);
    assert_eq!(y1, ytd(50_000, 300_000, 0, 0));
    // Registered: burden 20000 on top of 300000, which is already above the poor's 250000:
    // serious 20000 * 65% = 13000; left 7000; assistance 4900; personal 2100.
    let (b, y2) = run(&p, &y1, &inpatient(County, true, true, 100_000));
    assert_eq!(layers(&b), [80_000, 13_000, 4_900, 0, 2_100, 0]);
    assert_eq!(y2, ytd(50_000, 320_000, 4_900, 2_100));
}

// ---------------------------------------------------------------- layer 3: assistance

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

//! The four layers: basic insurance, serious-illness insurance, medical assistance and
//! supplementary insurance (the cap and the targets).
//!
//! Each scenario is a named list of settlements against the 2019 policy (or an edit of
//! it); a settlement starts from a given year-to-date state or from where the one before
//! it left off, and names the figures it must produce. A failure names the scenario, the
//! settlement's number and its institution level.

use super::*;
use Want::*;

/// One figure a settlement must produce.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// All six layers, in the order of [`layers`].
    Layers([i64; 6]),
    /// `personal_total_fen`.
    PersonalTotal(i64),
    /// `basic_fen` alone.
    Basic(i64),
    /// `assistance_fen` alone.
    Assistance(i64),
    /// `supplementary_fen` alone.
    Supplementary(i64),
    /// The whole `ytd_delta`.
    Delta(YtdDelta),
    /// `ytd_delta.basic_deductible_used_fen`.
    DeductibleUsed(i64),
    /// The whole year-to-date state after the settlement.
    Next(YearToDate),
    /// `basic_deductible_used_fen` of the state after.
    NextDeductible(i64),
    /// `serious_burden_fen` of the state after.
    NextBurden(i64),
    /// `assistance_paid_fen` of the state after.
    NextAssistance(i64),
    /// `in_county_personal_fen` of the state after.
    NextInCounty(i64),
}

/// One settlement of a scenario.
struct Step {
    /// The state it starts from; `None`: the state the previous settlement left.
    from: Option<YearToDate>,
    case: Case,
    want: Vec<Want>,
}

/// A named run of settlements under one policy.
struct Scenario {
    name: &'static str,
    edit: fn(&mut Policy),
    steps: Vec<Step>,
}

impl Scenario {
    fn new(name: &'static str) -> Self {
        Scenario {
            name,
            edit: |_| {},
            steps: Vec::new(),
        }
    }

    /// Settles under the 2019 policy changed by `edit`.
    fn policy(mut self, edit: fn(&mut Policy)) -> Self {
        self.edit = edit;
        self
    }

    /// Settles `case` starting from `from`.
    fn at(mut self, from: YearToDate, case: Case) -> Self {
        self.steps.push(Step {
            from: Some(from),
            case,
            want: Vec::new(),
        });
        self
    }

    /// Settles `case` starting from the state the previous settlement left.
    fn then(mut self, case: Case) -> Self {
        self.steps.push(Step {
            from: None,
            case,
            want: Vec::new(),
        });
        self
    }

    /// The last settlement must produce `want` too.
    fn and(mut self, want: Want) -> Self {
        let last = self.steps.last_mut().expect("a settlement to check");
        last.want.push(want);
        self
    }

    /// The last settlement's six layers, in the order of [`layers`].
    fn pays(self, layers: [i64; 6]) -> Self {
        self.and(Layers(layers))
    }

    /// The year-to-date state the last settlement leaves.
    fn leaves(self, next: YearToDate) -> Self {
        self.and(Next(next))
    }
}

fn check(label: &str, s: &Settlement, next: &YearToDate, want: Want) {
    let (got, expected) = match want {
        Layers(w) => return assert_eq!(layers(s), w, "{label}: layers"),
        Delta(w) => return assert_eq!(s.ytd_delta, w, "{label}: ytd_delta"),
        Next(w) => return assert_eq!(*next, w, "{label}: next year-to-date"),
        PersonalTotal(w) => (s.personal_total_fen, w),
        Basic(w) => (s.basic_fen, w),
        Assistance(w) => (s.assistance_fen, w),
        Supplementary(w) => (s.supplementary_fen, w),
        DeductibleUsed(w) => (s.ytd_delta.basic_deductible_used_fen, w),
        NextDeductible(w) => (next.basic_deductible_used_fen, w),
        NextBurden(w) => (next.serious_burden_fen, w),
        NextAssistance(w) => (next.assistance_paid_fen, w),
        NextInCounty(w) => (next.in_county_personal_fen, w),
    };
    assert_eq!(got, expected, "{label}: {want:?}");
}

fn settle_all(scenarios: impl IntoIterator<Item = Scenario>) {
    for scenario in scenarios {
        let mut p = policy();
        (scenario.edit)(&mut p);
        let mut state = FRESH;
        for (i, step) in scenario.steps.iter().enumerate() {
            let label = format!(
                "{}, settlement {} ({})",
                scenario.name,
                i + 1,
                step.case.institution_level
            );
            let (s, next) = run_labelled(&label, &p, &step.from.unwrap_or(state), &step.case);
            for want in &step.want {
                check(&label, &s, &next, *want);
            }
            state = next;
        }
    }
}

/// One scenario of one settlement per level, each of `case(level)` from a fresh year.
fn per_level(
    name: &'static str,
    case: impl Fn(InstitutionLevel) -> Case,
    want: impl IntoIterator<Item = (InstitutionLevel, Vec<Want>)>,
) -> Scenario {
    let settle_level = |scenario: Scenario, (level, want): (_, Vec<_>)| {
        want.into_iter()
            .fold(scenario.at(FRESH, case(level)), Scenario::and)
    };
    want.into_iter().fold(Scenario::new(name), settle_level)
}

// ---------------------------------------------------------------- layer 1: basic

#[test]
fn basic_insurance() {
    let out_of_policy = Case {
        out_of_policy_fen: 100_000,
        ..inpatient(County, true, false, 1_000_000)
    };
    settle_all(vec![
        // in-policy 900000; deductible 50000; basic (850000 * 75%) = 637500;
        // burden 262500 < 500000.
        Scenario::new("non_poor_county_case_pays_the_whole_deductible_first")
            .at(FRESH, out_of_policy)
            .pays([637_500, 0, 0, 0, 262_500, 100_000])
            .and(PersonalTotal(362_500))
            .and(Delta(delta(50_000, 262_500, 0, 0)))
            .leaves(ytd(50_000, 262_500, 0, 0)),
        // 20000 left of 50000; basic (80000 * 75%) = 60000.
        Scenario::new("deductible_partly_used_charges_only_the_rest")
            .at(
                ytd(30_000, 0, 0, 0),
                inpatient(County, true, false, 100_000),
            )
            .pays([60_000, 0, 0, 0, 40_000, 0])
            .and(DeductibleUsed(20_000))
            .leaves(ytd(50_000, 40_000, 0, 0)),
        Scenario::new("deductible_exactly_used_charges_nothing")
            .at(
                ytd(50_000, 40_000, 0, 0),
                inpatient(County, true, false, 100_000),
            )
            .pays([75_000, 0, 0, 0, 25_000, 0])
            .and(DeductibleUsed(0))
            .leaves(ytd(50_000, 65_000, 0, 0)),
        Scenario::new("deductible_paid_at_a_higher_level_covers_a_lower_level")
            // 150000 already charged (a provincial stay): a county case owes no deductible.
            .at(
                ytd(150_000, 0, 0, 0),
                inpatient(County, true, false, 100_000),
            )
            .and(Basic(75_000))
            // ... while a provincial case after a county deductible owes the difference.
            .at(
                ytd(50_000, 0, 0, 0),
                inpatient(Province, false, false, 1_000_000),
            )
            .and(DeductibleUsed(100_000))
            .and(Basic(495_000)) // 900000 * 55%
            .and(NextDeductible(150_000)),
        Scenario::new("case_below_the_deductible_is_all_deductible_and_carries_over")
            .at(FRESH, inpatient(County, true, false, 30_000))
            .pays([0, 0, 0, 0, 30_000, 0])
            .leaves(ytd(30_000, 30_000, 0, 0))
            .then(inpatient(County, true, false, 100_000))
            .pays([60_000, 0, 0, 0, 40_000, 0])
            .leaves(ytd(50_000, 70_000, 0, 0)),
        per_level(
            "non_poor_in_county_levels",
            |level| inpatient(level, true, false, 1_000_000),
            [
                (Village, [850_000, 0, 0, 0, 150_000, 0]),  // 1000000 * 85%
                (Township, [833_000, 0, 0, 0, 167_000, 0]), // 980000 * 85%
                (County, [712_500, 0, 0, 0, 287_500, 0]),   // 950000 * 75%
                (City, [598_000, 0, 0, 0, 402_000, 0]),     // 920000 * 65%
                // 850000 * 55% = 467500; burden 532500, 32500 above 500000 at 60% = 19500.
                (Province, [467_500, 19_500, 0, 0, 513_000, 0]),
            ]
            .map(|(level, want)| (level, vec![Layers(want)])),
        ),
        per_level(
            "non_poor_out_of_county_levels",
            |level| inpatient(level, false, false, 1_000_000),
            [
                (Village, 750_000),  // 1000000 * 75%
                (Township, 735_000), // 980000 * 75%
                (County, 617_500),   // 950000 * 65%
                (City, 598_000),     // same as in county
                (Province, 467_500), // same as in county
            ]
            .map(|(level, basic)| (level, vec![Basic(basic), Assistance(0), Supplementary(0)])),
        ),
        per_level(
            "poor_in_county_levels_waive_the_deductible_and_raise_the_rate",
            |level| inpatient(level, true, true, 100_000),
            [
                // basic at the poor's rate, assistance 70% of the rest, personal the remainder.
                (Village, [90_000, 0, 7_000, 0, 3_000, 0]),
                (Township, [90_000, 0, 7_000, 0, 3_000, 0]),
                (County, [80_000, 0, 14_000, 0, 6_000, 0]),
                (City, [70_000, 0, 21_000, 0, 9_000, 0]),
                // 60000 + 28000 = 88% < 90% inpatient target: supplementary tops up 2000.
                (Province, [60_000, 0, 28_000, 2_000, 10_000, 0]),
            ]
            // the deductible waived: none charged.
            .map(|(level, want)| {
                let waived = vec![Layers(want), NextDeductible(0), NextInCounty(want[4])];
                (level, waived)
            }),
        ),
        Scenario::new("poor_in_and_out_of_county_differ")
            .at(FRESH, inpatient(County, true, true, 100_000))
            .pays([80_000, 0, 14_000, 0, 6_000, 0])
            .leaves(ytd(0, 20_000, 14_000, 6_000))
            // deductible halved to 25000; basic (75000 * 70%) = 52500; burden 47500;
            // assistance floor(47500 * 70%) = 33250; no supplementary out of county.
            .at(FRESH, inpatient(County, false, true, 100_000))
            .pays([52_500, 0, 33_250, 0, 14_250, 0])
            .leaves(ytd(25_000, 47_500, 33_250, 0)),
        // deductible 150000 halved = 75000, 65000 left; basic (935000 * 60%) = 561000;
        // burden 439000, 189000 above 250000 at 65% = 122850; left 316150;
        // assistance floor(316150 * 70%) = 221305; personal 94845.
        Scenario::new("poor_out_of_county_with_deductible_partly_used_and_serious_illness")
            .at(
                ytd(10_000, 0, 0, 0),
                inpatient(Province, false, true, 1_000_000),
            )
            .pays([561_000, 122_850, 221_305, 0, 94_845, 0])
            .leaves(ytd(75_000, 439_000, 221_305, 0)),
        // deductible 25000, 15000 left; basic (85000 * 80%) = 68000; burden 32000;
        // assistance 22400; reimbursed 90400 >= 90000 target; personal 9600.
        Scenario::new("poor_deductible_halved_in_county_when_the_policy_says_so")
            .policy(|p| p.basic.poor_deductible_in_county_bp = 5_000)
            .at(ytd(10_000, 0, 0, 0), inpatient(County, true, true, 100_000))
            .pays([68_000, 0, 22_400, 0, 9_600, 0])
            .leaves(ytd(25_000, 32_000, 22_400, 9_600)),
        // floor(20001 / 2) = 10000; basic (40000 * 80%) = 32000.
        Scenario::new("halved_odd_deductible_rounds_down_for_the_person")
            .policy(|p| p.basic.out_of_county.township.deductible_fen = 20_001)
            .at(FRESH, inpatient(Township, false, true, 50_000))
            .and(DeductibleUsed(10_000))
            .and(Basic(32_000)),
        Scenario::new("each_layer_rounds_down_to_the_fen")
            .at(ytd(50_000, 0, 0, 0), inpatient(County, true, false, 333))
            .pays([249, 0, 0, 0, 84, 0]) // 249.75 -> 249
            // basic floor(266.4) = 266; assistance floor(67 * 0.7 = 46.9) = 46;
            // target floor(299.7) = 299 <= 312 reimbursed; personal 21.
            .at(FRESH, inpatient(County, true, true, 333))
            .pays([266, 0, 46, 0, 21, 0]),
    ]);
}

// ---------------------------------------------------------------- layer 2: serious illness

#[test]
fn serious_illness_insurance() {
    settle_all(vec![
        Scenario::new("serious_illness_pays_on_the_cumulative_burden_above_its_deductible")
            // A: 1450000; deductible 50000; basic 1050000; burden 400000 (< 500000).
            .at(FRESH, inpatient(County, true, false, 1_450_000))
            .pays([1_050_000, 0, 0, 0, 400_000, 0])
            // B: 1200000; basic 900000; burden 300000 -> year 700000, 200000 above at 60%
            // = 120000.
            .then(inpatient(County, true, false, 1_200_000))
            .pays([900_000, 120_000, 0, 0, 180_000, 0])
            .leaves(ytd(50_000, 700_000, 0, 0))
            // C: 100000; basic 75000; burden 25000, all above: 15000.
            .then(inpatient(County, true, false, 100_000))
            .pays([75_000, 15_000, 0, 0, 10_000, 0])
            .and(NextBurden(725_000)),
        Scenario::new("serious_illness_pays_nothing_until_the_deductible_is_exactly_reached")
            // burden 499000 + 1000 = 500000 exactly: nothing above.
            .at(
                ytd(50_000, 499_000, 0, 0),
                inpatient(County, true, false, 4_000),
            )
            .pays([3_000, 0, 0, 0, 1_000, 0])
            .and(NextBurden(500_000))
            // the next 1000 is all above: 600.
            .then(inpatient(County, true, false, 4_000))
            .pays([3_000, 600, 0, 0, 400, 0]),
        // basic 2400000; burden 600000, 350000 above 250000 at 65% = 227500; left 372500;
        // assistance 260750; personal 111750 (within cap, above 90% target).
        Scenario::new("poor_serious_illness_uses_the_lowered_deductible_and_rate")
            .at(FRESH, inpatient(County, true, true, 3_000_000))
            .pays([2_400_000, 227_500, 260_750, 0, 111_750, 0])
            .leaves(ytd(0, 600_000, 260_750, 111_750)),
        Scenario::new(
            "becoming_poor_mid_year_keeps_the_burden_and_counts_only_poor_cases_toward_the_cap",
        )
        // Not yet registered: deductible 50000, basic 750000, burden 300000 (< 500000).
        .at(FRESH, inpatient(County, true, false, 1_050_000))
        .pays([750_000, 0, 0, 0, 300_000, 0])
        .leaves(ytd(50_000, 300_000, 0, 0))
        // Registered: burden 20000 on top of 300000, which is already above the poor's
        // 250000: serious 20000 * 65% = 13000; left 7000; assistance 4900; personal 2100.
        .then(inpatient(County, true, true, 100_000))
        .pays([80_000, 13_000, 4_900, 0, 2_100, 0])
        .leaves(ytd(50_000, 320_000, 4_900, 2_100)),
    ]);
}

// ---------------------------------------------------------------- layer 3: assistance

#[test]
fn medical_assistance() {
    settle_all(vec![
        Scenario::new("assistance_stops_at_its_annual_cap")
            // basic 800000; burden 200000 (< 250000); assistance min(140000, 50000 room) =
            // 50000; reimbursed 850000 < 900000 target: supplementary 50000; personal 100000.
            .at(
                ytd(0, 0, 1_950_000, 0),
                inpatient(County, true, true, 1_000_000),
            )
            .pays([800_000, 0, 50_000, 50_000, 100_000, 0])
            .leaves(ytd(0, 200_000, 2_000_000, 100_000))
            // cap reached: the next case gets no assistance.
            .then(inpatient(Township, true, true, 100_000))
            .pays([90_000, 0, 0, 0, 10_000, 0])
            .and(NextAssistance(2_000_000)),
        // 70% of 20000 = 14000 = the room left.
        Scenario::new("assistance_that_exactly_fills_the_cap")
            .at(
                ytd(0, 0, 1_986_000, 0),
                inpatient(County, true, true, 100_000),
            )
            .pays([80_000, 0, 14_000, 0, 6_000, 0])
            .and(NextAssistance(2_000_000)),
        // basic (9950000 * 75%) = 7462500; burden 2537500; 2037500 above 500000 at 60% =
        // 1222500.
        Scenario::new("non_poor_get_neither_assistance_nor_supplementary")
            .at(FRESH, inpatient(County, true, false, 10_000_000))
            .pays([7_462_500, 1_222_500, 0, 0, 1_315_000, 0])
            .leaves(ytd(50_000, 2_537_500, 0, 0)),
    ]);
}

// ---------------------------------------------------------------- layer 4: supplementary

#[test]
fn supplementary_insurance() {
    settle_all(vec![
        Scenario::new("case_that_crosses_the_personal_cap")
            // basic 800000; burden 200000; no assistance left; 200000 would be personal,
            // only 50000 fits under the cap: supplementary 150000 (more than the 100000 the
            // 90% target needs).
            .at(
                ytd(0, 0, 2_000_000, 450_000),
                inpatient(County, true, true, 1_000_000),
            )
            .pays([800_000, 0, 0, 150_000, 50_000, 0])
            .leaves(ytd(0, 200_000, 2_000_000, 500_000))
            // Past the cap, supplementary pays everything the other layers leave: burden
            // 400000 in the year, 150000 above 250000 at 65% = 97500; left 102500.
            .then(inpatient(County, true, true, 1_000_000))
            .pays([800_000, 97_500, 0, 102_500, 0, 0])
            .leaves(ytd(0, 400_000, 2_000_000, 500_000)),
        Scenario::new("cap_reached_exactly_at_500000_fen")
            // basic 900000; assistance 70000; personal 30000 -> 500000 exactly; nothing to
            // top up.
            .at(
                ytd(0, 0, 0, 470_000),
                inpatient(Township, true, true, 1_000_000),
            )
            .pays([900_000, 0, 70_000, 0, 30_000, 0])
            .and(NextInCounty(500_000))
            // One more fen would be over: the next case is all supplementary.
            .then(inpatient(Township, true, true, 10_000))
            .pays([9_000, 0, 700, 300, 0, 0])
            .and(NextInCounty(500_000)),
        Scenario::new("one_fen_over_the_cap_is_topped_up")
            .at(
                ytd(0, 0, 0, 470_001),
                inpatient(Township, true, true, 1_000_000),
            )
            .pays([900_000, 0, 70_000, 1, 29_999, 0])
            .and(NextInCounty(500_000)),
        // poor out of county: deductible 40000; basic (60000 * 70%) = 42000; personal 58000.
        Scenario::new("out_of_county_care_is_not_capped")
            .at(
                ytd(0, 0, 2_000_000, 500_000),
                inpatient(City, false, true, 100_000),
            )
            .pays([42_000, 0, 0, 0, 58_000, 0])
            .and(NextInCounty(500_000)),
        Scenario::new("inpatient_target_tops_up_to_90_percent")
            .at(
                ytd(0, 0, 2_000_000, 0),
                inpatient(County, true, true, 100_000),
            )
            .pays([80_000, 0, 0, 10_000, 10_000, 0]),
        // chronic terms: no deductible, 70% for the poor; 80% target: supplementary 10000.
        Scenario::new("chronic_outpatient_target_tops_up_to_80_percent")
            .at(ytd(0, 0, 2_000_000, 0), chronic(County, true, 100_000))
            .pays([70_000, 0, 0, 10_000, 20_000, 0])
            .leaves(ytd(0, 30_000, 2_000_000, 20_000)),
        Scenario::new("chronic_outpatient_with_assistance_needs_no_top_up")
            .at(FRESH, chronic(County, true, 100_000))
            .pays([70_000, 0, 21_000, 0, 9_000, 0]),
        per_level(
            "chronic_outpatient_terms_do_not_depend_on_level",
            |level| chronic(level, false, 100_000),
            InstitutionLevel::ALL.map(|level| (level, vec![Layers([60_000, 0, 0, 0, 40_000, 0])])),
        ),
        Scenario::new("targets_set_to_zero_leave_only_the_cap")
            .policy(|p| p.supplementary.inpatient_target_bp = 0)
            .at(
                ytd(0, 0, 2_000_000, 0),
                inpatient(County, true, true, 100_000),
            )
            .pays([80_000, 0, 0, 0, 20_000, 0]),
        Scenario::new("large_case_uses_all_four_layers_then_the_caps_bind")
            // basic 24000000; burden 6000000, 5750000 above at 65% = 3737500; left 2262500;
            // assistance 1583750; left 678750, cap 500000: supplementary 178750.
            .at(FRESH, inpatient(County, true, true, 30_000_000))
            .pays([24_000_000, 3_737_500, 1_583_750, 178_750, 500_000, 0])
            .leaves(ytd(0, 6_000_000, 1_583_750, 500_000))
            // serious 6000000 * 65% = 3900000; left 2100000; assistance capped at 416250 of
            // 1470000; supplementary pays the rest 1683750; personal 0.
            .then(inpatient(County, true, true, 30_000_000))
            .pays([24_000_000, 3_900_000, 416_250, 1_683_750, 0, 0])
            .leaves(ytd(0, 12_000_000, 2_000_000, 500_000)),
    ]);
}

//! Properties of the settlement over random sequences of cases, under the default policy
//! years and under random valid policies. Uses only the crate's public API.

use proptest::prelude::*;
use xk_health::domain::{
    BP_SCALE, BasicInsurance, BasicTerms, Case, InstitutionLevel, LevelTable, MedicalAssistance,
    Policy, Premium, SeriousIllness, Settlement, Supplementary, YearToDate, embedded_book, reverse,
    settle, settle_all,
};

fn level() -> impl Strategy<Value = InstitutionLevel> {
    prop::sample::select(InstitutionLevel::ALL.to_vec())
}

prop_compose! {
    /// A valid case: up to 500,000 yuan, a random share of it out of policy; small costs are
    /// as likely as large ones so deductibles and caps are crossed at every size.
    fn case()(
        magnitude in 0u32..=10,
        mantissa in 0i64..=50_000,
        out_share_bp in prop_oneof![Just(0u32), 0u32..=BP_SCALE],
        institution_level in level(),
        in_county in any::<bool>(),
        chronic_outpatient in any::<bool>(),
        registered_poor in prop::bool::weighted(0.7),
    ) -> Case {
        let total_fen = (mantissa * 1_000) >> magnitude;
        let out_of_policy_fen = total_fen * i64::from(out_share_bp) / i64::from(BP_SCALE);
        Case { total_fen, out_of_policy_fen, institution_level, in_county, chronic_outpatient, registered_poor }
    }
}

prop_compose! {
    fn terms()(deductible_fen in 0i64..=300_000, rate_bp in 0u32..=BP_SCALE, raise in 0u32..=BP_SCALE)
        -> BasicTerms {
        BasicTerms { deductible_fen, rate_bp, poor_rate_bp: rate_bp.saturating_add(raise).min(BP_SCALE) }
    }
}

prop_compose! {
    fn level_table()(village in terms(), township in terms(), county in terms(), city in terms(), province in terms())
        -> LevelTable {
        LevelTable { village, township, county, city, province }
    }
}

prop_compose! {
    /// Any policy that passes validation.
    fn random_policy()(
        in_county in level_table(),
        out_of_county in level_table(),
        chronic_outpatient in terms(),
        poor_in in 0u32..=BP_SCALE,
        poor_out in 0u32..=BP_SCALE,
        serious_deductible in 0i64..=1_000_000,
        poor_serious_share in 0u32..=BP_SCALE,
        serious_rate in 0u32..=BP_SCALE,
        serious_raise in 0u32..=BP_SCALE,
        assistance_rate in 0u32..=BP_SCALE,
        assistance_cap in 0i64..=3_000_000,
        personal_cap in 0i64..=1_000_000,
        inpatient_target in 0u32..=BP_SCALE,
        chronic_target in 0u32..=BP_SCALE,
    ) -> Policy {
        Policy {
            premium: Premium { individual_fen: 22_000, poor_government_share_bp: BP_SCALE },
            basic: BasicInsurance {
                poor_deductible_in_county_bp: poor_in,
                poor_deductible_out_of_county_bp: poor_out,
                in_county,
                out_of_county,
                chronic_outpatient,
            },
            serious_illness: SeriousIllness {
                deductible_fen: serious_deductible,
                rate_bp: serious_rate,
                poor_deductible_fen: serious_deductible * i64::from(poor_serious_share) / i64::from(BP_SCALE),
                poor_rate_bp: serious_rate.saturating_add(serious_raise).min(BP_SCALE),
            },
            medical_assistance: MedicalAssistance { rate_bp: assistance_rate, annual_cap_fen: assistance_cap },
            supplementary: Supplementary {
                annual_personal_cap_fen: personal_cap,
                inpatient_target_bp: inpatient_target,
                chronic_outpatient_target_bp: chronic_target,
            },
        }
    }
}

/// A default year's policy or a random valid one.
fn policy() -> impl Strategy<Value = Policy> {
    let book = embedded_book().expect("embedded policy is valid");
    let defaults: Vec<Policy> = book.iter().map(|(_, p)| p.clone()).collect();
    prop_oneof![prop::sample::select(defaults), random_policy()]
}

fn year() -> impl Strategy<Value = (Policy, Vec<Case>)> {
    (policy(), prop::collection::vec(case(), 0..16))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_policies_are_valid(p in random_policy()) {
        prop_assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn every_case_adds_up_and_no_layer_is_negative((p, cases) in year()) {
        let (settlements, _) = settle_all(&p, &cases).unwrap();
        prop_assert_eq!(settlements.len(), cases.len());
        for (c, s) in cases.iter().zip(&settlements) {
            for v in [s.basic_fen, s.serious_fen, s.assistance_fen, s.supplementary_fen,
                      s.personal_in_policy_fen, s.personal_out_of_policy_fen, s.personal_total_fen] {
                prop_assert!(v >= 0, "{s:?}");
            }
            prop_assert_eq!(
                s.basic_fen + s.serious_fen + s.assistance_fen + s.supplementary_fen + s.personal_total_fen,
                c.total_fen
            );
            prop_assert_eq!(s.personal_total_fen, s.personal_in_policy_fen + s.personal_out_of_policy_fen);
            prop_assert_eq!(s.personal_out_of_policy_fen, c.out_of_policy_fen);
            if !c.registered_poor {
                prop_assert_eq!(s.assistance_fen, 0);
                prop_assert_eq!(s.supplementary_fen, 0);
            }
            if !c.in_county {
                prop_assert_eq!(s.supplementary_fen, 0);
            }
        }
    }

    #[test]
    fn poor_in_county_personal_payment_never_exceeds_the_cap((p, cases) in year()) {
        let cap = p.supplementary.annual_personal_cap_fen;
        let (settlements, end) = settle_all(&p, &cases).unwrap();
        let mut paid = 0i64;
        for (c, s) in cases.iter().zip(&settlements) {
            if c.registered_poor && c.in_county {
                paid += s.personal_in_policy_fen;
                prop_assert!(paid <= cap, "year-to-date {paid} > cap {cap}");
            }
        }
        prop_assert_eq!(end.in_county_personal_fen, paid);
    }

    #[test]
    fn assistance_never_exceeds_its_annual_cap((p, cases) in year()) {
        let cap = p.medical_assistance.annual_cap_fen;
        let (settlements, end) = settle_all(&p, &cases).unwrap();
        let mut paid = 0i64;
        for s in &settlements {
            paid += s.assistance_fen;
            prop_assert!(paid <= cap, "assistance {paid} > cap {cap}");
        }
        prop_assert_eq!(end.assistance_paid_fen, paid);
    }

    #[test]
    fn settle_all_is_deterministic_and_is_the_fold_of_settle((p, cases) in year()) {
        let first = settle_all(&p, &cases).unwrap();
        let second = settle_all(&p, &cases).unwrap();
        prop_assert_eq!(&first, &second);
        let mut state = YearToDate::default();
        let mut folded: Vec<Settlement> = Vec::new();
        for c in &cases {
            let (s, next) = settle(&p, &state, c).unwrap();
            folded.push(s);
            state = next;
        }
        prop_assert_eq!(first, (folded, state));
    }

    #[test]
    fn reversing_from_the_latest_back_restores_every_earlier_state((p, cases) in year()) {
        let mut states = vec![YearToDate::default()];
        let mut settlements = Vec::new();
        for c in &cases {
            let (s, next) = settle(&p, states.last().unwrap(), c).unwrap();
            settlements.push(s);
            states.push(next);
        }
        let mut state = *states.last().unwrap();
        for (i, s) in settlements.iter().enumerate().rev() {
            state = reverse(&state, s).unwrap();
            prop_assert_eq!(state, states[i]);
        }
        prop_assert_eq!(state, YearToDate::default());
    }

    #[test]
    fn the_state_only_grows_and_the_year_sums_its_deltas((p, cases) in year()) {
        let (settlements, end) = settle_all(&p, &cases).unwrap();
        let sum = |f: fn(&Settlement) -> i64| settlements.iter().map(f).sum::<i64>();
        prop_assert_eq!(end.basic_deductible_used_fen, sum(|s| s.ytd_delta.basic_deductible_used_fen));
        prop_assert_eq!(end.serious_burden_fen, sum(|s| s.ytd_delta.serious_burden_fen));
        prop_assert_eq!(end.assistance_paid_fen, sum(|s| s.assistance_fen));
        for s in &settlements {
            let d = s.ytd_delta;
            prop_assert!(d.basic_deductible_used_fen >= 0 && d.serious_burden_fen >= 0
                && d.assistance_paid_fen >= 0 && d.in_county_personal_fen >= 0);
        }
    }

    #[test]
    fn registration_never_makes_a_fresh_case_cost_the_person_more(p in policy(), c in case()) {
        let fresh = YearToDate::default();
        let (poor, _) = settle(&p, &fresh, &Case { registered_poor: true, ..c }).unwrap();
        let (general, _) = settle(&p, &fresh, &Case { registered_poor: false, ..c }).unwrap();
        prop_assert!(poor.personal_total_fen <= general.personal_total_fen,
            "poor {poor:?} general {general:?}");
        prop_assert!(poor.basic_fen >= general.basic_fen);
    }

    #[test]
    fn poor_in_county_cases_reach_their_target_unless_already_past_it((p, cases) in year()) {
        let (settlements, _) = settle_all(&p, &cases).unwrap();
        for (c, s) in cases.iter().zip(&settlements) {
            if c.registered_poor && c.in_county {
                let target = if c.chronic_outpatient {
                    p.supplementary.chronic_outpatient_target_bp
                } else {
                    p.supplementary.inpatient_target_bp
                };
                let in_policy = c.total_fen - c.out_of_policy_fen;
                let floor_target = i64::try_from(
                    i128::from(in_policy) * i128::from(target) / i128::from(BP_SCALE)).unwrap();
                prop_assert!(s.basic_fen + s.serious_fen + s.assistance_fen + s.supplementary_fen >= floor_target);
            }
        }
    }
}

//! Unit tests of the grading rules: every edge of every indicator, and unmeasured values.

use super::*;
use crate::domain::measurements::{AreaType, ScatteredKind};
use crate::domain::policy::test_thresholds;
use chrono::NaiveDate;

/// A household that is 安全 on every indicator under the default thresholds; each test
/// changes one measurement.
fn safe() -> Measurements {
    Measurements {
        supply: Supply::Centralized {
            scheme_id: "GC-SH-001".into(),
        },
        litres_per_person_day: Some(80),
        quality: QualityEvidence::LabReport {
            report_no: "SZ-2019-0413".into(),
            lab: "襄阳市疾控中心".into(),
            date: NaiveDate::from_ymd_opt(2019, 4, 13).expect("valid date"),
            meets_gb5749: true,
        },
        piped_in: true,
        fetch_round_trip_minutes: None,
        horizontal_distance_m: None,
        vertical_distance_m: None,
        outage_days_last_12_months: Some(0),
        area: AreaType::WaterRich,
        assessed_on: NaiveDate::from_ymd_opt(2019, 6, 1).expect("valid date"),
        seasonal_check: false,
    }
}

/// Not piped in, and far away on every measure: only the one measure under test can
/// lift convenience.
fn fetching(minutes: u32, horizontal: u32, vertical: u32) -> Measurements {
    Measurements {
        piped_in: false,
        fetch_round_trip_minutes: Some(minutes),
        horizontal_distance_m: Some(horizontal),
        vertical_distance_m: Some(vertical),
        ..safe()
    }
}

fn litres(area: AreaType, l: u32) -> Grade {
    let m = Measurements {
        area,
        litres_per_person_day: Some(l),
        ..safe()
    };
    grade_quantity(&m, &test_thresholds())
}

#[test]
fn shortage_is_quantity_or_supply_failing() {
    use Grade::{BasicallyMet as B, Met as M, NotMet as N};
    assert!(!Assessment::from_grades(B, N, N, B).is_shortage());
    assert!(Assessment::from_grades(N, M, M, M).is_shortage());
    assert!(Assessment::from_grades(M, M, M, N).is_shortage());
}

/// Asserts the quantity grade of each litres value in `area`, naming the case on failure.
fn quantity_edges(area: AreaType, cases: [(u32, Grade); 6]) {
    for (l, grade) in cases {
        assert_eq!(litres(area, l), grade, "{area:?}, {l} L");
    }
}

#[test]
fn quantity_edges_water_rich() {
    use Grade::{BasicallyMet as B, Met as M, NotMet as N};
    quantity_edges(
        AreaType::WaterRich,
        [(61, M), (60, M), (59, B), (35, B), (34, N), (0, N)],
    );
}

#[test]
fn quantity_edges_water_short() {
    use Grade::{BasicallyMet as B, Met as M, NotMet as N};
    quantity_edges(
        AreaType::WaterShort,
        [(60, M), (40, M), (39, B), (20, B), (19, N), (0, N)],
    );
}

#[test]
fn area_type_changes_the_grade_of_the_same_quantity() {
    // 40 L is 达标 in a water-short area but only 基本达标 in a water-rich one.
    assert_eq!(litres(AreaType::WaterShort, 40), Grade::Met);
    assert_eq!(litres(AreaType::WaterRich, 40), Grade::BasicallyMet);
    // 20 L: 基本达标 when short, 未达标 when rich.
    assert_eq!(litres(AreaType::WaterShort, 20), Grade::BasicallyMet);
    assert_eq!(litres(AreaType::WaterRich, 20), Grade::NotMet);
}

#[test]
fn quantity_follows_the_thresholds_not_literals() {
    let mut t = test_thresholds();
    t.quantity.water_rich.met_min_litres = 70;
    t.quantity.water_rich.basically_met_min_litres = 50;
    let g = |l| {
        grade_quantity(
            &Measurements {
                litres_per_person_day: Some(l),
                ..safe()
            },
            &t,
        )
    };
    assert_eq!(g(70), Grade::Met);
    assert_eq!(g(69), Grade::BasicallyMet);
    assert_eq!(g(60), Grade::BasicallyMet);
    assert_eq!(g(50), Grade::BasicallyMet);
    assert_eq!(g(49), Grade::NotMet);
}

fn quality(supply: Supply, q: QualityEvidence) -> Grade {
    grade_quality(&Measurements {
        supply,
        quality: q,
        ..safe()
    })
}

fn well() -> Supply {
    Supply::Scattered {
        kind: ScatteredKind::Well,
    }
}

fn lab(meets: bool) -> QualityEvidence {
    QualityEvidence::LabReport {
        report_no: "R".into(),
        lab: "L".into(),
        date: NaiveDate::from_ymd_opt(2019, 1, 1).expect("valid date"),
        meets_gb5749: meets,
    }
}

fn on_site(clear: bool, harmless: bool) -> QualityEvidence {
    QualityEvidence::OnSiteCheck {
        no_visible_impurity_colour_smell: clear,
        no_harm_long_use: harmless,
    }
}

#[test]
fn quality_lab_report() {
    let scheme = safe().supply;
    assert_eq!(quality(scheme.clone(), lab(true)), Grade::Met);
    assert_eq!(quality(scheme, lab(false)), Grade::NotMet);
    assert_eq!(quality(well(), lab(true)), Grade::Met);
    assert_eq!(quality(well(), lab(false)), Grade::NotMet);
}

#[test]
fn quality_on_site_check_for_scattered_supply() {
    for kind in [
        ScatteredKind::Well,
        ScatteredKind::Cistern,
        ScatteredKind::Spring,
        ScatteredKind::Other,
    ] {
        let s = Supply::Scattered { kind };
        assert_eq!(quality(s.clone(), on_site(true, true)), Grade::BasicallyMet);
        assert_eq!(quality(s.clone(), on_site(true, false)), Grade::NotMet);
        assert_eq!(quality(s.clone(), on_site(false, true)), Grade::NotMet);
        assert_eq!(quality(s, on_site(false, false)), Grade::NotMet);
    }
}

#[test]
fn quality_on_site_check_is_no_evidence_for_a_centralized_scheme() {
    assert_eq!(quality(safe().supply, on_site(true, true)), Grade::NotMet);
}

fn convenience(m: &Measurements) -> Grade {
    grade_convenience(m, &test_thresholds())
}

#[test]
fn convenience_piped_in_is_met_whatever_the_distance() {
    let m = Measurements {
        piped_in: true,
        ..fetching(500, 40_000, 2_000)
    };
    assert_eq!(convenience(&m), Grade::Met);
}

#[test]
fn convenience_round_trip_edges() {
    let far = |min| convenience(&fetching(min, 801, 81));
    assert_eq!(far(0), Grade::Met);
    assert_eq!(far(10), Grade::Met);
    assert_eq!(far(11), Grade::BasicallyMet);
    assert_eq!(far(20), Grade::BasicallyMet);
    assert_eq!(far(21), Grade::NotMet);
}

#[test]
fn convenience_horizontal_distance_edges() {
    let g = |h| convenience(&fetching(21, h, 81));
    assert_eq!(g(0), Grade::BasicallyMet);
    assert_eq!(g(800), Grade::BasicallyMet);
    assert_eq!(g(801), Grade::NotMet);
}

#[test]
fn convenience_vertical_distance_edges() {
    let g = |v| convenience(&fetching(21, 801, v));
    assert_eq!(g(0), Grade::BasicallyMet);
    assert_eq!(g(80), Grade::BasicallyMet);
    assert_eq!(g(81), Grade::NotMet);
}

#[test]
fn convenience_distances_never_reach_met() {
    // A near source without a short round trip stays 基本达标.
    assert_eq!(convenience(&fetching(11, 0, 0)), Grade::BasicallyMet);
    assert_eq!(convenience(&fetching(300, 0, 0)), Grade::BasicallyMet);
}

fn outage(days: u32) -> Grade {
    grade_supply_guarantee(
        &Measurements {
            outage_days_last_12_months: Some(days),
            ..safe()
        },
        &test_thresholds(),
    )
}

#[test]
fn supply_guarantee_edges() {
    assert_eq!(outage(0), Grade::Met);
    assert_eq!(outage(18), Grade::Met); // 95%
    assert_eq!(outage(19), Grade::BasicallyMet);
    assert_eq!(outage(36), Grade::BasicallyMet); // 90%
    assert_eq!(outage(37), Grade::NotMet);
    assert_eq!(outage(366), Grade::NotMet);
}

/// Grades `m` under the test thresholds and checks the whole assessment: the grades of
/// quantity, quality, convenience and supply guarantee, the verdict, the failing
/// indicators, and that the verdict counts as guaranteed exactly when it is not unsafe.
fn assert_assessed(m: &Measurements, grades: [Grade; 4], verdict: Verdict, failing: &[Indicator]) {
    let a = grade(m, &test_thresholds());
    let [quantity, quality, convenience, supply_guarantee] = grades;
    let expected = Assessment {
        quantity,
        quality,
        convenience,
        supply_guarantee,
        verdict,
        failing: failing.to_vec(),
    };
    assert_eq!(a, expected);
    assert_eq!(a.verdict.is_guaranteed(), verdict != Verdict::Unsafe);
}

#[test]
fn safe_household_is_safe() {
    use Grade::Met as M;
    assert_assessed(&safe(), [M, M, M, M], Verdict::Safe, &[]);
}

#[test]
fn one_basically_met_makes_basically_safe() {
    use Grade::{BasicallyMet as B, Met as M};
    let m = Measurements {
        outage_days_last_12_months: Some(30),
        ..safe()
    };
    assert_assessed(&m, [M, M, M, B], Verdict::BasicallySafe, &[]);
}

#[test]
fn scattered_well_on_site_check_is_basically_safe() {
    use Grade::{BasicallyMet as B, Met as M};
    let m = Measurements {
        supply: well(),
        quality: on_site(true, true),
        litres_per_person_day: Some(45),
        ..fetching(15, 300, 10)
    };
    assert_assessed(&m, [B, B, B, M], Verdict::BasicallySafe, &[]);
}

#[test]
fn any_not_met_makes_unsafe_and_lists_the_failures() {
    use Grade::{Met as M, NotMet as N};
    let m = Measurements {
        litres_per_person_day: Some(10),
        outage_days_last_12_months: Some(40),
        ..safe()
    };
    let failing = [Indicator::Quantity, Indicator::SupplyGuarantee];
    assert_assessed(&m, [N, M, M, N], Verdict::Unsafe, &failing);
}

#[test]
fn verdict_is_the_minimum_of_every_combination() {
    for q in Grade::ALL {
        for w in Grade::ALL {
            for c in Grade::ALL {
                for s in Grade::ALL {
                    let a = Assessment::from_grades(q, w, c, s);
                    let min = q.min(w).min(c).min(s);
                    assert_eq!(a.verdict.grade(), min);
                    assert_eq!(a.verdict, Verdict::from_grade(min));
                    let failing: Vec<_> = Indicator::ALL
                        .into_iter()
                        .zip([q, w, c, s])
                        .filter(|(_, g)| *g == Grade::NotMet)
                        .map(|(i, _)| i)
                        .collect();
                    assert_eq!(a.failing, failing);
                    assert_eq!(a.verdict.is_guaranteed(), min != Grade::NotMet);
                }
            }
        }
    }
}

#[test]
fn grade_and_verdict_scores_and_labels() {
    assert_eq!(Grade::Met.score(), 2);
    assert_eq!(Grade::BasicallyMet.score(), 1);
    assert_eq!(Grade::NotMet.score(), 0);
    assert!(Grade::NotMet < Grade::BasicallyMet && Grade::BasicallyMet < Grade::Met);
    for g in Grade::ALL {
        assert_eq!(Grade::from_score(g.score()), Some(g));
        assert_eq!(Verdict::from_grade(g).grade(), g);
        assert_eq!(Verdict::from_grade(g).score(), g.score());
    }
    assert_eq!(Grade::from_score(3), None);
    assert_eq!(Grade::Met.to_string(), "达标");
    assert_eq!(Grade::BasicallyMet.to_string(), "基本达标");
    assert_eq!(Grade::NotMet.to_string(), "未达标");
    assert_eq!(Verdict::Safe.to_string(), "安全");
    assert_eq!(Verdict::BasicallySafe.to_string(), "基本安全");
    assert_eq!(Verdict::Unsafe.to_string(), "不安全");
    assert!(Verdict::Safe.is_guaranteed());
    assert!(Verdict::BasicallySafe.is_guaranteed());
    assert!(!Verdict::Unsafe.is_guaranteed());
    assert_eq!(Verdict::of([]), Verdict::Safe);
    assert_eq!(
        Verdict::ALL.map(Verdict::label_zh),
        ["安全", "基本安全", "不安全"]
    );
    assert_eq!(
        Indicator::ALL.map(Indicator::label_zh),
        ["水量", "水质", "用水方便程度", "供水保证率"]
    );
}

/// A household fetching its water with nothing measured but what the test adds.
fn unmeasured_fetching() -> Measurements {
    Measurements {
        piped_in: false,
        fetch_round_trip_minutes: None,
        horizontal_distance_m: None,
        vertical_distance_m: None,
        ..safe()
    }
}

#[test]
fn an_unmeasured_distance_is_not_within_800_m() {
    let t = test_thresholds();
    let bound = t.convenience.basically_met_max_horizontal_distance_m;
    assert_eq!(convenience(&unmeasured_fetching()), Grade::NotMet);
    let measured = |h| Measurements {
        horizontal_distance_m: Some(h),
        ..unmeasured_fetching()
    };
    assert_eq!(convenience(&measured(bound)), Grade::BasicallyMet);
    assert_eq!(
        convenience(&measured(0)),
        Grade::BasicallyMet,
        "a measured 0 m"
    );
    assert_eq!(convenience(&measured(bound + 1)), Grade::NotMet);
    let vertical = Measurements {
        vertical_distance_m: Some(t.convenience.basically_met_max_vertical_distance_m),
        ..unmeasured_fetching()
    };
    assert_eq!(convenience(&vertical), Grade::BasicallyMet);
}

#[test]
fn other_convenience_criteria_grade_without_the_distances() {
    let piped = Measurements {
        piped_in: true,
        ..unmeasured_fetching()
    };
    assert_eq!(convenience(&piped), Grade::Met);
    let minutes = |m| Measurements {
        fetch_round_trip_minutes: Some(m),
        ..unmeasured_fetching()
    };
    assert_eq!(convenience(&minutes(10)), Grade::Met);
    assert_eq!(convenience(&minutes(0)), Grade::Met, "a measured 0 min");
    assert_eq!(convenience(&minutes(20)), Grade::BasicallyMet);
    assert_eq!(convenience(&minutes(21)), Grade::NotMet);
}

#[test]
fn unmeasured_quantity_and_outage_grade_not_met_and_say_so() {
    let m = Measurements {
        litres_per_person_day: None,
        outage_days_last_12_months: None,
        ..safe()
    };
    let a = grade(&m, &test_thresholds());
    assert_eq!(a.quantity, Grade::NotMet);
    assert_eq!(a.supply_guarantee, Grade::NotMet);
    assert_eq!((a.quality, a.convenience), (Grade::Met, Grade::Met));
    assert_eq!(a.verdict, Verdict::Unsafe);
    assert_eq!(
        a.failing,
        vec![Indicator::Quantity, Indicator::SupplyGuarantee]
    );
    // A measured zero outage is the best supply there is.
    assert_eq!(outage(0), Grade::Met);
}

//! Property tests of the water domain through its public API: the verdict is the minimum
//! of the grades, grades are monotone in every measurement, and validation accepts every
//! in-bounds record (and gives it back unchanged).

use chrono::{Days, NaiveDate};
use proptest::option;
use proptest::prelude::*;
use xk_water::domain::grading::{
    grade_convenience, grade_quality, grade_quantity, grade_supply_guarantee,
};
use xk_water::domain::policy::{
    self, ConvenienceThresholds, InputBounds, MAX_OUTAGE_DAYS, QuantityByArea, QuantityThresholds,
    SupplyGuaranteeThresholds,
};
use xk_water::domain::validate::fields;
use xk_water::domain::{
    AreaType, Grade, Indicator, Measurements, QualityEvidence, RawMeasurements, ScatteredKind,
    Supply, Thresholds, Verdict, assess, grade, parse, validate,
};

fn embedded() -> Thresholds {
    policy::embedded()
        .for_year(2019)
        .expect("embedded book covers 2019")
        .clone()
}

fn date(days_after_2018: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2018, 1, 1)
        .expect("valid date")
        .checked_add_days(Days::new(days_after_2018))
        .expect("in range")
}

fn area() -> impl Strategy<Value = AreaType> {
    prop_oneof![Just(AreaType::WaterRich), Just(AreaType::WaterShort)]
}

fn scattered_kind() -> impl Strategy<Value = ScatteredKind> {
    prop_oneof![
        Just(ScatteredKind::Well),
        Just(ScatteredKind::Cistern),
        Just(ScatteredKind::Spring),
        Just(ScatteredKind::Other),
    ]
}

fn text() -> impl Strategy<Value = String> {
    "[A-Z0-9][A-Z0-9-]{0,11}"
}

fn supply() -> impl Strategy<Value = Supply> {
    prop_oneof![
        text().prop_map(|scheme_id| Supply::Centralized { scheme_id }),
        scattered_kind().prop_map(|kind| Supply::Scattered { kind }),
    ]
}

fn lab_report(latest: NaiveDate) -> impl Strategy<Value = QualityEvidence> {
    (text(), text(), 0u64..=400, any::<bool>()).prop_map(move |(report_no, lab, back, meets)| {
        QualityEvidence::LabReport {
            report_no,
            lab,
            date: latest.checked_sub_days(Days::new(back)).expect("in range"),
            meets_gb5749: meets,
        }
    })
}

fn on_site() -> impl Strategy<Value = QualityEvidence> {
    (any::<bool>(), any::<bool>()).prop_map(|(a, b)| QualityEvidence::OnSiteCheck {
        no_visible_impurity_colour_smell: a,
        no_harm_long_use: b,
    })
}

/// The numeric fields both generators draw, in one tuple: litres per person and day,
/// piped in, fetch round trip, horizontal and vertical distance, outage days.
type Numbers = (
    Option<u32>,
    bool,
    Option<u32>,
    Option<u32>,
    Option<u32>,
    Option<u32>,
);

/// Builds one record from generated parts, so both generators name each field once.
fn assemble(
    supply: Supply,
    (l, piped, min, h, v, o): Numbers,
    quality: QualityEvidence,
    area: AreaType,
    assessed_on: NaiveDate,
    seasonal: bool,
) -> Measurements {
    Measurements {
        supply,
        litres_per_person_day: l,
        quality,
        piped_in: piped,
        fetch_round_trip_minutes: min,
        horizontal_distance_m: h,
        vertical_distance_m: v,
        outage_days_last_12_months: o,
        area,
        assessed_on,
        seasonal_check: seasonal,
    }
}

/// Any measurements at all, including values no validation would accept: grading is total.
fn any_measurements() -> impl Strategy<Value = Measurements> {
    let numbers = (
        option::of(any::<u32>()),
        any::<bool>(),
        option::of(any::<u32>()),
        option::of(any::<u32>()),
        option::of(any::<u32>()),
        option::of(any::<u32>()),
    );
    (
        supply(),
        numbers,
        prop_oneof![lab_report(date(1000)), on_site()],
        area(),
        0u64..3000,
        any::<bool>(),
    )
        .prop_map(|(supply, numbers, quality, area, day, seasonal)| {
            assemble(supply, numbers, quality, area, date(day), seasonal)
        })
}

/// Measurements near the default thresholds, so every grade is exercised often.
fn near_measurements() -> impl Strategy<Value = Measurements> {
    (
        any_measurements(),
        option::of(0u32..100),
        option::of(0u32..40),
        option::of(0u32..1000),
        option::of(0u32..120),
        option::of(0u32..60),
    )
        .prop_map(|(m, l, min, h, v, o)| Measurements {
            litres_per_person_day: l,
            fetch_round_trip_minutes: min,
            horizontal_distance_m: h,
            vertical_distance_m: v,
            outage_days_last_12_months: o,
            ..m
        })
}

/// Measurements a caller may send under `t` as of `today`: within the policy's bounds, a
/// lab report for a centralized scheme, report not after the assessment, nothing future.
fn valid_measurements(t: Thresholds, today: NaiveDate) -> impl Strategy<Value = Measurements> {
    let b = t.bounds;
    let numbers = (
        option::of(0..=b.max_litres_per_person_day),
        any::<bool>(),
        option::of(0..=b.max_fetch_round_trip_minutes),
        option::of(0..=b.max_horizontal_distance_m),
        option::of(0..=b.max_vertical_distance_m),
        option::of(0..=MAX_OUTAGE_DAYS),
    );
    (supply(), numbers, area(), 0u64..1500, any::<bool>())
        .prop_flat_map(move |(supply, numbers, area, back, seasonal)| {
            let assessed_on = today.checked_sub_days(Days::new(back)).expect("in range");
            let quality = if supply.is_centralized() {
                lab_report(assessed_on).boxed()
            } else {
                prop_oneof![lab_report(assessed_on), on_site()].boxed()
            };
            (
                Just((supply, numbers, area, assessed_on, seasonal)),
                quality,
            )
        })
        .prop_map(
            |((supply, numbers, area, assessed_on, seasonal), quality)| {
                assemble(supply, numbers, quality, area, assessed_on, seasonal)
            },
        )
}

/// Two ordered numbers `(low, high)` with `low <= high`, each in `lo..=hi`.
fn ordered(lo: u32, hi: u32) -> impl Strategy<Value = (u32, u32)> {
    (lo..=hi, lo..=hi).prop_map(|(a, b)| (a.min(b), a.max(b)))
}

/// Any consistent thresholds (what `policy::load` accepts).
fn any_thresholds() -> impl Strategy<Value = Thresholds> {
    (
        ordered(1, 200),
        ordered(1, 200),
        ordered(0, 120),
        0u32..5000,
        0u32..500,
        ordered(0, 365),
        area(),
    )
        .prop_map(|((rb, rm), (sb, sm), (cm, cb), h, v, (om, ob), area)| {
            // Water-short figures never above water-rich ones.
            let (sb, sm) = (sb.min(rb), sm.min(rm).max(sb.min(rb)));
            Thresholds {
                default_area: area,
                quantity: QuantityByArea {
                    water_rich: QuantityThresholds {
                        met_min_litres: rm,
                        basically_met_min_litres: rb,
                    },
                    water_short: QuantityThresholds {
                        met_min_litres: sm,
                        basically_met_min_litres: sb,
                    },
                },
                convenience: ConvenienceThresholds {
                    met_max_round_trip_minutes: cm,
                    basically_met_max_round_trip_minutes: cb,
                    basically_met_max_horizontal_distance_m: h,
                    basically_met_max_vertical_distance_m: v,
                },
                supply_guarantee: SupplyGuaranteeThresholds {
                    met_max_outage_days: om,
                    basically_met_max_outage_days: ob.min(MAX_OUTAGE_DAYS - 1),
                },
                bounds: InputBounds {
                    max_litres_per_person_day: 1000,
                    max_fetch_round_trip_minutes: 720,
                    max_horizontal_distance_m: 50_000,
                    max_vertical_distance_m: 3_000,
                    max_household_people: 30,
                },
            }
        })
}

/// A measurement where more is better, improved: `by` more, or measured at `by` when it
/// was not (any measured value is at least as good as none).
fn more_of(value: Option<u32>, by: u32) -> Option<u32> {
    Some(value.map_or(by, |v| v.saturating_add(by)))
}

/// A measurement where less is better, improved: `by` less, or measured at `by` when it
/// was not.
fn less_of(value: Option<u32>, by: u32) -> Option<u32> {
    Some(value.map_or(by, |v| v.saturating_sub(by)))
}

fn grades(m: &Measurements, t: &Thresholds) -> [Grade; 4] {
    let a = grade(m, t);
    Indicator::ALL.map(|i| a.grade_of(i))
}

/// Each grade of `better` is at least that of `base`, and so is the verdict.
fn assert_not_lower(base: &Measurements, better: &Measurements, t: &Thresholds) {
    let (a, b) = (grade(base, t), grade(better, t));
    for i in Indicator::ALL {
        assert!(
            b.grade_of(i) >= a.grade_of(i),
            "{i:?} fell from {:?} to {:?}\nbase {base:?}\nbetter {better:?}",
            a.grade_of(i),
            b.grade_of(i)
        );
    }
    assert!(b.verdict >= a.verdict);
}

/// The same evidence, or better evidence: a passing flag set, a lab report that meets
/// GB 5749 in place of anything.
fn improve_quality(q: &QualityEvidence, how: u8) -> QualityEvidence {
    match (q.clone(), how % 3) {
        (
            QualityEvidence::OnSiteCheck {
                no_harm_long_use, ..
            },
            0,
        ) => QualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell: true,
            no_harm_long_use,
        },
        (
            QualityEvidence::OnSiteCheck {
                no_visible_impurity_colour_smell,
                ..
            },
            1,
        ) => QualityEvidence::OnSiteCheck {
            no_visible_impurity_colour_smell,
            no_harm_long_use: true,
        },
        (
            QualityEvidence::LabReport {
                report_no,
                lab,
                date,
                ..
            },
            _,
        ) => QualityEvidence::LabReport {
            report_no,
            lab,
            date,
            meets_gb5749: true,
        },
        (QualityEvidence::OnSiteCheck { .. }, _) => QualityEvidence::LabReport {
            report_no: "R".into(),
            lab: "L".into(),
            date: date(0),
            meets_gb5749: true,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn verdict_is_the_minimum_of_the_grades(
        m in prop_oneof![any_measurements(), near_measurements()],
        t in prop_oneof![Just(embedded()), any_thresholds()],
    ) {
        prop_assert_eq!(t.problems(), Vec::<String>::new());
        let a = grade(&m, &t);
        let g = grades(&m, &t);
        prop_assert_eq!(g, [
            grade_quantity(&m, &t),
            grade_quality(&m),
            grade_convenience(&m, &t),
            grade_supply_guarantee(&m, &t),
        ]);
        let min = g.into_iter().min().expect("four grades");
        prop_assert_eq!(a.verdict.grade(), min);
        prop_assert_eq!(a.verdict, Verdict::from_grade(min));
        prop_assert_eq!(a.verdict.is_guaranteed(), min >= Grade::BasicallyMet);
        let failing: Vec<Indicator> = Indicator::ALL
            .into_iter()
            .filter(|i| a.grade_of(*i) == Grade::NotMet)
            .collect();
        prop_assert_eq!(&a.failing, &failing);
        prop_assert_eq!(a.failing.is_empty(), a.verdict != Verdict::Unsafe);
    }

    #[test]
    fn better_measurements_never_lower_a_grade(
        m in prop_oneof![any_measurements(), near_measurements()],
        t in prop_oneof![Just(embedded()), any_thresholds()],
        more in 0u32..200,
        less in 0u32..200,
        how in any::<u8>(),
    ) {
        let base = &m;
        let better = [
            Measurements { litres_per_person_day: more_of(m.litres_per_person_day, more), ..m.clone() },
            Measurements { piped_in: true, ..m.clone() },
            Measurements { fetch_round_trip_minutes: less_of(m.fetch_round_trip_minutes, less), ..m.clone() },
            Measurements { horizontal_distance_m: less_of(m.horizontal_distance_m, less), ..m.clone() },
            Measurements { vertical_distance_m: less_of(m.vertical_distance_m, less), ..m.clone() },
            Measurements { outage_days_last_12_months: less_of(m.outage_days_last_12_months, less), ..m.clone() },
            Measurements { quality: improve_quality(&m.quality, how), ..m.clone() },
            // Being judged as a water-short area asks less water, never more.
            Measurements { area: AreaType::WaterShort, ..m.clone() },
        ];
        for b in &better {
            assert_not_lower(base, b, &t);
        }
        // All improvements at once.
        let all = Measurements {
            litres_per_person_day: more_of(m.litres_per_person_day, more),
            piped_in: m.piped_in || how % 2 == 0,
            fetch_round_trip_minutes: less_of(m.fetch_round_trip_minutes, less),
            horizontal_distance_m: less_of(m.horizontal_distance_m, less),
            vertical_distance_m: less_of(m.vertical_distance_m, less),
            outage_days_last_12_months: less_of(m.outage_days_last_12_months, less),
            quality: improve_quality(&m.quality, how),
            ..m.clone()
        };
        assert_not_lower(base, &all, &t);
    }

    #[test]
    fn laxer_thresholds_never_lower_a_grade(
        m in near_measurements(),
        t in any_thresholds(),
        d in 0u32..30,
    ) {
        let mut lax = t.clone();
        for q in [&mut lax.quantity.water_rich, &mut lax.quantity.water_short] {
            q.met_min_litres = q.met_min_litres.saturating_sub(d).max(q.basically_met_min_litres);
        }
        lax.convenience.met_max_round_trip_minutes = (t.convenience.met_max_round_trip_minutes + d)
            .min(t.convenience.basically_met_max_round_trip_minutes);
        lax.convenience.basically_met_max_horizontal_distance_m += d;
        lax.supply_guarantee.met_max_outage_days = (t.supply_guarantee.met_max_outage_days + d)
            .min(t.supply_guarantee.basically_met_max_outage_days);
        prop_assert_eq!(lax.problems(), Vec::<String>::new());
        let (a, b) = (grades(&m, &t), grades(&m, &lax));
        for (x, y) in a.into_iter().zip(b) {
            prop_assert!(y >= x, "{:?} -> {:?}", a, b);
        }
    }

    #[test]
    fn validate_accepts_every_in_bounds_record_and_parse_gives_it_back(
        (m, today) in (0u64..1500).prop_flat_map(|d| {
            let today = date(1500 + d);
            (valid_measurements(embedded(), today), Just(today))
        }),
    ) {
        let t = embedded();
        let raw = RawMeasurements::from(&m);
        prop_assert_eq!(validate(&raw, today, &t), Ok(()));
        let parsed = parse(&raw, today, &t);
        prop_assert_eq!(parsed.as_ref(), Ok(&m));
        let graded = assess(&raw, today, policy::embedded()).expect("valid and in a policy year");
        prop_assert_eq!(graded.policy_year, 2018);
        prop_assert_eq!(&graded.measurements, &m);
        prop_assert_eq!(graded.assessment, grade(&m, &t));
    }

    #[test]
    fn validate_names_every_negative_field(
        m in valid_measurements(embedded(), date(2000)),
        negatives in proptest::collection::btree_set(0usize..5, 1..=5),
        by in 1i64..1_000_000,
    ) {
        let mut raw = RawMeasurements::from(&m);
        let names = [
            fields::LITRES_PER_PERSON_DAY,
            fields::FETCH_ROUND_TRIP_MINUTES,
            fields::HORIZONTAL_DISTANCE_M,
            fields::VERTICAL_DISTANCE_M,
            fields::OUTAGE_DAYS_LAST_12_MONTHS,
        ];
        for i in &negatives {
            let slot = match i {
                0 => &mut raw.litres_per_person_day,
                1 => &mut raw.fetch_round_trip_minutes,
                2 => &mut raw.horizontal_distance_m,
                3 => &mut raw.vertical_distance_m,
                _ => &mut raw.outage_days_last_12_months,
            };
            *slot = Some(-by);
        }
        let err = validate(&raw, date(2000), &embedded()).expect_err("negative values");
        let got: Vec<&str> = err.iter().map(|v| v.field.as_str()).collect();
        let want: Vec<&str> = negatives.iter().map(|i| names[*i]).collect();
        prop_assert_eq!(got, want);
    }
}

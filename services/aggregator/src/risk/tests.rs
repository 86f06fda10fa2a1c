use super::*;
use proptest::prelude::*;
use registry::v1::{ArchiveStatus, Household, Income, Member};

const POLICY: RiskPolicy = RiskPolicy {
    monitoring_line_fen: 600_000,
    income_fall_percent: 30,
    large_medical_payment_fen: 500_000,
};
const YEAR: i32 = 2020;
const V: &str = "420625100201";

fn rid(n: u16) -> String {
    let birth = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    ResidentId::build("420625", birth, n).as_str().to_string()
}

fn hh(id: &str, members: &[u16], incomes: &[(i32, i64)]) -> Household {
    Household {
        household_id: id.into(),
        village_code: V.into(),
        status: ArchiveStatus::Exited as i32,
        members: members
            .iter()
            .map(|n| Member {
                resident_id: rid(*n),
                ..Default::default()
            })
            .collect(),
        incomes: incomes
            .iter()
            .map(|(y, f)| Income {
                year: *y,
                per_capita_net_income_fen: *f,
            })
            .collect(),
        ..Default::default()
    }
}

fn kinds(r: &[RiskReason]) -> Vec<RiskKind> {
    r.iter()
        .map(|r| RiskKind::try_from(r.kind).unwrap())
        .collect()
}

fn none_available() -> SectionStatus {
    SectionStatus::default()
}

#[test]
fn income_exactly_at_the_line_and_a_fall_of_exactly_30_percent_are_not_triggers() {
    // At the line: no; one fen below: yes.
    assert!(income_reasons(&hh("H", &[1], &[(YEAR, 600_000)]), YEAR, &POLICY).is_empty());
    assert_eq!(
        kinds(&income_reasons(
            &hh("H", &[1], &[(YEAR, 599_999)]),
            YEAR,
            &POLICY
        )),
        [RiskKind::IncomeBelowMonitoringLine]
    );
    // 1,000,000 -> 700,000 is exactly 30%: no; -> 699,999 is more: yes.
    let at = hh("H", &[1], &[(YEAR - 1, 1_000_000), (YEAR, 700_000)]);
    assert!(income_reasons(&at, YEAR, &POLICY).is_empty());
    let over = hh("H", &[1], &[(YEAR - 1, 1_000_000), (YEAR, 699_999)]);
    let r = income_reasons(&over, YEAR, &POLICY);
    assert_eq!(kinds(&r), [RiskKind::IncomeFellSharply]);
    assert!(r[0].detail.contains("30.0%"), "{}", r[0].detail);
    // Both at once, in kind order.
    let both = hh("H", &[1], &[(YEAR - 1, 1_000_000), (YEAR, 400_000)]);
    assert_eq!(
        kinds(&income_reasons(&both, YEAR, &POLICY)),
        [
            RiskKind::IncomeBelowMonitoringLine,
            RiskKind::IncomeFellSharply
        ]
    );
    // No income for the year: nothing judged; no previous year: no fall.
    assert!(income_reasons(&hh("H", &[1], &[(YEAR - 1, 100)]), YEAR, &POLICY).is_empty());
}

#[test]
fn payments_are_keyed_by_person() {
    let pay = |r: &str, fen: i64| health::v1::PersonPayment {
        resident_id: r.into(),
        personal_total_fen: fen,
        ..Default::default()
    };
    let p = person_payments(&[pay("A", 300), pay("B", 50), pay("A", 200)]);
    assert_eq!(p.get("A"), Some(&500));
    assert_eq!(p.get("B"), Some(&50));
    assert_eq!(p.len(), 2);
}

#[test]
fn medical_reasons_compare_with_last_years_household_income() {
    // Two people, 300,000 fen each last year: household income 600,000.
    let h = hh("H1", &[1, 2], &[(YEAR - 1, 300_000), (YEAR, 700_000)]);
    let mut pay = BTreeMap::new();
    pay.insert(rid(1), 300_000);
    pay.insert(rid(2), 300_000);
    fn sig(pay: &BTreeMap<String, i64>) -> Signals<'_> {
        Signals {
            payments: Ok(pay),
            disaster: &[],
            schooling: Ok(&[]),
            students: Ok(&[]),
            water: Ok(&[]),
            housing: Ok(&[]),
        }
    }
    // Exactly equal: not above.
    assert!(assess_village(std::slice::from_ref(&h), sig(&pay), YEAR, &POLICY).is_empty());
    pay.insert(rid(2), 300_001);
    let out = assess_village(std::slice::from_ref(&h), sig(&pay), YEAR, &POLICY);
    assert_eq!(
        kinds(&out[0].reasons),
        [RiskKind::MedicalExpensesAboveIncome]
    );
    // One person above the large-payment threshold (strictly).
    pay.insert(rid(1), 500_000);
    pay.insert(rid(2), 500_001);
    let out = assess_village(std::slice::from_ref(&h), sig(&pay), YEAR, &POLICY);
    assert_eq!(
        kinds(&out[0].reasons),
        [
            RiskKind::MedicalExpensesAboveIncome,
            RiskKind::LargeMedicalPayment
        ]
    );
    let detail = &out[0].reasons[1].detail;
    assert!(!detail.contains(&rid(2)), "{detail}");
    assert!(detail.contains(&ResidentId::parse_stored(&rid(2)).unwrap().masked()));
    // Health unavailable: neither medical trigger is judged.
    let down = none_available();
    let s = Signals {
        payments: Err(&down),
        ..sig(&pay)
    };
    assert!(assess_village(std::slice::from_ref(&h), s, YEAR, &POLICY).is_empty());
}

#[test]
fn every_signal_lands_on_its_household_in_order() {
    use education::v1::StudentStatus as S;
    let households = vec![
        hh("H3", &[30, 31], &[(YEAR, 900_000)]),
        hh("H1", &[10], &[(YEAR, 100)]),
        hh("H2", &[20, 21], &[(YEAR, 900_000)]),
        {
            let mut r = hh("H4", &[40], &[(YEAR, 1)]);
            r.status = ArchiveStatus::Removed as i32;
            r
        },
    ];
    let students = vec![
        education::v1::Student {
            resident_id: rid(21),
            household_id: "elsewhere".into(),
            status: S::DroppedOut as i32,
            ..Default::default()
        },
        education::v1::Student {
            resident_id: rid(31),
            household_id: "H3".into(),
            status: S::InCounty as i32,
            ..Default::default()
        },
    ];
    let water = vec![water::v1::HouseholdException {
        household_id: "H3".into(),
        kind: water::v1::ExceptionKind::Unsafe as i32,
        assessment: None,
    }];
    let housing = vec![housing::v1::HousingException {
        household_id: "H3".into(),
        village_code: V.into(),
        kinds: vec![
            housing::v1::ExceptionKind::NotMovedIn as i32,
            housing::v1::ExceptionKind::NoEmployment as i32,
        ],
    }];
    let pay = BTreeMap::new();
    let all_up = Signals {
        payments: Ok(&pay),
        disaster: &[],
        schooling: Ok(&[]),
        students: Ok(&students),
        water: Ok(&water),
        housing: Ok(&housing),
    };
    let out = assess_village(&households, all_up, YEAR, &POLICY);
    let ids: Vec<&str> = out.iter().map(|h| h.household_id.as_str()).collect();
    assert_eq!(ids, ["H1", "H2", "H3"]);
    assert_eq!(
        kinds(&out[0].reasons),
        [RiskKind::IncomeBelowMonitoringLine]
    );
    // Matched by membership although the student names another household.
    assert_eq!(kinds(&out[1].reasons), [RiskKind::ChildOutOfSchool]);
    assert!(out[1].reasons[0].detail.contains("dropped out"));
    assert_eq!(
        kinds(&out[2].reasons),
        [RiskKind::UnsafeWater, RiskKind::RelocatedWithoutEmployment]
    );
    // Water and housing down: only the registry and education signals remain.
    let down = none_available();
    let out = assess_village(
        &households,
        Signals {
            water: Err(&down),
            housing: Err(&down),
            ..all_up
        },
        YEAR,
        &POLICY,
    );
    let ids: Vec<&str> = out.iter().map(|h| h.household_id.as_str()).collect();
    assert_eq!(ids, ["H1", "H2"]);
}

#[test]
fn unavailable_lists_each_kind_of_a_failed_source() {
    let mut failed = BTreeMap::new();
    failed.insert(
        Source::Health,
        crate::domain::section::unavailable("health", &tonic::Status::unavailable("down")),
    );
    let u = unavailable_signals(&failed);
    let k: Vec<i32> = u.iter().map(|u| u.kind).collect();
    assert_eq!(
        k,
        [
            RiskKind::MedicalExpensesAboveIncome as i32,
            RiskKind::LargeMedicalPayment as i32
        ]
    );
    assert!(
        u[0].status
            .as_ref()
            .unwrap()
            .message
            .starts_with("health: ")
    );
    assert!(unavailable_signals(&BTreeMap::new()).is_empty());
    // Education holds a part of the rigid expenses as well as the out-of-school children.
    let mut failed = BTreeMap::new();
    failed.insert(
        Source::Education,
        crate::domain::section::unavailable("education", &tonic::Status::unavailable("down")),
    );
    let k: Vec<i32> = unavailable_signals(&failed)
        .iter()
        .map(|u| u.kind)
        .collect();
    assert_eq!(
        k,
        [
            RiskKind::MedicalExpensesAboveIncome as i32,
            RiskKind::ChildOutOfSchool as i32
        ]
    );
}

#[test]
fn resume_keys_round_trip_and_reject_garbage() {
    let k = resume_key(V, "HH000001");
    assert_eq!(
        parse_resume_key(&k),
        Ok((V.to_string(), "HH000001".to_string()))
    );
    for bad in [
        "",
        "x",
        "42062510020/HH",
        "420625100201/",
        "abcdefghijkl/HH",
    ] {
        assert!(parse_resume_key(bad).is_err(), "{bad}");
    }
}

#[test]
fn stream_budget_keeps_a_margin_and_is_open_without_a_deadline() {
    assert_eq!(stream_budget(None), Ok(None));
    assert_eq!(
        stream_budget(Some(Duration::from_secs(10))),
        Ok(Some(Duration::from_secs(9)))
    );
    assert!(stream_budget(Some(Duration::from_millis(20))).is_err());
}

fn schooling(
    household: &str,
    resident: &str,
    year: i32,
    fen: i64,
) -> education::v1::SchoolingExpense {
    education::v1::SchoolingExpense {
        household_id: household.into(),
        village_code: V.into(),
        resident_id: resident.into(),
        year,
        out_of_pocket_fen: fen,
    }
}

fn disaster(household: &str, year: i32, fen: i64) -> registry::v1::DisasterExpense {
    registry::v1::DisasterExpense {
        household_id: household.into(),
        village_code: V.into(),
        year,
        amount_fen: fen,
    }
}

#[test]
fn rigid_expenses_add_medical_schooling_and_disaster_against_last_years_income() {
    // Two people, 300,000 fen each last year: household income 600,000.
    let h = hh("H1", &[1, 2], &[(YEAR - 1, 300_000), (YEAR, 700_000)]);
    let parts = |m, s, d| RigidExpenses {
        medical: Some(m),
        schooling: Some(s),
        disaster: Some(d),
    };
    // Medical alone below; all three exactly at the income: not above.
    assert!(rigid_expenses_reason(&h, parts(400_000, 0, 0), YEAR).is_none());
    assert!(rigid_expenses_reason(&h, parts(400_000, 150_000, 50_000), YEAR).is_none());
    // One fen more anywhere: above, and the detail names every part and the income.
    let r = rigid_expenses_reason(&h, parts(400_000, 150_000, 50_001), YEAR).unwrap();
    assert_eq!(r.kind, RiskKind::MedicalExpensesAboveIncome as i32);
    for figure in [
        "600001 fen",
        "medical 400000 fen",
        "schooling 150000 fen",
        "disaster 50001 fen",
        "600000 fen (300000 fen x 2 people)",
    ] {
        assert!(r.detail.contains(figure), "{figure}: {}", r.detail);
    }
    // No income last year: not judged, whatever the expenses.
    let new = hh("H2", &[1], &[(YEAR, 100)]);
    assert!(rigid_expenses_reason(&new, parts(i64::MAX, i64::MAX, 1), YEAR).is_none());
    // An unknown part counts as nothing and is named as unknown.
    let partial = RigidExpenses {
        schooling: None,
        ..parts(500_000, 0, 100_001)
    };
    let r = rigid_expenses_reason(&h, partial, YEAR).unwrap();
    assert!(
        r.detail
            .contains("schooling unknown (education unavailable)"),
        "{}",
        r.detail
    );
    let partial = RigidExpenses {
        medical: None,
        ..parts(0, 300_000, 300_000)
    };
    assert!(rigid_expenses_reason(&h, partial, YEAR).is_none());
}

#[test]
fn schooling_goes_to_the_students_household_and_disaster_to_its_own() {
    let child = rid(21);
    let member_of: HashMap<&str, &str> = [(child.as_str(), "H2")].into_iter().collect();
    let by = schooling_by_household(
        &[
            // A member of H2 whom education files under an old household id.
            schooling("OLD", &rid(21), YEAR, 1_000),
            schooling("H2", "", YEAR, 200),
            schooling("H3", &rid(99), YEAR, 30),
            // Another year: ignored.
            schooling("H2", "", YEAR - 1, 5),
        ],
        &member_of,
        YEAR,
    );
    assert_eq!(by.get("H2"), Some(&1_200));
    assert_eq!(by.get("H3"), Some(&30));
    assert_eq!(by.get("OLD"), None);
    let by = disaster_by_household(
        &[
            disaster("H1", YEAR, 70),
            disaster("H1", YEAR - 1, 9),
            disaster("H2", YEAR, i64::MAX),
            disaster("H2", YEAR, 1),
        ],
        YEAR,
    );
    assert_eq!(by.get("H1"), Some(&70));
    assert_eq!(by.get("H2"), Some(&i64::MAX), "saturates");
}

#[test]
fn a_village_with_all_three_parts_lists_the_household_medical_alone_would_not() {
    // H1: 2 people x 300,000 = 600,000. Medical 400,000 (below), + schooling 150,000 for a
    // member + disaster 50,001 = 600,001 (above). H2: the same but disaster 50,000 (equal).
    let households = vec![
        hh("H1", &[1, 2], &[(YEAR - 1, 300_000), (YEAR, 700_000)]),
        hh("H2", &[3, 4], &[(YEAR - 1, 300_000), (YEAR, 700_000)]),
    ];
    let mut pay = BTreeMap::new();
    pay.insert(rid(1), 400_000);
    pay.insert(rid(3), 400_000);
    let school = vec![
        schooling("H1", &rid(2), YEAR, 150_000),
        schooling("H2", "", YEAR, 150_000),
    ];
    let loss = vec![disaster("H1", YEAR, 50_001), disaster("H2", YEAR, 50_000)];
    let sig = Signals {
        payments: Ok(&pay),
        disaster: &loss,
        schooling: Ok(&school),
        students: Ok(&[]),
        water: Ok(&[]),
        housing: Ok(&[]),
    };
    let out = assess_village(&households, sig, YEAR, &POLICY);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].household_id, "H1");
    assert_eq!(
        kinds(&out[0].reasons),
        [RiskKind::MedicalExpensesAboveIncome]
    );
    // Without the schooling and disaster parts, neither is listed (the pre-fix behaviour).
    let medical_only = Signals {
        disaster: &[],
        schooling: Ok(&[]),
        ..sig
    };
    assert!(assess_village(&households, medical_only, YEAR, &POLICY).is_empty());
    // Education down: H1's medical + disaster (450,001) is not above, so it is not listed;
    // the trigger is reported unavailable by the walk instead.
    let down = none_available();
    let no_school = Signals {
        schooling: Err(&down),
        students: Err(&down),
        ..sig
    };
    assert!(assess_village(&households, no_school, YEAR, &POLICY).is_empty());
}

proptest! {
    /// The fall trigger agrees with its definition in other words: the current income is
    /// below (100 - percent)% of the previous one.
    #[test]
    fn fall_trigger_matches_its_definition(prev in 1i64..10_000_000, cur in 0i64..10_000_000, pct in 1i64..99) {
        let p = RiskPolicy { income_fall_percent: pct, monitoring_line_fen: 1, ..POLICY };
        let h = hh("H", &[1], &[(YEAR - 1, prev), (YEAR, cur)]);
        let fell = kinds(&income_reasons(&h, YEAR, &p)).contains(&RiskKind::IncomeFellSharply);
        prop_assert_eq!(fell, cur * 100 < prev * (100 - pct));
    }

    /// Below-the-line is exactly `income < line`, whatever the figures.
    #[test]
    fn line_trigger_is_strict(cur in 0i64..2_000_000, line in 1i64..2_000_000) {
        let p = RiskPolicy { monitoring_line_fen: line, ..POLICY };
        let h = hh("H", &[1], &[(YEAR, cur)]);
        let below = kinds(&income_reasons(&h, YEAR, &p)).contains(&RiskKind::IncomeBelowMonitoringLine);
        prop_assert_eq!(below, cur < line);
    }

    /// The rigid-expenses trigger is exactly "the three parts' sum > last year's per-capita
    /// income x members".
    #[test]
    fn rigid_trigger_is_the_strict_sum(
        m in 0i64..2_000_000, sc in 0i64..2_000_000, d in 0i64..2_000_000,
        prev in 0i64..1_000_000, people in 1u16..6,
    ) {
        let members: Vec<u16> = (1..=people).collect();
        let h = hh("H", &members, &[(YEAR - 1, prev)]);
        let parts = RigidExpenses { medical: Some(m), schooling: Some(sc), disaster: Some(d) };
        let listed = rigid_expenses_reason(&h, parts, YEAR).is_some();
        prop_assert_eq!(listed, m + sc + d > prev * i64::from(people));
    }

    /// No detail ever carries a whole resident id.
    #[test]
    fn details_never_carry_a_resident_id(fen in 0i64..5_000_000, n in 100u16..999) {
        let h = hh("H", &[n], &[(YEAR - 1, 1), (YEAR, 1)]);
        let mut pay = BTreeMap::new();
        pay.insert(rid(n), fen);
        let students = vec![education::v1::Student {
            resident_id: rid(n),
            status: education::v1::StudentStatus::NeverEnrolled as i32,
            ..Default::default()
        }];
        let none_w: Vec<water::v1::HouseholdException> = vec![];
        let none_h: Vec<housing::v1::HousingException> = vec![];
        let out = assess_village(std::slice::from_ref(&h), Signals {
            payments: Ok(&pay), disaster: &[], schooling: Ok(&[]), students: Ok(&students),
            water: Ok(&none_w), housing: Ok(&none_h),
        }, YEAR, &POLICY);
        for r in out.iter().flat_map(|h| &h.reasons) {
            prop_assert!(!r.detail.contains(&rid(n)), "{}", r.detail);
        }
    }
}

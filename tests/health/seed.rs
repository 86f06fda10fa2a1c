//! The county's published figures loaded through the RPCs, and the year-to-date payment
//! list by region and floor.

use std::collections::BTreeMap;
use std::time::Instant;

use tonic::Code;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::health::v1::*;
use xk_health::domain;
use xk_runtime::{Bureau, Principal};

use super::support::*;

/// Townships of Gucheng (DOMAIN.md §1).
const TOWNSHIPS: [&str; 11] = [
    "420625100",
    "420625101",
    "420625102",
    "420625103",
    "420625104",
    "420625105",
    "420625106",
    "420625107",
    "420625108",
    "420625200",
    "420625500",
];
/// The published figures.
const INSURED: u32 = 49_494;
/// Designated institutions, all one-stop (published).
const INSTITUTIONS: usize = 18;

fn seed_village(n: u32) -> String {
    format!("{}{:03}", TOWNSHIPS[(n % 11) as usize], 200 + (n / 11) % 20)
}

#[tokio::test]
async fn seed_figures_load_through_the_rpcs_and_come_back_from_the_summary() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let policy = policy_2019();
    assert_eq!(policy.premium.individual_fen, 22_000, "published 220 yuan");

    let started = Instant::now();
    let batches: Vec<ImportEnrolmentsRequest> = (0..INSURED)
        .collect::<Vec<_>>()
        .chunks(5000)
        .enumerate()
        .map(|(b, ns)| ImportEnrolmentsRequest {
            request_id: format!("seed-{b}"),
            enrolments: ns
                .iter()
                .map(|&n| enrolment(n, &seed_village(n), true))
                .collect(),
        })
        .collect();
    let r = c
        .import_enrolments(futures::stream::iter(batches))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.enrolments_imported, i64::from(INSURED));
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "enrolment import: {:.0} people/s",
        f64::from(INSURED) / secs
    );

    // 18 designated institutions: 3 county hospitals, 15 township health centres.
    let mut levels = BTreeMap::new();
    for k in 0..INSTITUTIONS {
        let lv = if k < 3 {
            InstitutionLevel::County
        } else {
            InstitutionLevel::Township
        };
        let code = format!("DI{k:02}");
        levels.insert(code.clone(), lv);
        upsert(&mut c, institution(&code, lv, true, true)).await;
    }
    let listed = c
        .list_institutions(ListInstitutionsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .institutions;
    assert_eq!(listed.len(), INSTITUTIONS);
    assert!(
        listed
            .iter()
            .all(|i| i.one_stop && i.treat_first_pay_later && i.in_county)
    );

    // A sprinkle of cases: 400 cases over ~330 people, deterministic pseudo-random.
    let mut rng: u64 = 0x5eed_2019;
    let mut next = move || {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        rng >> 33
    };
    let mut per_person: BTreeMap<u32, Vec<domain::Case>> = BTreeMap::new();
    let started = Instant::now();
    const CASES: u32 = 400;
    for k in 0..CASES {
        let n = if k % 6 == 5 {
            // a second case for someone already treated
            (k.saturating_sub(3) * 151) % INSURED
        } else {
            (k * 151) % INSURED
        };
        let inst = format!("DI{:02}", next() % INSTITUTIONS as u64);
        let total = 20_000 + (next() % 6_000_000) as i64;
        let oop = total * (next() % 15) as i64 / 100;
        let hc = hospital_case(n, &inst, total, oop, (next() % 300) as u32);
        settle(&mut c, &format!("case-{k}"), hc).await.unwrap();
        per_person.entry(n).or_default().push(domain::Case {
            total_fen: total,
            out_of_policy_fen: oop,
            institution_level: level(levels[&inst] as i32),
            in_county: true,
            chronic_outpatient: false,
            registered_poor: true,
        });
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "SettleCase: {:.0} cases/s (sequential)",
        f64::from(CASES) / secs
    );

    // Expected figures from the engine over the same cases in the same order.
    let mut want = RegionHealth {
        region_code: "420625".into(),
        insured_people: i64::from(INSURED),
        registered_poor_insured: i64::from(INSURED),
        premiums_fen: i64::from(INSURED) * 22_000,
        government_paid_fen: i64::from(INSURED) * 22_000,
        personal_paid_fen: 0,
        cases: i64::from(CASES),
        people_with_cases: per_person.len() as i64,
        ..Default::default()
    };
    for cases in per_person.values() {
        let (ss, _) = domain::settle_all(&policy, cases).unwrap();
        let personal: i64 = ss.iter().map(|s| s.personal_in_policy_fen).sum();
        assert!(personal <= policy.supplementary.annual_personal_cap_fen);
        want.total_cost_fen += cases.iter().map(|c| c.total_fen).sum::<i64>();
        for s in &ss {
            want.basic_fen += s.basic_fen;
            want.serious_illness_fen += s.serious_fen;
            want.medical_assistance_fen += s.assistance_fen;
            want.supplementary_fen += s.supplementary_fen;
            want.personal_in_policy_fen += s.personal_in_policy_fen;
            want.personal_total_fen += s.personal_total_fen;
        }
    }
    let s = summarize(&mut c, "420625", RegionLevel::Township).await;
    let total = s.total.unwrap();
    assert_eq!(total, want);
    assert_eq!(total.people_over_cap, 0, "nobody over 5,000 yuan");
    assert_eq!(total.premiums_fen, 1_088_868_000, "49,494 x 220 yuan");
    assert_eq!(s.groups.len(), TOWNSHIPS.len());
    assert_eq!(
        s.groups.iter().map(|g| g.insured_people).sum::<i64>(),
        i64::from(INSURED)
    );
    let by_village = summarize(&mut c, "420625100", RegionLevel::Village).await;
    assert_eq!(by_village.groups.len(), 20);
    assert_eq!(by_village.total.unwrap(), s.groups[0]);
    let ex = exceptions(&mut c).await;
    assert!(ex.persons_over_cap.is_empty() && ex.non_one_stop_cases.is_empty());
    svc.stop().await.unwrap();
}

/// Every page of ListPersonPayments for a filter, as (resident id, village, personal total).
async fn payments(c: &mut Client, prefix: &str, min: i64, page: i32) -> Vec<(String, String, i64)> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let r = c
            .list_person_payments(ListPersonPaymentsRequest {
                coverage_year: YEAR,
                region_prefix: prefix.into(),
                min_personal_total_fen: min,
                page_size: page,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.people.len() <= page as usize);
        out.extend(
            r.people
                .into_iter()
                .map(|p| (p.resident_id, p.village_code, p.personal_total_fen)),
        );
        if r.next_page_token.is_empty() {
            return out;
        }
        token = r.next_page_token;
    }
}

#[tokio::test]
async fn person_payments_are_the_year_to_date_totals_by_region_and_floor() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    upsert(&mut c, county_hospital()).await;
    const V2: &str = "420625101202";
    // Persons 1-4 enrolled (1, 2, 4 in V1; 3 in V2); 1, 2, 3 settle a case each, person
    // 2's is reversed; person 4 never pays.
    enrol_poor(&mut c, [(1, V1), (2, V1), (3, V2), (4, V1)]).await;
    let mut paid = BTreeMap::new();
    for (n, total, oop) in [
        (1, 2_000_000, 300_000),
        (2, 500_000, 0),
        (3, 800_000, 800_000),
    ] {
        let s = settle(
            &mut c,
            &format!("c{n}"),
            hospital_case(n, "CTY1", total, oop, n),
        )
        .await
        .unwrap();
        let personal = s.totals.unwrap().layers.unwrap().personal_total_fen;
        assert!(personal > 0);
        paid.insert(n, (s.record.unwrap().case_id, personal));
    }
    c.reverse_case(ReverseCaseRequest {
        request_id: "rev2".into(),
        case_id: paid[&2].0,
        reason: "entered twice".into(),
    })
    .await
    .unwrap();

    // The aggregator reads it; what it gets is each person's year-to-date total.
    let mut agg = client(&svc, Principal::Aggregator).await;
    let mut want_county: Vec<(String, String, i64)> = vec![
        (person_id(1), V1.to_string(), paid[&1].1),
        (person_id(3), V2.to_string(), paid[&3].1),
    ];
    want_county.sort();
    for page in [1, 100] {
        assert_eq!(payments(&mut agg, "420625", 0, page).await, want_county);
    }
    assert_eq!(
        payments(&mut agg, V1, 0, 100).await,
        vec![(person_id(1), V1.to_string(), paid[&1].1)]
    );
    // The floor is strict: exactly person 3's total excludes it.
    let floor = paid[&3].1;
    let above: Vec<_> = want_county
        .iter()
        .filter(|p| p.2 > floor)
        .cloned()
        .collect();
    assert_eq!(payments(&mut agg, "420625", floor, 100).await, above);
    assert_eq!(
        payments(&mut agg, "420625", floor - 1, 100).await.len(),
        above.len() + 1
    );

    // Bad input names the field.
    for (req, field) in [
        (
            ListPersonPaymentsRequest {
                coverage_year: YEAR,
                ..Default::default()
            },
            "region_prefix",
        ),
        (
            ListPersonPaymentsRequest {
                region_prefix: "420625".into(),
                ..Default::default()
            },
            "coverage_year",
        ),
        (
            ListPersonPaymentsRequest {
                coverage_year: YEAR,
                region_prefix: "420625".into(),
                min_personal_total_fen: -1,
                ..Default::default()
            },
            "min_personal_total_fen",
        ),
    ] {
        let e = agg.list_person_payments(req).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(violated_fields(&e).contains(&field.to_string()), "{e:?}");
    }
    // Another bureau may not read it.
    let mut other = client(&svc, Principal::Bureau(Bureau::Education)).await;
    let e = other
        .list_person_payments(ListPersonPaymentsRequest {
            coverage_year: YEAR,
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    svc.stop().await.unwrap();
}

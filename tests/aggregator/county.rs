//! The five services and the small county loaded into them through their public RPCs,
//! with the figures the test counts itself.

use xiaokang::testing::TestService;
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::{education, health, housing, registry, water};
use xk_contracts::types::ResidentId;
use xk_runtime::{Bureau, Principal};

use crate::common;
use crate::support::today;

/// 城关镇 and one of its villages.
pub const T1: &str = "420625100";
pub const V1: &str = "420625100201";
/// 石花镇 and one of its villages.
pub const T2: &str = "420625101";
pub const V2: &str = "420625101202";
/// The in-year / coverage year of the loaded county.
pub const YEAR: i32 = 2019;

/// The five services, in the order of `xk_aggregator::Upstream::single`.
pub struct County {
    pub registry: TestService,
    pub education: TestService,
    pub health: TestService,
    pub housing: TestService,
    pub water: TestService,
}

impl County {
    pub async fn start() -> County {
        let (registry, education, health, housing, water) = tokio::join!(
            TestService::start(xk_registry::SPEC),
            TestService::start(xk_education::SPEC),
            TestService::start(xk_health::SPEC),
            TestService::start(xk_housing::SPEC),
            TestService::start(xk_water::SPEC),
        );
        County {
            registry: registry.unwrap(),
            education: education.unwrap(),
            health: health.unwrap(),
            housing: housing.unwrap(),
            water: water.unwrap(),
        }
    }

    pub fn urls(&self) -> [String; 5] {
        [
            self.registry.hosted.url(),
            self.education.hosted.url(),
            self.health.hosted.url(),
            self.housing.hosted.url(),
            self.water.hosted.url(),
        ]
    }

    pub async fn stop(self) {
        for s in [
            self.registry,
            self.education,
            self.health,
            self.housing,
            self.water,
        ] {
            s.stop().await.unwrap();
        }
    }
}

/// A child of household `n`, about ten years old today (in compulsory-education scope).
pub fn child_id(n: u32) -> String {
    let birth = today() - chrono::Duration::days(365 * 10 + 90 + i64::from(n));
    ResidentId::build("420625", birth, 300 + n as u16)
        .as_str()
        .to_string()
}

/// Household `n` from the shared fixture, its last member replaced by a child.
pub fn household_with_child(
    n: u32,
    village: &str,
    size: usize,
    status: registry::v1::ArchiveStatus,
) -> registry::v1::Household {
    let mut h = common::household(n, village, size, status);
    if let Some(m) = h.members.last_mut() {
        m.resident_id = child_id(n);
    }
    h
}

/// A contract date.
pub fn date(y: i32, m: i32, d: i32) -> xk_contracts::pb::common::v1::Date {
    common::date(y, m, d)
}

/// What the county holds, counted by the test itself from what it loads.
#[derive(Debug, Default)]
pub struct Expected {
    pub households: Vec<registry::v1::Household>,
}

/// Loads the small county through the services' public RPCs.
pub async fn load(c: &County) -> Expected {
    use registry::v1::ArchiveStatus as A;
    // Registry: HH1, HH2 poor in V1 (3 people each, the last a child); HH3 exited in V2
    // (2 people); HH4 poor in V2 identified in 2019 (4 people, the last a child).
    let mut h4 = household_with_child(4, V2, 4, A::Poor);
    h4.identified_year = YEAR;
    let mut h1 = household_with_child(1, V1, 3, A::Poor);
    h1.incomes = vec![registry::v1::Income {
        year: YEAR,
        per_capita_net_income_fen: 500_000,
    }];
    let households = vec![
        h1,
        household_with_child(2, V1, 3, A::Poor),
        common::household(3, V2, 2, A::Exited),
        h4,
    ];
    let mut rc = registry::v1::registry_service_client::RegistryServiceClient::with_interceptor(
        c.registry.channel().await.unwrap(),
        c.registry.bearer(Principal::Bureau(Bureau::PovertyOffice)),
    );
    let r = rc
        .import_households(tokio_stream::iter(vec![
            registry::v1::ImportHouseholdsRequest {
                request_id: "county-1".into(),
                households: households.clone(),
            },
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.households_imported, 4);

    // Education: HH1's child in school, HH2's dropped out without a case, HH4's dropped
    // out with an open return-to-school case.
    use education::v1::StudentStatus as S;
    let mut ec = education::v1::education_service_client::EducationServiceClient::with_interceptor(
        c.education.channel().await.unwrap(),
        c.education.bearer(Principal::Bureau(Bureau::Education)),
    );
    for (n, village, status) in [
        (1, V1, S::InCounty),
        (2, V1, S::DroppedOut),
        (4, V2, S::DroppedOut),
    ] {
        ec.create_student(education::v1::CreateStudentRequest {
            request_id: format!("s{n}"),
            student: Some(education::v1::Student {
                resident_id: child_id(n),
                household_id: format!("HH{n:06}"),
                village_code: village.into(),
                school: "谷城县实验小学".into(),
                grade: 4,
                status: status as i32,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    }
    ec.open_case(education::v1::OpenCaseRequest {
        request_id: "case-4".into(),
        resident_id: child_id(4),
        opened_on: Some(xk_contracts::convert::date_to_pb(today())),
    })
    .await
    .unwrap();

    // Health (coverage 2019): every member of HH1-HH3 enrolled as registered poor; HH4
    // not at all (4 uninsured); one settled hospital case for HH1's head.
    let mut hc =
        health::v1::health_insurance_service_client::HealthInsuranceServiceClient::with_interceptor(
            c.health.channel().await.unwrap(),
            c.health.bearer(Principal::Bureau(Bureau::MedicalSecurity)),
        );
    for h in &households[..3] {
        for m in &h.members {
            hc.enrol(health::v1::EnrolRequest {
                request_id: format!("e-{}", m.resident_id),
                enrolment: Some(health::v1::Enrolment {
                    resident_id: m.resident_id.clone(),
                    household_id: h.household_id.clone(),
                    village_code: h.village_code.clone(),
                    coverage_year: YEAR,
                    registered_poor: true,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
        }
    }
    hc.upsert_institution(health::v1::UpsertInstitutionRequest {
        request_id: "inst-1".into(),
        institution: Some(health::v1::Institution {
            code: "H001".into(),
            name: "谷城县人民医院".into(),
            level: health::v1::InstitutionLevel::County as i32,
            in_county: true,
            one_stop: true,
            treat_first_pay_later: true,
        }),
    })
    .await
    .unwrap();
    hc.settle_case(health::v1::SettleCaseRequest {
        request_id: "case-1".into(),
        hospital_case: Some(health::v1::HospitalCase {
            resident_id: households[0].members[0].resident_id.clone(),
            institution_code: "H001".into(),
            admission_date: Some(date(YEAR, 3, 1)),
            discharge_date: Some(date(YEAR, 3, 6)),
            total_fen: 1_000_000,
            out_of_policy_fen: 0,
            chronic_outpatient: false,
            bill_number: "BILL-1".into(),
        }),
    })
    .await
    .unwrap();

    // Housing: HH1 relocated, moved in, employed; HH3 relocated, not moved in, no one
    // employed.
    let mut oc = housing::v1::housing_service_client::HousingServiceClient::with_interceptor(
        c.housing.channel().await.unwrap(),
        c.housing.bearer(Principal::Bureau(Bureau::Relocation)),
    );
    oc.create_site(housing::v1::CreateSiteRequest {
        request_id: "site-1".into(),
        site: Some(housing::v1::Site {
            site_id: "S-CT".into(),
            name: "安置点 S-CT".into(),
            village_code: "420625100001".into(),
            r#type: housing::v1::SiteType::CentralizedCountyTown as i32,
            etag: String::new(),
        }),
    })
    .await
    .unwrap();
    for (n, village, members, moved, employed) in [(1, V1, 3, true, 1), (3, V2, 2, false, 0)] {
        let ms = housing::v1::Milestones {
            construction_start: Some(date(2017, 3, 1)),
            completion: Some(date(2017, 12, 1)),
            acceptance: Some(date(2018, 1, 10)),
            key_handover: moved.then(|| date(2018, 2, 1)),
            moved_in: moved.then(|| date(2018, 2, 15)),
            ..Default::default()
        };
        oc.create_relocation(housing::v1::CreateRelocationRequest {
            request_id: format!("r{n}"),
            relocation: Some(housing::v1::Relocation {
                household_id: format!("HH{n:06}"),
                origin_village_code: village.into(),
                site_id: "S-CT".into(),
                batch_year: 2017,
                members,
                labour_members: 1,
                employed_members: employed,
                housing: Some(housing::v1::Housing {
                    area_centi_m2: i64::from(members) * 2_000,
                    over_area_reason: String::new(),
                    build_cost_fen: 10_000_000,
                    subsidy_fen: 9_000_000,
                    self_raised_fen: 800_000,
                    other_funds_fen: 200_000,
                    debt_fen: 300_000,
                }),
                milestones: Some(ms),
                old_house: Some(housing::v1::OldHouse::default()),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    }

    // Water: HH1 and HH2 basically safe (V1), HH4 unsafe (10 L a day, V2).
    let mut wc = water::v1::water_service_client::WaterServiceClient::with_interceptor(
        c.water.channel().await.unwrap(),
        c.water.bearer(Principal::Bureau(Bureau::WaterResources)),
    );
    for (n, village, people, litres) in [(1, V1, 3, 35), (2, V1, 3, 35), (4, V2, 4, 10)] {
        wc.record_assessment(water::v1::RecordAssessmentRequest {
            request_id: format!("w{n}"),
            assessment: Some(water::v1::Assessment {
                household_id: format!("HH{n:06}"),
                village_code: village.into(),
                people,
                supply: Some(water::v1::Supply {
                    kind: Some(water::v1::supply::Kind::Scattered(
                        water::v1::ScatteredSupply {
                            kind: water::v1::ScatteredSourceKind::Well as i32,
                        },
                    )),
                }),
                litres_per_person_day: Some(litres),
                quality: Some(water::v1::QualityEvidence {
                    evidence: Some(water::v1::quality_evidence::Evidence::OnSiteCheck(
                        water::v1::OnSiteCheck {
                            no_visible_impurity_colour_smell: true,
                            no_harm_long_use: true,
                        },
                    )),
                }),
                piped_in: false,
                fetch_round_trip_minutes: Some(20),
                horizontal_distance_m: Some(1500),
                vertical_distance_m: Some(120),
                outage_days_last_12_months: Some(36),
                area: 0,
                assessor: "水利局-007".into(),
                assessed_on: Some(date(YEAR, 5, 1)),
                seasonal_check: false,
                seq: 0,
                grading: None,
            }),
        })
        .await
        .unwrap();
    }
    Expected { households }
}

/// The exceptions of one group of a summary.
fn group<'a>(s: &'a Summary, code: &str) -> &'a ExceptionCounts {
    s.exceptions_groups
        .iter()
        .find(|g| g.region_code == code)
        .unwrap()
}

/// Every exception and section figure against the test's own count of what it loaded.
pub fn check_full_summary(s: &Summary, e: &Expected) {
    assert!(s.complete, "{s:?}");
    assert_eq!(s.year, YEAR);
    // Registry: independent counts from the households loaded.
    let people = |code: &str| -> i64 {
        e.households
            .iter()
            .filter(|h| h.village_code.starts_with(code))
            .map(|h| h.members.len() as i64)
            .sum()
    };
    let reg = s.registry.as_ref().unwrap();
    let rt = reg.total.as_ref().unwrap();
    assert_eq!(rt.archive_households, 4);
    assert_eq!(rt.archive_people, people("420625"));
    assert_eq!(rt.archive_people, 12);
    assert_eq!((rt.poor_households, rt.poor_people), (3, 10));
    assert_eq!((rt.exited_households, rt.exited_people), (1, 2));
    assert_eq!(
        (
            rt.identified_in_year_households,
            rt.identified_in_year_people
        ),
        (1, 4)
    );
    assert_eq!(reg.groups.len(), 2);
    assert_eq!(reg.groups[0].region_code, T1);
    assert_eq!(reg.groups[0].archive_people, people(T1));
    assert_eq!(reg.groups[1].archive_people, people(T2));

    let edu = s.education.as_ref().unwrap().total.clone().unwrap();
    assert_eq!(
        (edu.students, edu.guaranteed, edu.not_guaranteed),
        (3, 1, 2)
    );
    assert_eq!((edu.dropped_out, edu.in_county, edu.open_cases), (2, 1, 1));

    let hea = s.health.as_ref().unwrap().total.clone().unwrap();
    assert_eq!((hea.insured_people, hea.registered_poor_insured), (8, 8));
    assert_eq!((hea.cases, hea.people_with_cases), (1, 1));
    assert_eq!(hea.total_cost_fen, 1_000_000);

    let hou = s.housing.as_ref().unwrap().total.clone().unwrap();
    assert_eq!((hou.relocated_households, hou.relocated_people), (2, 5));
    assert_eq!((hou.moved_in_households, hou.moved_in_people), (1, 3));
    assert_eq!(
        (hou.with_labour_households, hou.with_employment_households),
        (2, 1)
    );

    let wat = s.water.as_ref().unwrap().total.clone().unwrap();
    assert_eq!((wat.households, wat.people), (3, 10));
    assert_eq!((wat.unsafe_households, wat.unsafe_people), (1, 4));
    assert_eq!(
        (wat.basically_safe_households, wat.basically_safe_people),
        (2, 6)
    );

    // Exceptions (DOMAIN §8), total and per township.
    let x = s.exceptions_total.as_ref().unwrap();
    assert_eq!(x.children_out_of_school_without_case, Some(1));
    assert_eq!(x.uninsured_registered_people, Some(4));
    assert_eq!(x.people_over_cap, Some(0));
    assert_eq!(x.relocated_not_moved_in_households, Some(1));
    assert_eq!(x.relocated_without_employment_households, Some(1));
    assert_eq!(x.unsafe_water_households, Some(1));
    assert_eq!(x.unsafe_water_people, Some(4));
    let g1 = group(s, T1);
    assert_eq!(g1.children_out_of_school_without_case, Some(1));
    assert_eq!(g1.uninsured_registered_people, Some(0));
    assert_eq!(g1.relocated_not_moved_in_households, Some(0));
    assert_eq!(g1.unsafe_water_households, Some(0));
    let g2 = group(s, T2);
    assert_eq!(g2.children_out_of_school_without_case, Some(0));
    assert_eq!(g2.uninsured_registered_people, Some(4));
    assert_eq!(g2.relocated_not_moved_in_households, Some(1));
    assert_eq!(g2.relocated_without_employment_households, Some(1));
    assert_eq!(g2.unsafe_water_households, Some(1));
    assert_eq!(g2.unsafe_water_people, Some(4));
}

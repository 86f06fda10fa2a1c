//! The aggregator over real gRPC: the five services on port 0, each with a fresh database
//! (SQLite, or PostgreSQL with XK_TEST_DATABASE=postgres), a small county loaded through
//! their public RPCs, and the aggregator pointed at them.

mod common;

use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use tokio::net::TcpListener;
use tonic::Code;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use xiaokang::testing::{Bearer, TestService, test_tokens};
use xk_aggregator::Upstream;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::{education, health, housing, registry, water};
use xk_contracts::types::ResidentId;
use xk_runtime::{Bureau, Principal};

/// 城关镇 and one of its villages.
const T1: &str = "420625100";
const V1: &str = "420625100201";
/// 石花镇 and one of its villages.
const T2: &str = "420625101";
const V2: &str = "420625101202";
/// The in-year / coverage year of the loaded county.
const YEAR: i32 = 2019;

type Agg = AggregatorServiceClient<InterceptedService<Channel, Bearer>>;

/// The five services, in the order of [`Upstream::single`].
struct County {
    registry: TestService,
    education: TestService,
    health: TestService,
    housing: TestService,
    water: TestService,
}

impl County {
    async fn start() -> County {
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

    fn urls(&self) -> [String; 5] {
        [
            self.registry.hosted.url(),
            self.education.hosted.url(),
            self.health.hosted.url(),
            self.housing.hosted.url(),
            self.water.hosted.url(),
        ]
    }

    async fn stop(self) {
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

/// Starts the aggregator calling `urls` with its own test token.
async fn start_aggregator(urls: [String; 5], default_deadline: Duration) -> TestService {
    let token = test_tokens().1[&Principal::Aggregator].clone();
    let mut upstream = Upstream::single(urls, token);
    upstream.default_deadline = default_deadline;
    start_aggregator_with(upstream).await
}

/// Starts the aggregator with an upstream configuration.
async fn start_aggregator_with(upstream: Upstream) -> TestService {
    TestService::start_aggregator(upstream).await.unwrap()
}

async fn agg(svc: &TestService, p: Principal) -> Agg {
    AggregatorServiceClient::with_interceptor(svc.channel().await.unwrap(), svc.bearer(p))
}

fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// A child of household `n`, about ten years old today (in compulsory-education scope).
fn child_id(n: u32) -> String {
    let birth = today() - chrono::Duration::days(365 * 10 + 90 + i64::from(n));
    ResidentId::build("420625", birth, 300 + n as u16)
        .as_str()
        .to_string()
}

/// Household `n` from the shared fixture, its last member replaced by a child.
fn household_with_child(
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

fn date(y: i32, m: i32, d: i32) -> xk_contracts::pb::common::v1::Date {
    common::date(y, m, d)
}

/// What the county holds, counted by the test itself from what it loads.
#[derive(Debug, Default)]
struct Expected {
    households: Vec<registry::v1::Household>,
}

/// Loads the small county through the services' public RPCs.
async fn load(c: &County) -> Expected {
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

async fn summary(c: &mut Agg, prefix: &str, deadline: Option<Duration>) -> Summary {
    let mut req = tonic::Request::new(GetSummaryRequest {
        region_prefix: prefix.into(),
        as_of: None,
        year: YEAR,
        group_by: RegionLevel::Township as i32,
        latest_year_with_data: false,
    });
    if let Some(d) = deadline {
        req.set_timeout(d);
    }
    c.get_summary(req)
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap()
}

fn state(s: &Option<SectionStatus>) -> (SectionState, Code) {
    let s = s.clone().unwrap();
    (
        SectionState::try_from(s.state).unwrap(),
        Code::from_i32(s.code),
    )
}

fn group<'a>(s: &'a Summary, code: &str) -> &'a ExceptionCounts {
    s.exceptions_groups
        .iter()
        .find(|g| g.region_code == code)
        .unwrap()
}

/// Every exception and section figure against the test's own count of what it loaded.
fn check_full_summary(s: &Summary, e: &Expected) {
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

#[tokio::test]
async fn summary_file_and_snapshots_over_a_small_county() {
    let county = County::start().await;
    let expected = load(&county).await;
    let aggregator = start_aggregator(county.urls(), Duration::from_secs(5)).await;
    let mut c = agg(&aggregator, Principal::Admin).await;

    let s = summary(&mut c, "420625", Some(Duration::from_secs(5))).await;
    check_full_summary(&s, &expected);

    // The sections embed the services' own answers unchanged.
    let mut wc = water::v1::water_service_client::WaterServiceClient::with_interceptor(
        county.water.channel().await.unwrap(),
        county.water.bearer(Principal::Aggregator),
    );
    let direct = wc
        .summarize_by_region(water::v1::SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Township as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let ws = s.water.clone().unwrap();
    assert_eq!(ws.total, direct.total);
    assert_eq!(ws.groups, direct.groups);

    // A township prefix narrows every section.
    let t2 = summary(&mut c, T2, None).await;
    assert_eq!(t2.registry.unwrap().total.unwrap().archive_people, 6);
    assert_eq!(
        t2.exceptions_total.unwrap().uninsured_registered_people,
        Some(4)
    );

    // Bad input.
    let err = c
        .get_summary(GetSummaryRequest {
            region_prefix: "42062".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(common::violated_fields(&err), ["region_prefix"]);

    // The household file, whole.
    let file = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "HH000001".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner()
        .file
        .unwrap();
    assert!(file.complete, "{file:?}");
    assert_eq!(file.registry.unwrap().household.unwrap().members.len(), 3);
    let students = file.education.unwrap().students;
    assert_eq!(students.len(), 1);
    assert_eq!(
        students[0].student.as_ref().unwrap().resident_id,
        child_id(1)
    );
    let people = file.health.unwrap().people;
    assert_eq!(people.len(), 3);
    assert!(people.iter().all(|p| p.enrolled));
    assert_eq!(people[0].person_year.as_ref().unwrap().cases.len(), 1);
    let housing = file.housing.unwrap();
    assert!(housing.relocation.is_some());
    assert!(housing.appraisal.is_none());
    assert!(file.water.unwrap().water.unwrap().current.is_some());
    // HH4: not insured, no relocation.
    let f4 = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "HH000004".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner()
        .file
        .unwrap();
    assert!(f4.complete);
    assert!(f4.health.unwrap().people.iter().all(|p| !p.enrolled));
    assert!(f4.housing.unwrap().relocation.is_none());
    // Exit eligibility: HH1 meets every criterion; HH4 fails four of five.
    let results = |r: CheckExitEligibilityResponse| -> Vec<(String, CriterionResult)> {
        r.criteria
            .into_iter()
            .map(|c| (c.name, CriterionResult::try_from(c.result).unwrap()))
            .collect()
    };
    let e1 = c
        .check_exit_eligibility(CheckExitEligibilityRequest {
            household_id: "HH000001".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(e1.eligible, "{e1:?}");
    assert_eq!(e1.poverty_line_fen, 321_800, "the registry's 2019 line");
    let e4 = c
        .check_exit_eligibility(CheckExitEligibilityRequest {
            household_id: "HH000004".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!e4.eligible);
    use CriterionResult::{Met, NotMet};
    assert_eq!(
        results(e4),
        [
            ("INCOME".to_string(), NotMet),
            ("EDUCATION".to_string(), NotMet),
            ("HEALTH".to_string(), NotMet),
            ("HOUSING".to_string(), Met),
            ("WATER".to_string(), NotMet),
        ]
    );
    let err = c
        .check_exit_eligibility(CheckExitEligibilityRequest {
            household_id: "HH999999".into(),
            year: YEAR,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    // Unknown and malformed ids.
    let err = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "HH999999".into(),
            year: YEAR,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "bad id with spaces".into(),
            year: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    // Snapshots: taken once per month and prefix, replayed by request id, listed.
    let mut ca = agg(&aggregator, Principal::Aggregator).await;
    let take = |rid: &str, month: &str, prefix: &str| TakeSnapshotRequest {
        request_id: rid.into(),
        month: month.into(),
        region_prefix: prefix.into(),
        group_by: 0,
    };
    let first = ca
        .take_snapshot(take("snap-1", "2019-12", "420625"))
        .await
        .unwrap()
        .into_inner()
        .snapshot
        .unwrap();
    assert_eq!(first.snapshot_id, "2019-12/420625");
    assert_eq!(first.taken_by, "aggregator");
    let snap_summary = first.summary.clone().unwrap();
    assert!(snap_summary.complete);
    assert_eq!(snap_summary.as_of, Some(date(2019, 12, 31)));
    assert_eq!(snap_summary.year, 2019);
    let replay = ca
        .take_snapshot(take("snap-1", "2019-12", "420625"))
        .await
        .unwrap()
        .into_inner()
        .snapshot
        .unwrap();
    assert_eq!(replay, first, "a retry returns the first answer");
    let dup = ca
        .take_snapshot(take("snap-2", "2019-12", "420625"))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Code::AlreadyExists);
    let reused = ca
        .take_snapshot(take("snap-1", "2020-01", "420625"))
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::AlreadyExists);
    let bad = ca
        .take_snapshot(take("snap-3", "2019-13", "420625"))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    // Admin may take one too.
    c.take_snapshot(take("snap-a", "2020-01", T1))
        .await
        .unwrap();
    ca.take_snapshot(take("snap-4", "2019-11", "420625"))
        .await
        .unwrap();
    let page1 = ca
        .list_snapshots(ListSnapshotsRequest {
            region_prefix: "420625".into(),
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = page1
        .snapshots
        .iter()
        .map(|s| s.snapshot_id.clone())
        .collect();
    assert_eq!(ids, ["2019-11/420625", "2019-12/420625"]);
    assert!(!page1.next_page_token.is_empty());
    let page2 = ca
        .list_snapshots(ListSnapshotsRequest {
            region_prefix: "420625".into(),
            page_size: 2,
            page_token: page1.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = page2
        .snapshots
        .iter()
        .map(|s| s.snapshot_id.clone())
        .collect();
    assert_eq!(ids, [format!("2020-01/{T1}")]);
    assert!(page2.next_page_token.is_empty());
    let only_t1 = ca
        .list_snapshots(ListSnapshotsRequest {
            region_prefix: T1.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(only_t1.snapshots.len(), 1);
    let got = ca
        .get_snapshot(GetSnapshotRequest {
            snapshot_id: "2019-12/420625".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .snapshot
        .unwrap();
    assert_eq!(got, first);
    let missing = ca
        .get_snapshot(GetSnapshotRequest {
            snapshot_id: "2018-01/420625".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // Auth: a bureau may neither read the aggregator nor take snapshots; no token is
    // UNAUTHENTICATED.
    let mut bureau = agg(&aggregator, Principal::Bureau(Bureau::PovertyOffice)).await;
    let err = bureau
        .take_snapshot(take("snap-b", "2019-10", "420625"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = bureau
        .get_summary(GetSummaryRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut anon = AggregatorServiceClient::with_interceptor(
        aggregator.channel().await.unwrap(),
        Bearer(None),
    );
    let err = anon
        .list_snapshots(ListSnapshotsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    // A service really stopped: its section is UNAVAILABLE, the rest still served; the
    // household file is partial; a snapshot is refused (nothing stored) until it is back.
    let County {
        registry,
        education,
        health,
        housing,
        water,
    } = county;
    water.stop().await.unwrap();
    let started = Instant::now();
    let s = summary(&mut c, "420625", Some(Duration::from_secs(2))).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!s.complete);
    assert_eq!(
        state(&s.water.as_ref().unwrap().status).0,
        SectionState::Unavailable
    );
    assert_eq!(
        s.exceptions_total.as_ref().unwrap().unsafe_water_households,
        None
    );
    assert_eq!(
        s.exceptions_total
            .as_ref()
            .unwrap()
            .uninsured_registered_people,
        Some(4)
    );
    let file = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "HH000001".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner()
        .file
        .unwrap();
    assert!(!file.complete);
    assert_eq!(
        state(&file.water.as_ref().unwrap().status).0,
        SectionState::Unavailable
    );
    assert_eq!(file.education.unwrap().students.len(), 1);
    let err = ca
        .take_snapshot(take("snap-5", "2019-10", "420625"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    let listed = ca
        .list_snapshots(ListSnapshotsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.snapshots.len(),
        3,
        "the refused snapshot wrote nothing"
    );

    // The registry stopped: the household file says which sections could not be asked.
    registry.stop().await.unwrap();
    let file = c
        .get_household_file(GetHouseholdFileRequest {
            household_id: "HH000001".into(),
            year: YEAR,
        })
        .await
        .unwrap()
        .into_inner()
        .file
        .unwrap();
    assert_eq!(
        state(&file.registry.as_ref().unwrap().status).0,
        SectionState::Unavailable
    );
    assert_eq!(
        state(&file.health.as_ref().unwrap().status).0,
        SectionState::Unavailable
    );
    assert!(file.housing.unwrap().relocation.is_some());

    aggregator.stop().await.unwrap();
    for s in [education, health, housing] {
        s.stop().await.unwrap();
    }
}

/// An address nothing listens on: a port bound and released at once.
async fn dead_address() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

#[tokio::test]
async fn each_service_down_in_turn_marks_only_its_section() {
    let county = County::start().await;
    let expected = load(&county).await;
    let names = ["registry", "education", "health", "housing", "water"];
    for (i, name) in names.iter().enumerate() {
        let mut urls = county.urls();
        urls[i] = dead_address().await;
        let aggregator = start_aggregator(urls, Duration::from_secs(5)).await;
        let mut c = agg(&aggregator, Principal::Aggregator).await;
        let deadline = Duration::from_secs(2);
        let started = Instant::now();
        let s = summary(&mut c, "420625", Some(deadline)).await;
        assert!(
            started.elapsed() < deadline,
            "{name}: {:?}",
            started.elapsed()
        );
        assert!(!s.complete, "{name}");
        let statuses = [
            &s.registry.as_ref().unwrap().status,
            &s.education.as_ref().unwrap().status,
            &s.health.as_ref().unwrap().status,
            &s.housing.as_ref().unwrap().status,
            &s.water.as_ref().unwrap().status,
        ];
        for (j, st) in statuses.iter().enumerate() {
            let (st, code) = state(st);
            if i == j {
                assert_eq!(st, SectionState::Unavailable, "{name}");
                assert!(
                    matches!(code, Code::Unavailable | Code::DeadlineExceeded),
                    "{name}: {code:?}"
                );
            } else {
                assert_eq!(
                    st,
                    SectionState::Available,
                    "{name} down, {} should be up",
                    names[j]
                );
            }
        }
        let x = s.exceptions_total.as_ref().unwrap();
        // The figures of the services still up are the full county's.
        let up = |k: usize| i != k;
        assert_eq!(
            x.children_out_of_school_without_case,
            up(1).then_some(1),
            "{name}"
        );
        assert_eq!(
            x.uninsured_registered_people,
            (up(0) && up(2)).then_some(4),
            "{name}"
        );
        assert_eq!(x.relocated_not_moved_in_households, up(3).then_some(1));
        assert_eq!(x.unsafe_water_people, up(4).then_some(4));
        if up(0) {
            let rt = s.registry.as_ref().unwrap().total.clone().unwrap();
            assert_eq!(rt.archive_people, 12);
        }
        aggregator.stop().await.unwrap();
    }
    // And with everything up the same county is whole.
    let aggregator = start_aggregator(county.urls(), Duration::from_secs(5)).await;
    let mut c = agg(&aggregator, Principal::Aggregator).await;
    check_full_summary(&summary(&mut c, "420625", None).await, &expected);
    aggregator.stop().await.unwrap();
    county.stop().await;
}

#[tokio::test]
async fn a_service_that_never_answers_costs_at_most_the_deadline() {
    let county = County::start().await;
    // Accepts TCP connections (the kernel's backlog) but never speaks HTTP/2.
    let black_hole = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut urls = county.urls();
    urls[2] = format!("http://{}", black_hole.local_addr().unwrap());
    // Default deadline short too: a caller without a deadline is bounded as well.
    let aggregator = start_aggregator(urls, Duration::from_millis(800)).await;
    let mut c = agg(&aggregator, Principal::Aggregator).await;
    for deadline in [Some(Duration::from_millis(500)), None] {
        let started = Instant::now();
        let s = summary(&mut c, "420625", deadline).await;
        let took = started.elapsed();
        let limit = deadline.unwrap_or(Duration::from_millis(800));
        assert!(took < limit, "took {took:?}, deadline {limit:?}");
        let (st, code) = state(&s.health.as_ref().unwrap().status);
        assert_eq!(st, SectionState::Unavailable);
        assert_eq!(
            code,
            Code::DeadlineExceeded,
            "a black hole runs out the clock"
        );
        assert_eq!(
            state(&s.registry.as_ref().unwrap().status).0,
            SectionState::Available
        );
        assert_eq!(
            state(&s.water.as_ref().unwrap().status).0,
            SectionState::Available
        );
    }
    // The current year's default when the caller sends none.
    let r = c
        .get_summary(GetSummaryRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap();
    assert_eq!(r.year, today().year());
    drop(black_hole);
    aggregator.stop().await.unwrap();
    county.stop().await;
}

#[tokio::test]
async fn several_endpoints_per_service_are_balanced_past_a_dead_one() {
    let county = County::start().await;
    let expected = load(&county).await;
    let [r, e, h, o, w] = county.urls();
    let token = test_tokens().1[&Principal::Aggregator].clone();
    let mut upstream = Upstream::single([r.clone(), e, h, o, w], token);
    // Two replicas of the registry, one of them dead; two live "replicas" of water.
    upstream.registry = vec![dead_address().await, r];
    upstream.water = vec![upstream.water[0].clone(), upstream.water[0].clone()];
    let aggregator = start_aggregator_with(upstream).await;
    let mut c = agg(&aggregator, Principal::Aggregator).await;
    for _ in 0..3 {
        let s = summary(&mut c, "420625", Some(Duration::from_secs(3))).await;
        check_full_summary(&s, &expected);
    }
    aggregator.stop().await.unwrap();
    county.stop().await;
}

//! ListAtRiskHouseholds over real gRPC: the five services on port 0 (SQLite, or
//! PostgreSQL with XK_TEST_DATABASE=postgres), a small county where every monitoring
//! trigger fires for some households and not for others (with the edge cases: income
//! exactly at the line, a fall of exactly 30%, payments exactly at the thresholds), and
//! the aggregator's answer checked against the test's own computation of the triggers.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use tonic::Code;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use xiaokang::testing::{Bearer, TestService, test_tokens};
use xk_aggregator::Upstream;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::{education, health, housing, registry, water};
use xk_contracts::types::ResidentId;
use xk_runtime::{Bureau, Principal};

/// Two villages of 城关镇 and one of 石花镇.
const V1: &str = "420625100201";
const V2: &str = "420625100202";
const V3: &str = "420625101203";
/// The income and coverage year judged.
const YEAR: i32 = 2020;
/// The triggers of 2020 in the aggregator's built-in policy.toml, restated here: the
/// monitoring line (1.5 x about 4,000 yuan), the fall percent and the large payment.
const LINE: i64 = 600_000;
const LARGE: i64 = 500_000;

type Agg = AggregatorServiceClient<InterceptedService<Channel, Bearer>>;

/// The five services and the aggregator, each stoppable on its own.
struct County {
    registry: Option<TestService>,
    education: Option<TestService>,
    health: Option<TestService>,
    housing: Option<TestService>,
    water: Option<TestService>,
    aggregator: TestService,
}

impl County {
    async fn start() -> County {
        Self::start_paging(xk_aggregator::upstream::DEFAULT_LIST_PAGE_SIZE).await
    }

    /// As [`County::start`], the aggregator reading the services `page` records at a time.
    async fn start_paging(page: i32) -> County {
        let (registry, education, health, housing, water) = tokio::join!(
            TestService::start(xk_registry::SPEC),
            TestService::start(xk_education::SPEC),
            TestService::start(xk_health::SPEC),
            TestService::start(xk_housing::SPEC),
            TestService::start(xk_water::SPEC),
        );
        let (registry, education, health, housing, water) = (
            registry.unwrap(),
            education.unwrap(),
            health.unwrap(),
            housing.unwrap(),
            water.unwrap(),
        );
        let token = test_tokens().1[&Principal::Aggregator].clone();
        let mut upstream = Upstream::single(
            [
                registry.hosted.url(),
                education.hosted.url(),
                health.hosted.url(),
                housing.hosted.url(),
                water.hosted.url(),
            ],
            token,
        );
        upstream.list_page_size = page;
        let aggregator = TestService::start_aggregator(upstream).await.unwrap();
        County {
            registry: Some(registry),
            education: Some(education),
            health: Some(health),
            housing: Some(housing),
            water: Some(water),
            aggregator,
        }
    }

    async fn agg(&self, p: Principal) -> Agg {
        AggregatorServiceClient::with_interceptor(
            self.aggregator.channel().await.unwrap(),
            self.aggregator.bearer(p),
        )
    }

    async fn stop(self) {
        self.aggregator.stop().await.unwrap();
        for s in [
            self.registry,
            self.education,
            self.health,
            self.housing,
            self.water,
        ]
        .into_iter()
        .flatten()
        {
            s.stop().await.unwrap();
        }
    }
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

fn date(y: i32, m: i32, d: i32) -> xk_contracts::pb::common::v1::Date {
    common::date(y, m, d)
}

/// What the test loads for one household, from which it computes the triggers itself.
#[derive(Debug, Clone, Default)]
struct Fixture {
    n: u32,
    village: &'static str,
    size: usize,
    status: registry::v1::ArchiveStatus,
    /// (year, per-capita income in fen).
    incomes: Vec<(i32, i64)>,
    /// (member index, out-of-policy cost in fen): settled as one case each, so the
    /// personal payment is exactly this figure.
    payments: Vec<(usize, i64)>,
    /// The last member is a child with this status.
    child: Option<education::v1::StudentStatus>,
    /// Water: litres per person per day (10 is 不安全, 35 基本安全).
    litres: Option<i64>,
    /// Housing: relocated with (labour, employed) members.
    relocated: Option<(i32, i32)>,
}

impl Fixture {
    fn id(&self) -> String {
        format!("HH{:06}", self.n)
    }

    fn household(&self) -> registry::v1::Household {
        let mut h = common::household(self.n, self.village, self.size, self.status);
        if self.child.is_some()
            && let Some(m) = h.members.last_mut()
        {
            m.resident_id = child_id(self.n);
            m.labour = registry::v1::LabourCapacity::NotWorkingAge as i32;
        }
        if self.status == registry::v1::ArchiveStatus::MonitoredOnly {
            h.monitoring = Some(registry::v1::Monitoring {
                category: registry::v1::MonitoringCategory::Edge as i32,
                stage: registry::v1::MonitoringStage::Identified as i32,
                identified_on: Some(date(YEAR, 6, 1)),
                stage_changed_on: None,
            });
        }
        h.incomes = self
            .incomes
            .iter()
            .map(|(y, f)| registry::v1::Income {
                year: *y,
                per_capita_net_income_fen: *f,
            })
            .collect();
        h
    }

    fn income(&self, year: i32) -> Option<i64> {
        self.incomes
            .iter()
            .find(|(y, _)| *y == year)
            .map(|(_, f)| *f)
    }

    /// The triggers, computed independently of the aggregator's code (other formulas for
    /// the same rules), in RiskKind order.
    fn expected(&self, health_up: bool, water_up: bool) -> Vec<RiskKind> {
        let mut k = Vec::new();
        let cur = self.income(YEAR);
        let prev = self.income(YEAR - 1);
        if cur.is_some_and(|c| c < LINE) {
            k.push(RiskKind::IncomeBelowMonitoringLine);
        }
        // Fell by more than 30%: what is left is less than 70%.
        if let (Some(c), Some(p)) = (cur, prev)
            && c * 10 < p * 7
        {
            k.push(RiskKind::IncomeFellSharply);
        }
        if health_up {
            let total: i64 = self.payments.iter().map(|(_, f)| f).sum();
            if prev.is_some_and(|p| total > p * self.size as i64) {
                k.push(RiskKind::MedicalExpensesAboveIncome);
            }
            for (_, f) in &self.payments {
                if *f > LARGE {
                    k.push(RiskKind::LargeMedicalPayment);
                }
            }
        }
        use education::v1::StudentStatus as S;
        if matches!(self.child, Some(S::DroppedOut) | Some(S::NeverEnrolled)) {
            k.push(RiskKind::ChildOutOfSchool);
        }
        if water_up && self.litres.is_some_and(|l| l < 20) {
            k.push(RiskKind::UnsafeWater);
        }
        if self.relocated.is_some_and(|(l, e)| l > 0 && e == 0) {
            k.push(RiskKind::RelocatedWithoutEmployment);
        }
        k
    }
}

/// The county: each trigger fires for some households and not for others.
fn fixtures() -> Vec<Fixture> {
    use education::v1::StudentStatus as S;
    use registry::v1::ArchiveStatus as A;
    let f = |n, village, size, status| Fixture {
        n,
        village,
        size,
        status,
        ..Default::default()
    };
    vec![
        // A fall of exactly 30% (and still above the line): not at risk.
        Fixture {
            incomes: vec![(YEAR - 1, 1_000_000), (YEAR, 700_000)],
            litres: Some(35),
            ..f(1, V1, 3, A::Exited)
        },
        // One fen below the line.
        Fixture {
            incomes: vec![(YEAR, LINE - 1)],
            ..f(2, V1, 2, A::Poor)
        },
        // A fall of just over 30%, still above the line.
        Fixture {
            incomes: vec![(YEAR - 1, 1_000_000), (YEAR, 699_999)],
            ..f(3, V1, 2, A::Exited)
        },
        // Income exactly at the line; payments exactly at the large threshold and, in sum,
        // exactly last year's household income (300,000 x 2): not at risk.
        Fixture {
            incomes: vec![(YEAR - 1, 300_000), (YEAR, LINE)],
            payments: vec![(0, LARGE), (1, 100_000)],
            ..f(4, V1, 2, A::Exited)
        },
        // One fen over both: a large payment, and expenses above last year's income.
        Fixture {
            incomes: vec![(YEAR - 1, 300_000), (YEAR, 700_000)],
            payments: vec![(0, LARGE + 1), (1, 100_000)],
            ..f(5, V1, 2, A::Exited)
        },
        // A dropped-out child.
        Fixture {
            incomes: vec![(YEAR, 800_000)],
            child: Some(S::DroppedOut),
            ..f(6, V1, 3, A::Poor)
        },
        // A child in school, safe water, a small payment: not at risk.
        Fixture {
            incomes: vec![(YEAR - 1, 800_000), (YEAR, 800_000)],
            child: Some(S::InCounty),
            payments: vec![(0, 20_000)],
            litres: Some(35),
            ..f(12, V1, 3, A::Exited)
        },
        // A child never enrolled, unsafe water.
        Fixture {
            incomes: vec![(YEAR, 900_000)],
            child: Some(S::NeverEnrolled),
            litres: Some(10),
            ..f(7, V2, 3, A::Exited)
        },
        // Relocated, labour, no one employed.
        Fixture {
            incomes: vec![(YEAR, 900_000)],
            relocated: Some((1, 0)),
            ..f(8, V2, 2, A::Exited)
        },
        // Relocated and employed, basically safe water: not at risk.
        Fixture {
            incomes: vec![(YEAR, 900_000)],
            relocated: Some((1, 1)),
            litres: Some(35),
            ..f(9, V2, 2, A::Exited)
        },
        // Another township: below the line and fallen by half.
        Fixture {
            incomes: vec![(YEAR - 1, 200_000), (YEAR, 100_000)],
            ..f(11, V3, 2, A::MonitoredOnly)
        },
        Fixture {
            incomes: vec![(YEAR, 900_000)],
            ..f(10, V3, 2, A::Exited)
        },
    ]
}

/// Loads the fixtures through the services' public RPCs.
async fn load(c: &County, fx: &[Fixture]) {
    fn svc(s: &Option<TestService>) -> &TestService {
        s.as_ref().unwrap()
    }
    let reg = svc(&c.registry);
    let mut rc = registry::v1::registry_service_client::RegistryServiceClient::with_interceptor(
        reg.channel().await.unwrap(),
        reg.bearer(Principal::Bureau(Bureau::PovertyOffice)),
    );
    rc.import_households(tokio_stream::iter(vec![
        registry::v1::ImportHouseholdsRequest {
            request_id: "at-risk-county".into(),
            households: fx.iter().map(Fixture::household).collect(),
        },
    ]))
    .await
    .unwrap();

    let edu = svc(&c.education);
    let mut ec = education::v1::education_service_client::EducationServiceClient::with_interceptor(
        edu.channel().await.unwrap(),
        edu.bearer(Principal::Bureau(Bureau::Education)),
    );
    let hea = svc(&c.health);
    let mut hc =
        health::v1::health_insurance_service_client::HealthInsuranceServiceClient::with_interceptor(
            hea.channel().await.unwrap(),
            hea.bearer(Principal::Bureau(Bureau::MedicalSecurity)),
        );
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
    let hou = svc(&c.housing);
    let mut oc = housing::v1::housing_service_client::HousingServiceClient::with_interceptor(
        hou.channel().await.unwrap(),
        hou.bearer(Principal::Bureau(Bureau::Relocation)),
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
    let wat = svc(&c.water);
    let mut wc = water::v1::water_service_client::WaterServiceClient::with_interceptor(
        wat.channel().await.unwrap(),
        wat.bearer(Principal::Bureau(Bureau::WaterResources)),
    );

    for f in fx {
        let h = f.household();
        if let Some(status) = f.child {
            let in_school = status == education::v1::StudentStatus::InCounty;
            ec.create_student(education::v1::CreateStudentRequest {
                request_id: format!("s{}", f.n),
                student: Some(education::v1::Student {
                    resident_id: child_id(f.n),
                    household_id: f.id(),
                    village_code: f.village.into(),
                    school: if in_school {
                        "谷城县实验小学".into()
                    } else {
                        String::new()
                    },
                    grade: if in_school { 4 } else { 0 },
                    status: status as i32,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
        }
        for (i, (member, fen)) in f.payments.iter().enumerate() {
            let rid = h.members[*member].resident_id.clone();
            hc.enrol(health::v1::EnrolRequest {
                request_id: format!("e-{rid}"),
                enrolment: Some(health::v1::Enrolment {
                    resident_id: rid.clone(),
                    household_id: f.id(),
                    village_code: f.village.into(),
                    coverage_year: YEAR,
                    registered_poor: true,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
            // All of it out of policy: the person pays exactly this figure.
            let settled = hc
                .settle_case(health::v1::SettleCaseRequest {
                    request_id: format!("case-{}-{i}", f.n),
                    hospital_case: Some(health::v1::HospitalCase {
                        resident_id: rid,
                        institution_code: "H001".into(),
                        admission_date: Some(date(YEAR, 3, 1)),
                        discharge_date: Some(date(YEAR, 3, 6)),
                        total_fen: *fen,
                        out_of_policy_fen: *fen,
                        chronic_outpatient: false,
                        bill_number: format!("BILL-{}-{i}", f.n),
                    }),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                settled.record.unwrap().layers.unwrap().personal_total_fen,
                *fen,
                "the fixture's payment must be exactly what health records"
            );
        }
        if let Some((labour, employed)) = f.relocated {
            let ms = housing::v1::Milestones {
                construction_start: Some(date(2017, 3, 1)),
                completion: Some(date(2017, 12, 1)),
                acceptance: Some(date(2018, 1, 10)),
                key_handover: Some(date(2018, 2, 1)),
                moved_in: Some(date(2018, 2, 15)),
                ..Default::default()
            };
            oc.create_relocation(housing::v1::CreateRelocationRequest {
                request_id: format!("r{}", f.n),
                relocation: Some(housing::v1::Relocation {
                    household_id: f.id(),
                    origin_village_code: f.village.into(),
                    site_id: "S-CT".into(),
                    batch_year: 2017,
                    members: f.size as i32,
                    labour_members: labour,
                    employed_members: employed,
                    housing: Some(housing::v1::Housing {
                        area_centi_m2: f.size as i64 * 2_000,
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
        if let Some(litres) = f.litres {
            wc.record_assessment(water::v1::RecordAssessmentRequest {
                request_id: format!("w{}", f.n),
                assessment: Some(water::v1::Assessment {
                    household_id: f.id(),
                    village_code: f.village.into(),
                    people: f.size as i32,
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
    }
}

/// Every message of one stream, or the status it failed with.
async fn stream(
    c: &mut Agg,
    req: ListAtRiskHouseholdsRequest,
    deadline: Option<Duration>,
) -> Result<Vec<ListAtRiskHouseholdsResponse>, tonic::Status> {
    let mut r = tonic::Request::new(req);
    if let Some(d) = deadline {
        r.set_timeout(d);
    }
    let mut s = c.list_at_risk_households(r).await?.into_inner();
    let mut out = Vec::new();
    while let Some(m) = s.message().await? {
        out.push(m);
    }
    Ok(out)
}

fn req(prefix: &str, batch: i32, token: &str) -> ListAtRiskHouseholdsRequest {
    ListAtRiskHouseholdsRequest {
        region_prefix: prefix.into(),
        year: YEAR,
        batch_size: batch,
        resume_token: token.into(),
        as_of: None,
    }
}

fn households(msgs: &[ListAtRiskHouseholdsResponse]) -> Vec<AtRiskHousehold> {
    msgs.iter().flat_map(|m| m.households.clone()).collect()
}

/// (household id, reason kinds), in stream order.
fn kinds(hs: &[AtRiskHousehold]) -> Vec<(String, Vec<RiskKind>)> {
    hs.iter()
        .map(|h| {
            (
                h.household_id.clone(),
                h.reasons
                    .iter()
                    .map(|r| RiskKind::try_from(r.kind).unwrap())
                    .collect(),
            )
        })
        .collect()
}

/// The test's own answer for a prefix: village then household order, at-risk only.
fn expected(
    fx: &[Fixture],
    prefix: &str,
    health_up: bool,
    water_up: bool,
) -> Vec<(String, Vec<RiskKind>)> {
    let mut by_key: BTreeMap<(String, String), Vec<RiskKind>> = BTreeMap::new();
    for f in fx.iter().filter(|f| f.village.starts_with(prefix)) {
        let k = f.expected(health_up, water_up);
        if !k.is_empty() {
            by_key.insert((f.village.to_string(), f.id()), k);
        }
    }
    by_key.into_iter().map(|((_, id), k)| (id, k)).collect()
}

#[tokio::test]
async fn at_risk_households_are_exact_ordered_batched_and_resumable() {
    let c = County::start().await;
    let fx = fixtures();
    load(&c, &fx).await;
    let mut agg = c.agg(Principal::Aggregator).await;

    // The whole county: exactly the households the test computes, with their reasons.
    let msgs = stream(
        &mut agg,
        req("420625", 0, ""),
        Some(Duration::from_secs(20)),
    )
    .await
    .unwrap();
    let last = msgs.last().unwrap();
    assert!(last.done);
    assert!(msgs[..msgs.len() - 1].iter().all(|m| !m.done));
    assert!(msgs.iter().all(|m| m.unavailable.is_empty()), "{msgs:?}");
    assert!(
        msgs.iter()
            .all(|m| m.year == YEAR && m.monitoring_line_fen == LINE)
    );
    let all = households(&msgs);
    let want = expected(&fx, "420625", true, true);
    assert_eq!(kinds(&all), want);
    // Sanity of the fixture: every trigger fires somewhere, and some households are clear.
    let fired: std::collections::BTreeSet<RiskKind> =
        want.iter().flat_map(|(_, k)| k.clone()).collect();
    assert_eq!(fired.len(), 7, "{fired:?}");
    assert!(want.len() < fx.len());
    // Village order, then household order.
    let keys: Vec<(String, String)> = all
        .iter()
        .map(|h| (h.village_code.clone(), h.household_id.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Details carry figures, never a whole resident id.
    let h2 = all.iter().find(|h| h.household_id == "HH000002").unwrap();
    assert!(
        h2.reasons[0].detail.contains(&(LINE - 1).to_string()),
        "{h2:?}"
    );
    assert_eq!(h2.status, registry::v1::ArchiveStatus::Poor as i32);
    for f in &fx {
        for m in f.household().members {
            for h in &all {
                for r in &h.reasons {
                    assert!(!r.detail.contains(&m.resident_id), "{}", r.detail);
                }
            }
        }
    }

    // A township and a village.
    for prefix in ["420625101", V2] {
        let msgs = stream(&mut agg, req(prefix, 0, ""), None).await.unwrap();
        assert_eq!(
            kinds(&households(&msgs)),
            expected(&fx, prefix, true, true),
            "{prefix}"
        );
    }

    // Batches of one household (smaller than any village): the same households, in the
    // same order, at most one per message.
    let ones = stream(&mut agg, req("420625", 1, ""), None).await.unwrap();
    assert!(ones.iter().all(|m| m.households.len() <= 1));
    assert!(ones.len() > want.len());
    assert_eq!(kinds(&households(&ones)), want);
    // Resume after the second household (mid-village): the rest, exactly.
    let with_two: Vec<&ListAtRiskHouseholdsResponse> =
        ones.iter().filter(|m| !m.households.is_empty()).collect();
    let token = with_two[1].resume_token.clone();
    let rest = stream(&mut agg, req("420625", 2, &token), None)
        .await
        .unwrap();
    assert_eq!(kinds(&households(&rest)), want[2..].to_vec());
    // Resume after the last: nothing more, but a final message.
    let end = stream(&mut agg, req("420625", 0, &last.resume_token), None)
        .await
        .unwrap();
    assert!(households(&end).is_empty());
    assert!(end.last().unwrap().done);

    // Bad input: INVALID_ARGUMENT naming the field; a token of another filter is refused.
    for (r, field) in [
        (req("42062", 0, ""), "region_prefix"),
        (req("abcdef", 0, ""), "region_prefix"),
        (req("", 0, ""), "region_prefix"),
        (req("420625", -1, ""), "batch_size"),
        (req("420625", 0, "garbage"), "resume_token"),
        (req("420625101", 0, &token), "resume_token"),
        (
            ListAtRiskHouseholdsRequest {
                year: 1999,
                ..req("420625", 0, "")
            },
            "year",
        ),
    ] {
        let e = stream(&mut agg, r, None).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        assert!(
            common::violated_fields(&e).contains(&field.to_string()),
            "{field}: {e:?}"
        );
    }
    // A bureau may not read across services.
    let mut bureau = c.agg(Principal::Bureau(Bureau::PovertyOffice)).await;
    let e = stream(&mut bureau, req("420625", 0, ""), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    c.stop().await;
}

/// Upstream pages of one record: every village's households, cases, students and
/// exceptions come over several pages, and the answer is the same.
#[tokio::test]
async fn upstream_pages_smaller_than_a_village_give_the_same_answer() {
    let c = County::start_paging(1).await;
    let fx = fixtures();
    load(&c, &fx).await;
    let mut agg = c.agg(Principal::Aggregator).await;
    let msgs = stream(
        &mut agg,
        req("420625", 2, ""),
        Some(Duration::from_secs(20)),
    )
    .await
    .unwrap();
    assert!(msgs.iter().all(|m| m.unavailable.is_empty()), "{msgs:?}");
    assert!(msgs.iter().all(|m| m.households.len() <= 2));
    assert_eq!(
        kinds(&households(&msgs)),
        expected(&fx, "420625", true, true)
    );
    c.stop().await;
}

#[tokio::test]
async fn a_service_down_leaves_its_signals_unavailable_and_the_registry_fails_the_call() {
    let mut c = County::start().await;
    let fx = fixtures();
    load(&c, &fx).await;
    let mut agg = c.agg(Principal::Aggregator).await;

    // Water and health stop: their triggers are listed unavailable (with the code), every
    // other trigger is still served, within the caller's deadline.
    c.water.take().unwrap().stop().await.unwrap();
    c.health.take().unwrap().stop().await.unwrap();
    let deadline = Duration::from_secs(10);
    let t = Instant::now();
    let msgs = stream(&mut agg, req("420625", 0, ""), Some(deadline))
        .await
        .unwrap();
    assert!(t.elapsed() < deadline, "{:?}", t.elapsed());
    assert!(msgs.last().unwrap().done);
    assert_eq!(
        kinds(&households(&msgs)),
        expected(&fx, "420625", false, false)
    );
    let last = msgs.last().unwrap();
    let unavailable: Vec<(RiskKind, Code)> = last
        .unavailable
        .iter()
        .map(|u| {
            let s = u.status.clone().unwrap();
            assert_eq!(s.state, SectionState::Unavailable as i32);
            (RiskKind::try_from(u.kind).unwrap(), Code::from_i32(s.code))
        })
        .collect();
    assert_eq!(
        unavailable,
        [
            (RiskKind::MedicalExpensesAboveIncome, Code::Unavailable),
            (RiskKind::LargeMedicalPayment, Code::Unavailable),
            (RiskKind::UnsafeWater, Code::Unavailable),
        ]
    );
    assert!(
        last.unavailable[2]
            .status
            .as_ref()
            .unwrap()
            .message
            .starts_with("water: ")
    );

    // The registry is the spine: without it the call fails UNAVAILABLE.
    c.registry.take().unwrap().stop().await.unwrap();
    let e = stream(&mut agg, req("420625", 0, ""), Some(deadline))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unavailable, "{e:?}");
    assert!(e.message().starts_with("registry: "), "{e:?}");
    c.stop().await;
}

/// A county-sized walk (19,140 households in 290 villages, every tenth below the line),
/// timed: `cargo test --release --test at_risk -- --ignored --nocapture`. The guarantee
/// services are empty, so this measures the walk's own cost: seven upstream reads per
/// village plus the registry's households.
#[tokio::test]
#[ignore]
async fn measure_a_county_sized_walk() {
    use registry::v1::ArchiveStatus as A;
    let c = County::start().await;
    let reg = c.registry.as_ref().unwrap();
    let mut rc = registry::v1::registry_service_client::RegistryServiceClient::with_interceptor(
        reg.channel().await.unwrap(),
        reg.bearer(Principal::Bureau(Bureau::PovertyOffice)),
    );
    let (villages, per_village) = (290u32, 66u32);
    let mut all = Vec::new();
    for v in 0..villages {
        let village = format!("420625{:03}{:03}", 100 + v / 30, 200 + v % 30);
        for i in 0..per_village {
            let n = v * per_village + i + 1;
            let mut h = common::household(n, &village, 2 + (n % 2) as usize, A::Exited);
            h.incomes = vec![registry::v1::Income {
                year: YEAR,
                per_capita_net_income_fen: if n % 10 == 0 { LINE - 1 } else { LINE * 2 },
            }];
            all.push(h);
        }
    }
    let total = all.len();
    let t = Instant::now();
    let batches: Vec<registry::v1::ImportHouseholdsRequest> = all
        .chunks(2000)
        .enumerate()
        .map(|(i, b)| registry::v1::ImportHouseholdsRequest {
            request_id: format!("big-{i}"),
            households: b.to_vec(),
        })
        .collect();
    drop(all);
    rc.import_households(tokio_stream::iter(batches))
        .await
        .unwrap();
    eprintln!("imported {total} households in {:?}", t.elapsed());

    let mut agg = c.agg(Principal::Aggregator).await;
    let t = Instant::now();
    let mut s = agg
        .list_at_risk_households(req("420625", 0, ""))
        .await
        .unwrap()
        .into_inner();
    let mut first = None;
    let (mut msgs, mut listed) = (0, 0);
    while let Some(m) = s.message().await.unwrap() {
        first.get_or_insert(t.elapsed());
        msgs += 1;
        listed += m.households.len();
    }
    let took = t.elapsed();
    assert_eq!(listed, total / 10);
    eprintln!(
        "walked {villages} villages / {total} households: {listed} at risk in {msgs} messages; first message after {:?}, all after {took:?} ({:.0} households/s)",
        first.unwrap(),
        total as f64 / took.as_secs_f64()
    );
    c.stop().await;
}

//! `xiaokang bench services`: the four guarantee services (education, health, housing,
//! water) loaded with a county of the demo's size (DOMAIN.md §1) through their real gRPC
//! import RPCs, then asked for the county's summary by township.
//!
//! For each service, in turn, on a fresh database:
//! - Import: the client-streaming import RPC in batches of 2,000, timed end to end
//!   (rows/s). Education also imports a further 10,000 students, so its rate is not
//!   dominated by fixed costs; health also settles hospital cases one after the other
//!   and at concurrency 8 on distinct people (SettleCase/s).
//! - Summary: `SummarizeByRegion("420625", township)` called `--summary-calls` times one
//!   after the other (after a short warm-up), with p50/p99/max latency.
//!
//! The datasets are the integration tests' seed generators (tests/*.rs), deterministic.

use std::future::Future;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{Days, Months, NaiveDate};
use hdrhistogram::Histogram;
use tokio::net::TcpListener;
use tonic::codegen::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::types::ResidentId;
use xk_runtime::{HostedService, Principal, ServeSettings, ServiceSpec};

use crate::testing::{Bearer, TestDatabase, TestDb, test_tokens};

/// The county every summary is asked for (谷城县).
const COUNTY: &str = "420625";
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
/// The services this benchmark knows, in the order it runs them.
const SERVICES: [&str; 4] = ["education", "health", "housing", "water"];
/// Summary calls made (and not counted) before the timed ones.
const WARM_UP_CALLS: u32 = 5;
/// gRPC message size allowed both ways on the benchmark's clients.
const MAX_MESSAGE: usize = 64 << 20;

/// Options of the services benchmark.
#[derive(Debug, clap::Args)]
pub struct ServicesBenchArgs {
    /// `sqlite` (default) or `postgres` (uses XK_TEST_PG_URL, default the local server).
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Timed SummarizeByRegion calls per service, made one after the other.
    #[arg(long, default_value_t = 200)]
    pub summary_calls: u32,
    /// Rows per import batch.
    #[arg(long, default_value_t = 2_000)]
    pub batch: usize,
    /// Health: SettleCase calls in each of the sequential and the concurrent run.
    #[arg(long, default_value_t = 2_000)]
    pub settle_cases: u32,
    /// Education: students in the larger, second import.
    #[arg(long, default_value_t = 10_000)]
    pub large_students: u32,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Only this service (education, health, housing or water).
    #[arg(long)]
    pub only: Option<String>,
}

/// Latency of the timed summary calls, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Summary {
    /// Calls timed.
    pub(super) calls: u64,
    /// Median.
    pub(super) p50_ms: f64,
    /// 99th percentile.
    pub(super) p99_ms: f64,
    /// Slowest call.
    pub(super) max_ms: f64,
}

impl Summary {
    fn from_hist(h: &Histogram<u64>) -> Summary {
        Summary {
            calls: h.len(),
            p50_ms: h.value_at_quantile(0.5) as f64 / 1000.0,
            p99_ms: h.value_at_quantile(0.99) as f64 / 1000.0,
            max_ms: h.max() as f64 / 1000.0,
        }
    }
}

/// SettleCase throughput of the health service.
#[derive(Debug, Clone, Copy)]
struct Settle {
    /// Cases settled in each run.
    cases: u32,
    /// Cases per second, one call at a time.
    sequential_per_s: f64,
    /// Cases per second, 8 calls in flight on distinct people.
    concurrent8_per_s: f64,
}

/// One measured import (and what was measured on the database it filled).
#[derive(Debug, Clone)]
struct Row {
    /// Service name.
    service: &'static str,
    /// What a row is (students, people, households, assessments).
    unit: &'static str,
    /// Rows imported.
    rows: u64,
    /// Seconds the import took.
    seconds: f64,
    /// SummarizeByRegion latency on the county-sized data, if measured after this import.
    summary: Option<Summary>,
    /// SettleCase throughput (health only).
    settle: Option<Settle>,
}

impl Row {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.seconds
    }

    fn json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "service": self.service,
            "unit": self.unit,
            "rows": self.rows,
            "seconds": self.seconds,
            "rows_per_s": self.rate(),
        });
        if let Some(s) = self.summary {
            v["summary_calls"] = s.calls.into();
            v["summary_p50_ms"] = s.p50_ms.into();
            v["summary_p99_ms"] = s.p99_ms.into();
            v["summary_max_ms"] = s.max_ms.into();
        }
        if let Some(s) = self.settle {
            v["settle_cases"] = s.cases.into();
            v["settle_sequential_per_s"] = s.sequential_per_s.into();
            v["settle_concurrency8_per_s"] = s.concurrent8_per_s.into();
        }
        v
    }
}

/// A service hosted on port 0 over its own fresh database.
struct Running {
    /// The server.
    hosted: HostedService,
    /// Its database, dropped after the server stops.
    db: TestDatabase,
    /// A connection to it.
    channel: Channel,
    /// The owning bureau's token.
    bearer: Bearer,
}

impl Running {
    async fn start(spec: ServiceSpec, kind: TestDb) -> anyhow::Result<Running> {
        let db = TestDatabase::create_as(kind, &format!("bench_{}", spec.name)).await?;
        let (table, tokens) = test_tokens();
        let settings = ServeSettings {
            concurrency_limit: 1024,
            max_message_bytes: MAX_MESSAGE,
            ..ServeSettings::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let hosted = crate::suite::host(spec, &db.url, &settings, table, listener).await?;
        let url = hosted.url();
        xk_runtime::server::wait_until_serving(&url, spec.grpc_name, Duration::from_secs(10))
            .await?;
        let owner = spec
            .owner
            .ok_or_else(|| anyhow::anyhow!("{} has no owning bureau", spec.name))?;
        let token = tokens
            .get(&Principal::Bureau(owner))
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no test token for {}", spec.name))?;
        let channel = Endpoint::from_shared(url)?
            .tcp_nodelay(true)
            .connect()
            .await?;
        Ok(Running {
            hosted,
            db,
            channel,
            bearer: Bearer(Some(token)),
        })
    }

    fn intercepted(&self) -> InterceptedService<Channel, Bearer> {
        InterceptedService::new(self.channel.clone(), self.bearer.clone())
    }

    async fn stop(self) -> anyhow::Result<()> {
        drop(self.channel);
        self.hosted.shutdown().await?;
        self.db.drop_now().await
    }
}

/// Makes `WARM_UP_CALLS` untimed calls, then `n` timed ones, one after the other.
pub(super) async fn time_calls<F, Fut>(n: u32, call: F) -> anyhow::Result<Summary>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), tonic::Status>>,
{
    for _ in 0..WARM_UP_CALLS {
        call().await?;
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for _ in 0..n {
        let started = Instant::now();
        call().await?;
        hist.record(started.elapsed().as_micros().clamp(1, 60_000_000) as u64)?;
    }
    Ok(Summary::from_hist(&hist))
}

fn date(year: i32, month: i32, day: i32) -> Date {
    Date { year, month, day }
}

/// Batches of `batch` items, each with its own request id.
fn batches<T: Clone, R>(
    items: &[T],
    batch: usize,
    prefix: &str,
    make: impl Fn(String, Vec<T>) -> R,
) -> Vec<R> {
    items
        .chunks(batch.max(1))
        .enumerate()
        .map(|(i, c)| make(format!("{prefix}-{i}"), c.to_vec()))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Education (tests/education.rs): 97 taught at home, 5 placed nearby, 1,088 outside the
// county, 230 incoming; then a larger import.

mod education {
    use super::*;
    use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
    use xk_contracts::pb::education::v1::*;

    /// Villages the seed students live in.
    const VILLAGES: [&str; 6] = [
        "420625100201",
        "420625101203",
        "420625102205",
        "420625104210",
        "420625108220",
        "420625200230",
    ];

    /// The age cut-off of the current school year, as the service computes it.
    fn cutoff() -> NaiveDate {
        let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
        let policy = xk_education::policy::built_in_on(today)
            .expect("the built-in policy book covers every day since its 2013 school year");
        xk_education::domain::scope::school_year(today, policy).cutoff
    }

    /// A distinct resident id for child `n` (n < 640,000), `age` at the cut-off.
    fn child_id(cutoff: NaiveDate, address: &str, n: u32, age: u32) -> String {
        let birth = cutoff
            .checked_sub_months(Months::new(12 * age))
            .and_then(|d| d.checked_sub_days(Days::new(u64::from(1 + n / 800))))
            .unwrap_or(cutoff);
        ResidentId::build(address, birth, (100 + n % 800) as u16)
            .as_str()
            .to_string()
    }

    fn student(cutoff: NaiveDate, n: u32, status: StudentStatus) -> Student {
        Student {
            resident_id: child_id(cutoff, "420625", n, 10),
            household_id: format!("HH{n:06}"),
            village_code: VILLAGES[n as usize % VILLAGES.len()].into(),
            school: "谷城县实验小学".into(),
            grade: 4,
            status: status as i32,
            ..Default::default()
        }
    }

    /// The county's 1,420 students (ids 0..1190 plus 230 incoming).
    fn county(cutoff: NaiveDate) -> Vec<Student> {
        let mut all: Vec<Student> = (0..97)
            .map(|n| {
                let mut s = student(cutoff, n, StudentStatus::HomeTeaching);
                s.school.clear();
                s
            })
            .collect();
        all.extend((97..102).map(|n| student(cutoff, n, StudentStatus::InCounty)));
        all.extend((102..1190).map(|n| {
            let st = if n % 7 == 0 {
                StudentStatus::OutsideProvince
            } else {
                StudentStatus::OutsideCounty
            };
            student(cutoff, n, st)
        }));
        all.extend((0..230).map(|n| {
            let mut s = student(cutoff, n, StudentStatus::InCounty);
            s.resident_id = child_id(cutoff, "420606", n, 7 + n % 8);
            s.household_id = format!("XC{n:06}");
            s.incoming = true;
            s.grade = (1 + n % 9) as i32;
            s.boarding = n % 2 == 0;
            s
        }));
        all
    }

    /// `count` more students, ids from 2,000 up (distinct from the county's).
    fn larger(cutoff: NaiveDate, count: u32) -> Vec<Student> {
        (2_000..2_000 + count)
            .map(|n| {
                let st = match n % 5 {
                    0 => StudentStatus::OutsideCounty,
                    1 => StudentStatus::OutsideProvince,
                    _ => StudentStatus::InCounty,
                };
                student(cutoff, n, st)
            })
            .collect()
    }

    pub async fn run(kind: TestDb, args: &ServicesBenchArgs) -> anyhow::Result<Vec<Row>> {
        let svc = Running::start(xk_education::SPEC, kind).await?;
        let mut c = EducationServiceClient::new(svc.intercepted())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let cutoff = cutoff();
        let make = |request_id, students| ImportStudentsRequest {
            request_id,
            students,
        };

        let seed = county(cutoff);
        let reqs = batches(&seed, args.batch, "county", make);
        let started = Instant::now();
        let r = c
            .import_students(futures::stream::iter(reqs))
            .await?
            .into_inner();
        let seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            r.students_imported as usize == seed.len(),
            "education imported {} of {} students",
            r.students_imported,
            seed.len()
        );
        let cc = c.clone();
        let summary = time_calls(args.summary_calls, || {
            let mut c = cc.clone();
            async move {
                c.summarize_by_region(SummarizeByRegionRequest {
                    region_prefix: COUNTY.into(),
                    group_by: RegionLevel::Township as i32,
                    ..Default::default()
                })
                .await
                .map(|_| ())
            }
        })
        .await?;
        let mut rows = vec![Row {
            service: "education",
            unit: "students",
            rows: seed.len() as u64,
            seconds,
            summary: Some(summary),
            settle: None,
        }];

        if args.large_students > 0 {
            let more = larger(cutoff, args.large_students);
            let reqs = batches(&more, args.batch, "large", make);
            let started = Instant::now();
            let r = c
                .import_students(futures::stream::iter(reqs))
                .await?
                .into_inner();
            let seconds = started.elapsed().as_secs_f64();
            anyhow::ensure!(
                r.students_imported as usize == more.len(),
                "education imported {} of {} students",
                r.students_imported,
                more.len()
            );
            rows.push(Row {
                service: "education",
                unit: "students",
                rows: more.len() as u64,
                seconds,
                summary: None,
                settle: None,
            });
        }
        svc.stop().await?;
        Ok(rows)
    }
}

// ---------------------------------------------------------------------------------------
// Health (tests/health.rs): 49,494 insured people, 18 designated institutions, hospital
// cases settled one at a time and 8 at a time.

mod health {
    use super::*;
    use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
    use xk_contracts::pb::health::v1::*;

    /// The coverage year of the published figures.
    const YEAR: i32 = 2019;
    /// Insured people (published).
    const INSURED: u32 = 49_494;
    /// Designated institutions, all one-stop (published).
    const INSTITUTIONS: u32 = 18;

    /// A distinct valid resident id for person `n` (n < 200,000).
    fn person_id(n: u32) -> String {
        let base = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default();
        let birth = base + chrono::Duration::days(i64::from(n % 20_000));
        ResidentId::build("420625", birth, 100 + (n / 20_000) as u16)
            .as_str()
            .to_string()
    }

    fn enrolment(n: u32) -> Enrolment {
        Enrolment {
            resident_id: person_id(n),
            household_id: format!("HH{:06}", n / 3),
            village_code: format!("{}{:03}", TOWNSHIPS[(n % 11) as usize], 200 + (n / 11) % 20),
            coverage_year: YEAR,
            registered_poor: true,
            ..Default::default()
        }
    }

    /// Case `k` of person `n`: a five-day stay in one of the designated institutions.
    fn hospital_case(n: u32, k: u32) -> SettleCaseRequest {
        let admission = NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap_or_default()
            + chrono::Duration::days(i64::from(k % 300));
        let discharge = admission + chrono::Duration::days(5);
        let total = 20_000 + i64::from(k.wrapping_mul(7_919) % 6_000_000);
        SettleCaseRequest {
            request_id: format!("case-{n}-{k}"),
            hospital_case: Some(HospitalCase {
                resident_id: person_id(n),
                institution_code: format!("DI{:02}", k % INSTITUTIONS),
                admission_date: Some(xk_contracts::convert::date_to_pb(admission)),
                discharge_date: Some(xk_contracts::convert::date_to_pb(discharge)),
                total_fen: total,
                out_of_policy_fen: total * i64::from(k % 15) / 100,
                chronic_outpatient: false,
                bill_number: format!("B-{n}-{k}"),
            }),
        }
    }

    pub async fn run(kind: TestDb, args: &ServicesBenchArgs) -> anyhow::Result<Vec<Row>> {
        use futures::StreamExt;

        let svc = Running::start(xk_health::SPEC, kind).await?;
        let mut c = HealthInsuranceServiceClient::new(svc.intercepted())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);

        let people: Vec<Enrolment> = (0..INSURED).map(enrolment).collect();
        let reqs = batches(&people, args.batch, "seed", |request_id, enrolments| {
            ImportEnrolmentsRequest {
                request_id,
                enrolments,
            }
        });
        let started = Instant::now();
        let r = c
            .import_enrolments(futures::stream::iter(reqs))
            .await?
            .into_inner();
        let seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            r.enrolments_imported == i64::from(INSURED),
            "health imported {} of {INSURED} enrolments",
            r.enrolments_imported
        );

        for k in 0..INSTITUTIONS {
            let level = if k < 3 {
                InstitutionLevel::County
            } else {
                InstitutionLevel::Township
            };
            let code = format!("DI{k:02}");
            c.upsert_institution(UpsertInstitutionRequest {
                request_id: format!("inst-{code}"),
                institution: Some(Institution {
                    name: format!("医院{code}"),
                    code,
                    level: level as i32,
                    in_county: true,
                    one_stop: true,
                    treat_first_pay_later: true,
                }),
            })
            .await?;
        }

        // Sequential: people 0, 3, 6, …; concurrent: people from 25,000 up, one case each.
        let cases = args.settle_cases.min(INSURED / 6);
        let started = Instant::now();
        for k in 0..cases {
            c.settle_case(hospital_case(k * 3, k)).await?;
        }
        let sequential_per_s = f64::from(cases) / started.elapsed().as_secs_f64();
        let started = Instant::now();
        let results: Vec<Result<(), tonic::Status>> = futures::stream::iter(0..cases)
            .map(|k| {
                let mut c = c.clone();
                async move {
                    c.settle_case(hospital_case(25_000 + k, k))
                        .await
                        .map(|_| ())
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let concurrent8_per_s = f64::from(cases) / started.elapsed().as_secs_f64();
        for r in results {
            r?;
        }

        let cc = c.clone();
        let summary = time_calls(args.summary_calls, || {
            let mut c = cc.clone();
            async move {
                c.summarize_by_region(SummarizeByRegionRequest {
                    region_prefix: COUNTY.into(),
                    group_by: RegionLevel::Township as i32,
                    coverage_year: YEAR,
                    latest_enrolled_year: false,
                })
                .await
                .map(|_| ())
            }
        })
        .await?;
        svc.stop().await?;
        Ok(vec![Row {
            service: "health",
            unit: "people",
            rows: u64::from(INSURED),
            seconds,
            summary: Some(summary),
            settle: Some(Settle {
                cases,
                sequential_per_s,
                concurrent8_per_s,
            }),
        }])
    }
}

// ---------------------------------------------------------------------------------------
// Housing (tests/housing.rs): 4,013 relocated households / 7,734 people, all moved in,
// old houses demolished, 1,800 mu reclaimed.

mod housing {
    use super::*;
    use xk_contracts::pb::housing::v1::housing_service_client::HousingServiceClient;
    use xk_contracts::pb::housing::v1::*;

    /// Relocated households (published).
    const HOUSEHOLDS: u32 = 4_013;
    /// Relocated people (published).
    const PEOPLE: i64 = 7_734;
    /// The centralized site every household moved to.
    const CENTRAL: &str = "S-CT";

    /// Household `n`: built, accepted, moved in, demolished, land reclaimed, supported.
    fn done(n: u32, village: String, members: i32, reclaimed: i64) -> Relocation {
        Relocation {
            household_id: format!("HH{n:06}"),
            origin_village_code: village,
            site_id: CENTRAL.into(),
            batch_year: 2017,
            members,
            labour_members: 1,
            employed_members: 1,
            housing: Some(Housing {
                area_centi_m2: i64::from(members) * 2_000,
                over_area_reason: String::new(),
                build_cost_fen: 10_000_000,
                subsidy_fen: 9_000_000,
                self_raised_fen: 800_000,
                other_funds_fen: 200_000,
                debt_fen: 300_000,
            }),
            milestones: Some(Milestones {
                construction_start: Some(date(2017, 3, 1)),
                completion: Some(date(2017, 12, 1)),
                acceptance: Some(date(2018, 1, 10)),
                key_handover: Some(date(2018, 2, 1)),
                moved_in: Some(date(2018, 2, 15)),
                demolished: Some(date(2018, 6, 1)),
                reclamation_accepted: Some(date(2018, 9, 1)),
            }),
            old_house: Some(OldHouse {
                demolition_exempt_reason: String::new(),
                reclaimed_centi_mu: reclaimed,
                land_type: LandType::Cultivated as i32,
            }),
            support: vec![SupportMeasure {
                kind: SupportMeasureKind::Workshop as i32,
                started_on: Some(date(2018, 3, 1)),
                ended_on: None,
            }],
            ..Default::default()
        }
    }

    fn county() -> Vec<Relocation> {
        // 3,721 two-person households and 292 single ones; 45 × 0.01 mu for the first
        // households and 44 for the rest make 1,800 mu.
        let two_person = (PEOPLE - i64::from(HOUSEHOLDS)) as u32;
        let big_plots = (180_000 - 44 * i64::from(HOUSEHOLDS)) as u32;
        (0..HOUSEHOLDS)
            .map(|n| {
                let village = format!("{}{:03}", TOWNSHIPS[n as usize % 11], 200 + n % 7);
                let members = if n < two_person { 2 } else { 1 };
                let reclaimed = if n < big_plots { 45 } else { 44 };
                done(n, village, members, reclaimed)
            })
            .collect()
    }

    pub async fn run(kind: TestDb, args: &ServicesBenchArgs) -> anyhow::Result<Vec<Row>> {
        let svc = Running::start(xk_housing::SPEC, kind).await?;
        let mut c = HousingServiceClient::new(svc.intercepted())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        c.create_site(CreateSiteRequest {
            request_id: format!("site-{CENTRAL}"),
            site: Some(Site {
                site_id: CENTRAL.into(),
                name: "县城集中安置点".into(),
                village_code: "420625100001".into(),
                r#type: SiteType::CentralizedCountyTown as i32,
                etag: String::new(),
            }),
        })
        .await?;

        let seed = county();
        let reqs = batches(&seed, args.batch, "seed", |request_id, relocations| {
            ImportRelocationsRequest {
                request_id,
                relocations,
            }
        });
        let started = Instant::now();
        let r = c
            .import_relocations(futures::stream::iter(reqs))
            .await?
            .into_inner();
        let seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            (r.households_imported, r.people_imported) == (i64::from(HOUSEHOLDS), PEOPLE),
            "housing imported {} households / {} people",
            r.households_imported,
            r.people_imported
        );

        let cc = c.clone();
        let summary = time_calls(args.summary_calls, || {
            let mut c = cc.clone();
            async move {
                c.summarize_by_region(SummarizeByRegionRequest {
                    region_prefix: COUNTY.into(),
                    group_by: RegionLevel::Township as i32,
                })
                .await
                .map(|_| ())
            }
        })
        .await?;
        svc.stop().await?;
        Ok(vec![Row {
            service: "housing",
            unit: "households",
            rows: u64::from(HOUSEHOLDS),
            seconds,
            summary: Some(summary),
            settle: None,
        }])
    }
}

// ---------------------------------------------------------------------------------------
// Water (tests/water.rs): 19,139 households / 49,494 people assessed, one in three 基本安全,
// one in ten with a later dry-season check.

mod water {
    use super::*;
    use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
    use xk_contracts::pb::water::v1::*;

    /// Households assessed (published).
    const HOUSEHOLDS: u32 = 19_139;
    /// Households of three; the rest are of two, which makes 49,494 people.
    const OF_THREE: u32 = 11_216;

    /// A 安全 assessment: centralized scheme, lab report meeting GB 5749, piped in.
    fn safe(household: &str, village: &str, people: i32, scheme_id: &str, on: Date) -> Assessment {
        Assessment {
            household_id: household.into(),
            village_code: village.into(),
            people,
            supply: Some(Supply {
                kind: Some(supply::Kind::Centralized(CentralizedSupply {
                    scheme_id: scheme_id.into(),
                })),
            }),
            litres_per_person_day: Some(60),
            quality: Some(QualityEvidence {
                evidence: Some(quality_evidence::Evidence::LabReport(LabReport {
                    report_no: "SZ-2019-0413".into(),
                    lab: "谷城县疾控中心".into(),
                    date: Some(date(2019, 4, 13)),
                    meets_gb5749: true,
                })),
            }),
            piped_in: true,
            fetch_round_trip_minutes: None,
            horizontal_distance_m: None,
            vertical_distance_m: None,
            outage_days_last_12_months: Some(18),
            area: 0,
            assessor: "水利局-007".into(),
            assessed_on: Some(on),
            seasonal_check: false,
            seq: 0,
            grading: None,
        }
    }

    /// A 基本安全 assessment: a scattered well, on-site check passed, 35 L.
    fn basic(household: &str, village: &str, people: i32, on: Date) -> Assessment {
        Assessment {
            supply: Some(Supply {
                kind: Some(supply::Kind::Scattered(ScatteredSupply {
                    kind: ScatteredSourceKind::Well as i32,
                })),
            }),
            litres_per_person_day: Some(35),
            quality: Some(QualityEvidence {
                evidence: Some(quality_evidence::Evidence::OnSiteCheck(OnSiteCheck {
                    no_visible_impurity_colour_smell: true,
                    no_harm_long_use: true,
                })),
            }),
            piped_in: false,
            fetch_round_trip_minutes: Some(20),
            horizontal_distance_m: Some(1500),
            vertical_distance_m: Some(120),
            outage_days_last_12_months: Some(36),
            ..safe(household, village, people, "", on)
        }
    }

    /// The county's assessments and the people they cover.
    fn county() -> (Vec<Assessment>, i64) {
        let mut all = Vec::new();
        let mut people_total = 0i64;
        for n in 0..HOUSEHOLDS {
            let t = TOWNSHIPS[(n % 11) as usize];
            let village = format!("{t}{:03}", 201 + (n / 11) % 30);
            let people = if n < OF_THREE { 3 } else { 2 };
            people_total += i64::from(people);
            let id = format!("HH{n:06}");
            let make = |on: Date| {
                if n % 3 == 0 {
                    basic(&id, &village, people, on)
                } else {
                    safe(&id, &village, people, &format!("GC-{t}"), on)
                }
            };
            all.push(make(date(2019, 6, 1)));
            if n % 10 == 0 {
                let mut dry = make(date(2019, 8, 15));
                dry.seasonal_check = true;
                all.push(dry);
            }
        }
        (all, people_total)
    }

    pub async fn run(kind: TestDb, args: &ServicesBenchArgs) -> anyhow::Result<Vec<Row>> {
        let svc = Running::start(xk_water::SPEC, kind).await?;
        let mut c = WaterServiceClient::new(svc.intercepted())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        for t in TOWNSHIPS {
            let id = format!("GC-{t}");
            c.create_scheme(CreateSchemeRequest {
                request_id: format!("scheme-{id}"),
                scheme: Some(Scheme {
                    scheme_id: id,
                    name: "集中供水工程".into(),
                    capacity_m3_per_day: 5000,
                    people_served: 20000,
                    village_codes: vec![format!("{t}201")],
                    etag: String::new(),
                }),
            })
            .await?;
        }

        let (seed, people) = county();
        let reqs = batches(&seed, args.batch, "seed", |request_id, assessments| {
            ImportAssessmentsRequest {
                request_id,
                assessments,
            }
        });
        let started = Instant::now();
        let r = c
            .import_assessments(futures::stream::iter(reqs))
            .await?
            .into_inner();
        let seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            r.assessments_imported as usize == seed.len(),
            "water imported {} of {} assessments",
            r.assessments_imported,
            seed.len()
        );

        let cc = c.clone();
        let check = c
            .summarize_by_region(SummarizeByRegionRequest {
                region_prefix: COUNTY.into(),
                group_by: RegionLevel::Township as i32,
            })
            .await?
            .into_inner();
        let got = check.total.map(|t| (t.households, t.people));
        anyhow::ensure!(
            got == Some((i64::from(HOUSEHOLDS), people)),
            "water summary {got:?}, expected {HOUSEHOLDS} households / {people} people"
        );
        let summary = time_calls(args.summary_calls, || {
            let mut c = cc.clone();
            async move {
                c.summarize_by_region(SummarizeByRegionRequest {
                    region_prefix: COUNTY.into(),
                    group_by: RegionLevel::Township as i32,
                })
                .await
                .map(|_| ())
            }
        })
        .await?;
        svc.stop().await?;
        Ok(vec![Row {
            service: "water",
            unit: "assessments",
            rows: seed.len() as u64,
            seconds,
            summary: Some(summary),
            settle: None,
        }])
    }
}

/// Runs the benchmark and prints the figures.
pub async fn run(args: ServicesBenchArgs) -> anyhow::Result<ExitCode> {
    let (kind, db_kind) = match args.database.as_str() {
        "sqlite" => ("sqlite", TestDb::Sqlite),
        "postgres" | "postgresql" => ("postgres", TestDb::Postgres),
        other => anyhow::bail!("--database must be sqlite or postgres, got {other}"),
    };
    if let Some(only) = &args.only {
        anyhow::ensure!(
            SERVICES.contains(&only.as_str()),
            "--only must be one of {}, got {only}",
            SERVICES.join(", ")
        );
    }
    let build = if cfg!(debug_assertions) {
        "DEBUG (use --release for real figures)"
    } else {
        "release"
    };
    eprintln!("database: {kind}; build: {build}");

    let mut rows = Vec::new();
    for name in SERVICES {
        if args.only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        eprintln!("{name} …");
        rows.extend(match name {
            "education" => education::run(db_kind, &args).await?,
            "health" => health::run(db_kind, &args).await?,
            "housing" => housing::run(db_kind, &args).await?,
            _ => water::run(db_kind, &args).await?,
        });
    }

    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "database": kind,
                "build": if cfg!(debug_assertions) { "debug" } else { "release" },
                "batch": args.batch,
                "summary_region": COUNTY,
                "summary_group_by": "township",
                "services": rows.iter().map(Row::json).collect::<Vec<_>>(),
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "database {kind}, build {build}, batches of {}, SummarizeByRegion({COUNTY}, township) x {} sequential",
        args.batch, args.summary_calls
    );
    println!(
        "{:<10} {:>8} {:<12} {:>8} {:>10} {:>9} {:>9} {:>9}",
        "service", "rows", "unit", "seconds", "rows/s", "p50 ms", "p99 ms", "max ms"
    );
    for r in &rows {
        let (p50, p99, max) = match r.summary {
            Some(s) => (
                format!("{:.3}", s.p50_ms),
                format!("{:.3}", s.p99_ms),
                format!("{:.3}", s.max_ms),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        println!(
            "{:<10} {:>8} {:<12} {:>8.3} {:>10.0} {:>9} {:>9} {:>9}",
            r.service,
            r.rows,
            r.unit,
            r.seconds,
            r.rate(),
            p50,
            p99,
            max
        );
    }
    for r in &rows {
        if let Some(s) = r.settle {
            println!(
                "{:<10} SettleCase: {:.0} cases/s sequential, {:.0} cases/s at concurrency 8 ({} cases each, distinct people)",
                r.service, s.sequential_per_s, s.concurrent8_per_s, s.cases
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

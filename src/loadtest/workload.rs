//! The calls a load test makes and the data they work on.
//!
//! - [`Clients`]: one client per connection and service, each with the token of the
//!   principal that may make the call (writes: the owning bureau; reads: the aggregator's
//!   token, or a bureau's).
//! - [`Fixture`]: what the warm-up planted (households whose ids start with the run id,
//!   their members enrolled in health insurance, a designated institution, home-taught
//!   students) and existing household ids sampled from the target, so every call of the
//!   timed phase has a valid target.
//! - [`Workload::call`]: one call of an operation, with a fresh request id for writes,
//!   returning its gRPC status code.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use tonic::codegen::InterceptedService;
use xk_aggregator::balance::BalancedChannel;
use xk_aggregator::resolve::ResolveSettings;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::{GetHouseholdFileRequest, GetSummaryRequest};
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_contracts::pb::{
    education::v1 as edu, health::v1 as hl, registry::v1 as reg, water::v1 as wt,
};
use xk_contracts::types::ResidentId;
use xk_runtime::{Bureau, Principal};

use super::mix::{Mix, Op};
use super::stats::Outcome;
use crate::client::{Bearer, SuiteAddrs};

/// A channel (balanced over every address of the target's host name) that carries a
/// principal's bearer token.
type Authed = InterceptedService<BalancedChannel, Bearer>;

/// How long a load-test call waits for a TCP/HTTP2 connection to one address.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The county the load test's data lives in (谷城县).
const COUNTY: &str = "420625";
/// Townships the planted households are spread over.
const TOWNSHIPS: [&str; 11] = [
    "100", "101", "102", "103", "104", "105", "106", "107", "108", "200", "500",
];
/// The year settlements, incomes, summaries and files refer to (a year every service's
/// built-in policy covers).
const YEAR: i32 = 2019;
/// Members per planted household (head and one child).
const MEMBERS: u32 = 2;
/// New households per import call (a small batch, as a bureau's daily sync sends).
const IMPORT_BATCH: u64 = 2;
/// Households per warm-up import batch.
const WARM_UP_BATCH: usize = 200;
/// Existing households sampled from the target (one ListHouseholds page).
const SAMPLE_EXISTING: i32 = 200;
/// Home-taught students planted (education RecordVisit targets).
const STUDENTS: u32 = 20;
/// Largest gRPC message either way (warm-up batches).
const MAX_MESSAGE: usize = 16 << 20;

/// Whose token each kind of call carries.
fn token(tokens: &HashMap<Principal, String>, prefer: &[Principal]) -> anyhow::Result<Bearer> {
    prefer
        .iter()
        .find_map(|p| tokens.get(p))
        .map(|t| Bearer(Some(t.clone())))
        .with_context(|| {
            format!(
                "no token for {} (tokens file or XK_TOKEN_<PRINCIPAL>)",
                prefer
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        })
}

/// The clients of every service the mix needs; one per connection.
#[derive(Clone, Default)]
pub struct Clients {
    /// Registry reads (aggregator's token, else the poverty office's).
    registry_read: Vec<RegistryServiceClient<Authed>>,
    /// Registry writes (the poverty office's token).
    registry_write: Vec<RegistryServiceClient<Authed>>,
    /// Aggregator reads (its own token).
    aggregator: Vec<AggregatorServiceClient<Authed>>,
    /// Health writes (the medical-security bureau's token).
    health: Vec<HealthInsuranceServiceClient<Authed>>,
    /// Water writes (the water-resources bureau's token).
    water: Vec<WaterServiceClient<Authed>>,
    /// Education writes (the education bureau's token).
    education: Vec<EducationServiceClient<Authed>>,
}

impl Clients {
    /// Connects lazily to every service the mix (and its warm-up) needs; each target's
    /// host name is re-resolved as `resolve` says and calls spread over its addresses.
    pub fn connect(
        addrs: &SuiteAddrs,
        tokens: &HashMap<Principal, String>,
        mix: &Mix,
        connections: usize,
        resolve: &ResolveSettings,
    ) -> anyhow::Result<Clients> {
        use Principal::{Admin, Aggregator, Bureau as B};
        let needs = |ops: &[Op]| ops.iter().any(|o| mix.has(*o));
        let chans = |name: &str| -> anyhow::Result<Vec<BalancedChannel>> {
            let url = addrs
                .url(name)
                .with_context(|| format!("the mix calls {name}: give --target {name}=URL"))?;
            (0..connections.max(1))
                .map(|_| {
                    BalancedChannel::new(name, &[url.to_string()], CONNECT_TIMEOUT, None, resolve)
                })
                .collect()
        };
        let mut c = Clients::default();
        // Every mix plants households in the registry during warm-up.
        let office = token(tokens, &[B(Bureau::PovertyOffice), Admin])?;
        let reader = token(tokens, &[Aggregator, B(Bureau::PovertyOffice), Admin])?;
        for ch in chans("registry")? {
            c.registry_write.push(
                RegistryServiceClient::with_interceptor(ch.clone(), office.clone())
                    .max_encoding_message_size(MAX_MESSAGE)
                    .max_decoding_message_size(MAX_MESSAGE),
            );
            c.registry_read.push(
                RegistryServiceClient::with_interceptor(ch, reader.clone())
                    .max_decoding_message_size(MAX_MESSAGE),
            );
        }
        if needs(&[Op::Summary, Op::File]) {
            let t = token(tokens, &[Aggregator, Admin])?;
            for ch in chans("aggregator")? {
                c.aggregator
                    .push(AggregatorServiceClient::with_interceptor(ch, t.clone()));
            }
        }
        if needs(&[Op::Settle]) {
            let t = token(tokens, &[B(Bureau::MedicalSecurity), Admin])?;
            for ch in chans("health")? {
                c.health.push(
                    HealthInsuranceServiceClient::with_interceptor(ch, t.clone())
                        .max_encoding_message_size(MAX_MESSAGE),
                );
            }
        }
        if needs(&[Op::Assess]) {
            let t = token(tokens, &[B(Bureau::WaterResources), Admin])?;
            for ch in chans("water")? {
                c.water
                    .push(WaterServiceClient::with_interceptor(ch, t.clone()));
            }
        }
        if needs(&[Op::Visit]) {
            let t = token(tokens, &[B(Bureau::Education), Admin])?;
            for ch in chans("education")? {
                c.education.push(
                    EducationServiceClient::with_interceptor(ch, t.clone())
                        .max_encoding_message_size(MAX_MESSAGE),
                );
            }
        }
        Ok(c)
    }
}

/// Picks the `n`th element, round robin (None when empty).
fn nth<T: Clone>(v: &[T], n: u64) -> Option<T> {
    (!v.is_empty()).then(|| v[(n % v.len() as u64) as usize].clone())
}

/// A household the warm-up planted.
#[derive(Debug, Clone)]
pub struct Planted {
    /// Its id (`LT<run>-<n>`).
    pub id: String,
    /// Its village.
    pub village: String,
    /// Its members' resident ids.
    pub residents: Vec<String>,
}

/// What the timed phase works on.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    /// This run's id (8 hex digits): prefixes every id and request id it creates.
    pub run_id: String,
    /// The address code of the resident ids this run makes (derived from the run id so
    /// runs against the same target do not collide).
    pub address: String,
    /// Households planted by the warm-up (targets of writes and reads).
    pub households: Vec<Planted>,
    /// Household ids that were already there (read targets only: a load test does not
    /// change a county's real records).
    pub existing: Vec<String>,
    /// Home-taught students planted (RecordVisit targets).
    pub students: Vec<String>,
    /// The designated institution planted for settlements.
    pub institution: String,
}

/// A resident id of this run: `slot` picks a birth date and sequence number; slots below
/// 1,000,000 are warm-up people, above are people of households imported later.
fn resident(address: &str, slot: u64) -> anyhow::Result<String> {
    let base = NaiveDate::from_ymd_opt(1930, 1, 1).context("base date")?;
    // 900 sequence numbers a day over ~75 years: 24 million distinct ids per run.
    let slot = slot % 24_000_000;
    let birth = base + chrono::Duration::days((slot / 900) as i64);
    let id = ResidentId::try_build(address, birth, (100 + slot % 900) as u16)
        .map_err(|e| anyhow::anyhow!("resident id: {e}"))?;
    Ok(id.as_str().to_string())
}

/// A planted household's data.
fn household(id: &str, village: &str, residents: &[String]) -> reg::Household {
    let members = residents
        .iter()
        .enumerate()
        .map(|(i, r)| reg::Member {
            resident_id: r.clone(),
            name: format!("压测{i}"),
            relation: if i == 0 {
                reg::Relation::Head
            } else {
                reg::Relation::Child
            } as i32,
            health: reg::HealthCondition::Healthy as i32,
            labour: reg::LabourCapacity::Full as i32,
            registered_year: 2014,
            removed_on: None,
            removal_reason: 0,
        })
        .collect();
    reg::Household {
        household_id: id.to_string(),
        village_code: village.to_string(),
        members,
        causes: vec![reg::PovertyCause::Illness as i32],
        status: reg::ArchiveStatus::Exited as i32,
        identified_year: 2014,
        exited_year: 2018,
        monitoring: None,
        incomes: vec![reg::Income {
            year: YEAR,
            per_capita_net_income_fen: 600_000,
        }],
        timeline: vec![],
        etag: String::new(),
    }
}

/// A village of the county for household `n`.
fn village(n: u64) -> String {
    format!(
        "{COUNTY}{}{:03}",
        TOWNSHIPS[(n % TOWNSHIPS.len() as u64) as usize],
        200 + (n / 11) % 26
    )
}

fn date(d: NaiveDate) -> Date {
    Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// Today in the county (UTC+8).
fn county_today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// Clients and planted data: everything a call needs.
#[derive(Clone)]
pub struct Workload {
    /// The clients.
    pub clients: Clients,
    /// The planted data.
    pub fixture: Fixture,
    /// Deadline of every call.
    pub timeout: Duration,
}

/// A call's outcome from its result.
fn code<T>(r: Result<T, tonic::Status>) -> Outcome {
    Outcome::status(match r {
        Ok(_) => tonic::Code::Ok,
        Err(s) => s.code(),
    })
}

/// An aggregator read's outcome: OK answers that are not complete are counted apart.
fn complete<T>(
    r: Result<tonic::Response<T>, tonic::Status>,
    is_complete: impl Fn(&T) -> bool,
) -> Outcome {
    match r {
        Ok(resp) => Outcome {
            code: tonic::Code::Ok,
            incomplete: !is_complete(resp.get_ref()),
        },
        Err(s) => Outcome::status(s.code()),
    }
}

impl Workload {
    /// Plants this run's data through the public RPCs and samples existing households.
    pub async fn warm_up(
        clients: Clients,
        mix: &Mix,
        households: u32,
        run_id: &str,
        timeout: Duration,
    ) -> anyhow::Result<Workload> {
        let n = u32::from_str_radix(run_id, 16).unwrap_or(0);
        let address = format!("{}", 110_000 + n % 700_000);
        let mut fx = Fixture {
            run_id: run_id.to_string(),
            address,
            institution: format!("LT{}", &run_id[..run_id.len().min(8)]),
            ..Fixture::default()
        };
        for h in 0..u64::from(households.max(1)) {
            let residents = (0..u64::from(MEMBERS))
                .map(|m| resident(&fx.address, h * 10 + m))
                .collect::<anyhow::Result<Vec<_>>>()?;
            fx.households.push(Planted {
                id: format!("LT{run_id}-{h}"),
                village: village(h),
                residents,
            });
        }
        let mut reg = nth(&clients.registry_write, 0).context("no registry client")?;
        let batches: Vec<reg::ImportHouseholdsRequest> = fx
            .households
            .chunks(WARM_UP_BATCH)
            .enumerate()
            .map(|(i, c)| reg::ImportHouseholdsRequest {
                request_id: format!("LT{run_id}-warm-{i}"),
                households: c
                    .iter()
                    .map(|p| household(&p.id, &p.village, &p.residents))
                    .collect(),
            })
            .collect();
        let r = reg
            .import_households(futures::stream::iter(batches))
            .await
            .context("warm-up: ImportHouseholds")?
            .into_inner();
        anyhow::ensure!(
            r.households_imported as usize == fx.households.len(),
            "warm-up imported {} of {} households",
            r.households_imported,
            fx.households.len()
        );

        // Existing households (e.g. a demo county): read targets too.
        if let Some(mut read) = nth(&clients.registry_read, 0) {
            let page = read
                .list_households(reg::ListHouseholdsRequest {
                    region_prefix: COUNTY.into(),
                    page_size: SAMPLE_EXISTING,
                    ..Default::default()
                })
                .await
                .context("warm-up: ListHouseholds")?
                .into_inner();
            fx.existing = page
                .households
                .into_iter()
                .map(|h| h.household_id)
                .filter(|id| !id.starts_with(&format!("LT{run_id}-")))
                .collect();
        }

        if mix.has(Op::Settle) {
            let mut c = nth(&clients.health, 0).context("no health client")?;
            c.upsert_institution(hl::UpsertInstitutionRequest {
                request_id: format!("LT{run_id}-inst"),
                institution: Some(hl::Institution {
                    code: fx.institution.clone(),
                    name: "压测定点医院".into(),
                    level: hl::InstitutionLevel::County as i32,
                    in_county: true,
                    one_stop: true,
                    treat_first_pay_later: true,
                }),
            })
            .await
            .context("warm-up: UpsertInstitution")?;
            let enrolments: Vec<hl::Enrolment> = fx
                .households
                .iter()
                .flat_map(|h| {
                    h.residents.iter().map(|r| hl::Enrolment {
                        resident_id: r.clone(),
                        household_id: h.id.clone(),
                        village_code: h.village.clone(),
                        coverage_year: YEAR,
                        registered_poor: true,
                        ..Default::default()
                    })
                })
                .collect();
            let reqs: Vec<hl::ImportEnrolmentsRequest> = enrolments
                .chunks(WARM_UP_BATCH * 2)
                .enumerate()
                .map(|(i, c)| hl::ImportEnrolmentsRequest {
                    request_id: format!("LT{run_id}-enrol-{i}"),
                    enrolments: c.to_vec(),
                })
                .collect();
            c.import_enrolments(futures::stream::iter(reqs))
                .await
                .context("warm-up: ImportEnrolments")?;
        }

        if mix.has(Op::Visit) {
            let mut c = nth(&clients.education, 0).context("no education client")?;
            let today = county_today();
            let policy = xk_education::policy::built_in_on(today)
                .context("warm-up: the education policy of today")?;
            let cutoff = xk_education::domain::scope::school_year(today, policy).cutoff;
            let mut students = Vec::new();
            for s in 0..STUDENTS {
                // Ten years old at the cut-off: compulsory-school age.
                let birth = cutoff
                    .checked_sub_months(chrono::Months::new(120))
                    .and_then(|d| d.checked_sub_days(chrono::Days::new(u64::from(1 + s))))
                    .context("student birth date")?;
                let id = ResidentId::try_build(&fx.address, birth, 950)
                    .map_err(|e| anyhow::anyhow!("student id: {e}"))?;
                let h = &fx.households[s as usize % fx.households.len()];
                students.push(edu::Student {
                    resident_id: id.as_str().to_string(),
                    household_id: h.id.clone(),
                    village_code: h.village.clone(),
                    grade: 4,
                    status: edu::StudentStatus::HomeTeaching as i32,
                    ..Default::default()
                });
            }
            fx.students = students.iter().map(|s| s.resident_id.clone()).collect();
            c.import_students(futures::stream::iter(vec![edu::ImportStudentsRequest {
                request_id: format!("LT{run_id}-students"),
                students,
            }]))
            .await
            .context("warm-up: ImportStudents")?;
        }
        Ok(Workload {
            clients,
            fixture: fx,
            timeout,
        })
    }

    /// A request with this run's deadline.
    fn req<T>(&self, msg: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(msg);
        r.set_timeout(self.timeout);
        r
    }

    /// The request id of write `seq`: unique per run and call.
    fn request_id(&self, op: Op, seq: u64) -> String {
        format!("LT{}-{}-{seq}", self.fixture.run_id, op.key())
    }

    /// A read target: planted and existing households alternate.
    fn read_target(&self, seq: u64) -> String {
        let fx = &self.fixture;
        if seq % 2 == 1 && !fx.existing.is_empty() {
            fx.existing[((seq / 2) % fx.existing.len() as u64) as usize].clone()
        } else {
            fx.households[(seq % fx.households.len().max(1) as u64) as usize]
                .id
                .clone()
        }
    }

    /// A planted household (write target).
    fn planted(&self, seq: u64) -> Option<&Planted> {
        let hs = &self.fixture.households;
        (!hs.is_empty()).then(|| &hs[(seq % hs.len() as u64) as usize])
    }

    /// Makes call `seq` of operation `op`; returns how it ended.
    pub async fn call(&self, op: Op, seq: u64) -> Outcome {
        let c = &self.clients;
        // A call the clients cannot make (no target for its service) counts as refused.
        let missing = Outcome::status(tonic::Code::FailedPrecondition);
        match op {
            Op::Get => {
                let Some(mut cl) = nth(&c.registry_read, seq) else {
                    return missing;
                };
                let r = self.req(reg::GetHouseholdRequest {
                    household_id: self.read_target(seq),
                });
                code(cl.get_household(r).await)
            }
            Op::List => {
                let Some(mut cl) = nth(&c.registry_read, seq) else {
                    return missing;
                };
                let t = TOWNSHIPS[(seq % TOWNSHIPS.len() as u64) as usize];
                let r = self.req(reg::ListHouseholdsRequest {
                    region_prefix: format!("{COUNTY}{t}"),
                    page_size: 20,
                    ..Default::default()
                });
                code(cl.list_households(r).await)
            }
            Op::Summary => {
                let Some(mut cl) = nth(&c.aggregator, seq) else {
                    return missing;
                };
                let r = self.req(GetSummaryRequest {
                    region_prefix: COUNTY.into(),
                    as_of: None,
                    year: YEAR,
                    group_by: RegionLevel::Township as i32,
                    latest_year_with_data: false,
                });
                complete(cl.get_summary(r).await, |s| {
                    s.summary.as_ref().is_some_and(|s| s.complete)
                })
            }
            Op::File => {
                let Some(mut cl) = nth(&c.aggregator, seq) else {
                    return missing;
                };
                let r = self.req(GetHouseholdFileRequest {
                    household_id: self.read_target(seq),
                    year: YEAR,
                });
                complete(cl.get_household_file(r).await, |f| {
                    f.file.as_ref().is_some_and(|f| f.complete)
                })
            }
            Op::Import => {
                let Some(mut cl) = nth(&c.registry_write, seq) else {
                    return missing;
                };
                let mut households = Vec::new();
                for k in 0..IMPORT_BATCH {
                    let slot = 1_000_000 + (seq * IMPORT_BATCH + k) * u64::from(MEMBERS);
                    let residents: Result<Vec<String>, _> = (0..u64::from(MEMBERS))
                        .map(|m| resident(&self.fixture.address, slot + m))
                        .collect();
                    let Ok(residents) = residents else {
                        return Outcome::status(tonic::Code::InvalidArgument);
                    };
                    let id = format!("LT{}-I{}", self.fixture.run_id, seq * IMPORT_BATCH + k);
                    households.push(household(&id, &village(seq + k), &residents));
                }
                let r = self.req(futures::stream::iter(vec![reg::ImportHouseholdsRequest {
                    request_id: self.request_id(op, seq),
                    households,
                }]));
                code(cl.import_households(r).await)
            }
            Op::Update => {
                let (Some(mut cl), Some(h)) = (nth(&c.registry_write, seq), self.planted(seq))
                else {
                    return missing;
                };
                let r = self.req(reg::RecordIncomeRequest {
                    request_id: self.request_id(op, seq),
                    household_id: h.id.clone(),
                    income: Some(reg::Income {
                        year: YEAR + (seq % 5) as i32,
                        per_capita_net_income_fen: 500_000 + (seq % 1_000) as i64 * 100,
                    }),
                });
                code(cl.record_income(r).await)
            }
            Op::Settle => {
                let (Some(mut cl), Some(h)) = (nth(&c.health, seq), self.planted(seq)) else {
                    return missing;
                };
                let person = &h.residents[(seq / 7 % h.residents.len() as u64) as usize];
                let admission = NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap_or_default()
                    + chrono::Duration::days((seq % 300) as i64);
                let total = 20_000 + (seq.wrapping_mul(7_919) % 2_000_000) as i64;
                let r = self.req(hl::SettleCaseRequest {
                    request_id: self.request_id(op, seq),
                    hospital_case: Some(hl::HospitalCase {
                        resident_id: person.clone(),
                        institution_code: self.fixture.institution.clone(),
                        admission_date: Some(date(admission)),
                        discharge_date: Some(date(admission + chrono::Duration::days(4))),
                        total_fen: total,
                        out_of_policy_fen: total / 10,
                        chronic_outpatient: false,
                        // One bill per settle op of the run: never settled twice.
                        bill_number: format!("LT{}-bill-{seq}", self.fixture.run_id),
                    }),
                });
                code(cl.settle_case(r).await)
            }
            Op::Assess => {
                let (Some(mut cl), Some(h)) = (nth(&c.water, seq), self.planted(seq)) else {
                    return missing;
                };
                let on = NaiveDate::from_ymd_opt(YEAR, 6, 1).unwrap_or_default()
                    + chrono::Duration::days((seq % 150) as i64);
                let r = self.req(wt::RecordAssessmentRequest {
                    request_id: self.request_id(op, seq),
                    assessment: Some(wt::Assessment {
                        household_id: h.id.clone(),
                        village_code: h.village.clone(),
                        people: h.residents.len() as i32,
                        supply: Some(wt::Supply {
                            kind: Some(wt::supply::Kind::Scattered(wt::ScatteredSupply {
                                kind: wt::ScatteredSourceKind::Well as i32,
                            })),
                        }),
                        litres_per_person_day: Some(40),
                        quality: Some(wt::QualityEvidence {
                            evidence: Some(wt::quality_evidence::Evidence::OnSiteCheck(
                                wt::OnSiteCheck {
                                    no_visible_impurity_colour_smell: true,
                                    no_harm_long_use: true,
                                },
                            )),
                        }),
                        piped_in: false,
                        fetch_round_trip_minutes: Some(15),
                        horizontal_distance_m: Some(800),
                        vertical_distance_m: Some(60),
                        outage_days_last_12_months: Some(20),
                        area: 0,
                        assessor: "压测".into(),
                        assessed_on: Some(date(on)),
                        seasonal_check: false,
                        seq: 0,
                        grading: None,
                    }),
                });
                code(cl.record_assessment(r).await)
            }
            Op::Visit => {
                let (Some(mut cl), Some(student)) =
                    (nth(&c.education, seq), nth(&self.fixture.students, seq))
                else {
                    return missing;
                };
                let r = self.req(edu::RecordVisitRequest {
                    request_id: self.request_id(op, seq),
                    resident_id: student,
                    visit: Some(edu::Visit {
                        date: Some(date(county_today())),
                        teacher: "送教教师".into(),
                        hours: 2,
                    }),
                });
                code(cl.record_visit(r).await)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_ids_of_a_run_are_valid_and_distinct() {
        let today = county_today();
        let mut seen = std::collections::HashSet::new();
        for slot in (0..5_000).chain(1_000_000..1_005_000) {
            let id = resident("321654", slot).unwrap();
            assert!(ResidentId::parse(&id, today).is_ok(), "{id}");
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn villages_are_in_the_county() {
        for n in 0..100 {
            let v = village(n);
            assert_eq!(v.len(), 12);
            assert!(v.starts_with(COUNTY));
        }
    }
}

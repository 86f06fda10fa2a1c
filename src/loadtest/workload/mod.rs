//! The calls a load test makes and the data they work on.
//!
//! - [`Clients`] (`clients.rs`): one client per connection and service, each with the token of the
//!   principal that may make the call (writes: the owning bureau; reads: the aggregator's
//!   token, or a bureau's).
//! - [`Fixture`] (`planted.rs`, with [`Workload::warm_up`]): what the warm-up planted (households whose ids start with the run id,
//!   their members enrolled in health insurance, a designated institution, home-taught
//!   students) and existing household ids sampled from the target, so every call of the
//!   timed phase has a valid target.
//! - [`Workload::call`]: one call of an operation, with a fresh request id for writes,
//!   returning its gRPC status code.

mod clients;
mod planted;

use std::time::Duration;

use chrono::NaiveDate;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::aggregator::v1::{GetHouseholdFileRequest, GetSummaryRequest};
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::{
    education::v1 as edu, health::v1 as hl, registry::v1 as reg, water::v1 as wt,
};

use super::mix::Op;
use super::stats::Outcome;
use crate::fixtures::{COUNTY, TOWNSHIPS, county_today};
pub use clients::Clients;
use clients::nth;
pub use planted::{Fixture, Planted};
use planted::{household, resident, village};

/// The year settlements, incomes, summaries and files refer to (a year every service's
/// built-in policy covers).
const YEAR: i32 = 2019;
/// Members per planted household (head and one child).
const MEMBERS: u32 = 2;
/// New households per import call (a small batch, as a bureau's daily sync sends).
const IMPORT_BATCH: u64 = 2;

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
                let township = TOWNSHIPS[(seq % TOWNSHIPS.len() as u64) as usize];
                let r = self.req(reg::ListHouseholdsRequest {
                    region_prefix: township.to_string(),
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
                        admission_date: Some(date_to_pb(admission)),
                        discharge_date: Some(date_to_pb(admission + chrono::Duration::days(4))),
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
                        litres_per_person_day: Some(40),
                        fetch_round_trip_minutes: Some(15),
                        horizontal_distance_m: Some(800),
                        vertical_distance_m: Some(60),
                        outage_days_last_12_months: Some(20),
                        assessor: "压测".into(),
                        ..crate::fixtures::water::basic(
                            &h.id,
                            &h.village,
                            h.residents.len() as i32,
                            date_to_pb(on),
                        )
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
                        date: Some(date_to_pb(county_today())),
                        teacher: "送教教师".into(),
                        hours: 2,
                    }),
                });
                code(cl.record_visit(r).await)
            }
        }
    }
}

//! What the warm-up plants through the public RPCs before the timed phase: households
//! whose ids start with the run id, their members enrolled in health insurance, a
//! designated institution and home-taught students; plus existing household ids sampled
//! from the target, so every timed call has a valid target.

use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDate;
use xk_contracts::pb::{education::v1 as edu, health::v1 as hl, registry::v1 as reg};
use xk_contracts::types::ResidentId;

use super::super::mix::{Mix, Op};
use super::clients::{Clients, nth};
use super::{MEMBERS, Workload, YEAR};
use crate::fixtures::{COUNTY, TOWNSHIPS};

/// Households per warm-up import batch.
const WARM_UP_BATCH: usize = 200;
/// Existing households sampled from the target (one ListHouseholds page).
const SAMPLE_EXISTING: i32 = 200;
/// Home-taught students planted (education RecordVisit targets).
const STUDENTS: u32 = 20;

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
pub(super) fn resident(address: &str, slot: u64) -> anyhow::Result<String> {
    let base = NaiveDate::from_ymd_opt(1930, 1, 1).context("base date")?;
    // 900 sequence numbers a day over ~75 years: 24 million distinct ids per run.
    let slot = slot % 24_000_000;
    let birth = base + chrono::Duration::days((slot / 900) as i64);
    let id = ResidentId::try_build(address, birth, (100 + slot % 900) as u16)
        .map_err(|e| anyhow::anyhow!("resident id: {e}"))?;
    Ok(id.as_str().to_string())
}

/// A planted household's data.
pub(super) fn household(id: &str, village: &str, residents: &[String]) -> reg::Household {
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
pub(super) fn village(n: u64) -> String {
    format!(
        "{}{:03}",
        TOWNSHIPS[(n % TOWNSHIPS.len() as u64) as usize],
        200 + (n / 11) % 26
    )
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
            let cutoff = crate::fixtures::education::cutoff();
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
}

#[cfg(test)]
mod tests;

//! The Medical Security Bureau's part: the 18 designated institutions (all in the county,
//! one-stop settlement, treat first and pay later), every archive member enrolled for 2019
//! as registered poor (the county pays the 220-yuan premium), edge households' members
//! enrolled as ordinary residents, and hospital cases through the four layers, all at
//! in-county institutions so the 5,000-yuan cap holds.

use chrono::NaiveDate;
use rand::Rng;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::health::v1::*;
use xk_contracts::pb::registry::v1::HealthCondition;

use super::names::TOWNSHIPS;
use super::published as p;
use super::registry::Archive;

/// Everything the Medical Security Bureau's system sends.
#[derive(Debug, Clone, Default)]
pub struct HealthLoad {
    /// Designated institutions.
    pub institutions: Vec<Institution>,
    /// Enrolments for the coverage year.
    pub enrolments: Vec<Enrolment>,
    /// Hospital cases, one list per person in settlement order (settlement is cumulative
    /// per person and year, so a person's cases go in order; people run in parallel).
    pub cases: Vec<Vec<SettleCaseRequest>>,
}

/// The institutions: three county hospitals and fifteen township health centres.
fn institutions() -> Vec<Institution> {
    let county = [
        ("GC-H001", "谷城县人民医院"),
        ("GC-H002", "谷城县中医医院"),
        ("GC-H003", "谷城县妇幼保健院"),
    ];
    let mut out: Vec<Institution> = county
        .iter()
        .map(|(code, name)| Institution {
            code: (*code).into(),
            name: (*name).into(),
            level: InstitutionLevel::County as i32,
            in_county: true,
            one_stop: true,
            treat_first_pay_later: true,
        })
        .collect();
    // One centre per township, and a second for the four largest.
    let mut n = 3;
    for (i, t) in TOWNSHIPS.iter().enumerate() {
        let copies = if (1..=4).contains(&i) { 2 } else { 1 };
        for c in 0..copies {
            n += 1;
            let name = if c == 0 {
                format!("{}卫生院", t.name())
            } else {
                format!("{}中心卫生院分院", t.name())
            };
            out.push(Institution {
                code: format!("GC-H{n:03}"),
                name,
                level: InstitutionLevel::Township as i32,
                in_county: true,
                one_stop: true,
                treat_first_pay_later: true,
            });
        }
    }
    out.truncate(p::INSTITUTIONS as usize);
    out
}

fn day(year: i32, d: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default() + chrono::Duration::days(d)
}

/// Plans the bureau's records for `archive`.
pub fn generate(rng: &mut impl Rng, archive: &Archive, seed: u64) -> HealthLoad {
    let institutions = institutions();
    let mut load = HealthLoad {
        institutions,
        ..Default::default()
    };
    for home in &archive.homes {
        let poor = home.group.in_archive();
        for person in &home.members {
            load.enrolments.push(Enrolment {
                resident_id: person.id.clone(),
                household_id: home.id.clone(),
                village_code: home.village.clone(),
                coverage_year: p::YEAR,
                registered_poor: poor,
                ..Default::default()
            });
            if !poor {
                continue;
            }
            let (chance, lo, hi) = match person.health {
                HealthCondition::SeriousIllness => (0.2, 800_000, 9_000_000),
                HealthCondition::ChronicIllness => (0.045, 100_000, 1_200_000),
                HealthCondition::Disabled => (0.02, 100_000, 2_000_000),
                _ => (0.0012, 100_000, 800_000),
            };
            if !rng.random_bool(chance) {
                continue;
            }
            let count = rng.random_range(1..=3);
            let mut start = rng.random_range(0..200);
            let mut cases = Vec::new();
            for k in 0..count {
                let chronic = person.health == HealthCondition::ChronicIllness && k % 2 == 1;
                let stay = if chronic { 0 } else { rng.random_range(2..15) };
                let admission = day(p::YEAR, start);
                let discharge = day(p::YEAR, (start + stay).min(364));
                start = (start + stay + rng.random_range(10..60)).min(360);
                let total: i64 = rng.random_range(lo..hi);
                let institution = if total > 2_000_000 {
                    &load.institutions[rng.random_range(0..3)]
                } else {
                    &load.institutions[rng.random_range(0..load.institutions.len())]
                };
                cases.push(SettleCaseRequest {
                    request_id: format!("demo-{seed}-case-{}-{k}", &person.id[..17]),
                    hospital_case: Some(HospitalCase {
                        resident_id: person.id.clone(),
                        institution_code: institution.code.clone(),
                        admission_date: Some(date_to_pb(admission)),
                        discharge_date: Some(date_to_pb(discharge.max(admission))),
                        total_fen: total,
                        out_of_policy_fen: total * rng.random_range(0..12) / 100,
                        chronic_outpatient: chronic,
                        // Unique per case, so the institution never sees a bill twice.
                        bill_number: format!("D{seed}-{}-{k}", &person.id[..17]),
                    }),
                });
                if start >= 360 {
                    break;
                }
            }
            load.cases.push(cases);
        }
    }
    load
}

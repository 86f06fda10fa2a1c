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

/// The cases that make sure the supplementary layer pays in every generated county: three
/// 100,000-yuan stays at a county hospital, all within the policy list, for one seriously
/// ill registered-poor person who drew no case of their own; the third takes the year's
/// personal payments past the 5,000-yuan cap. (Whether drawn cases reach the supplementary
/// layer depends on the draw, and the draw on the day the county is generated for: for
/// 2026-12-08 none did, and the published "four layers paid" failed.) They take no random
/// number, so the rest of the county is the same with them as without.
const ANCHOR_TOTAL_FEN: i64 = 10_000_000;

/// The anchor stays' admission and discharge days of the coverage year.
const ANCHOR_DAYS: [(i64, i64); 3] = [(60, 74), (150, 164), (240, 254)];

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
    let mut anchored = false;
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
                if !anchored && person.health == HealthCondition::SeriousIllness {
                    anchored = true;
                    load.cases
                        .push(anchor_cases(&load.institutions[0], &person.id, seed));
                }
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

/// The anchor stays ([`ANCHOR_TOTAL_FEN`], [`ANCHOR_DAYS`]) of person `id` at
/// `institution`, in settlement order.
fn anchor_cases(institution: &Institution, id: &str, seed: u64) -> Vec<SettleCaseRequest> {
    ANCHOR_DAYS
        .iter()
        .enumerate()
        .map(|(k, &(admitted, discharged))| SettleCaseRequest {
            request_id: format!("demo-{seed}-case-{}-{k}", &id[..17]),
            hospital_case: Some(HospitalCase {
                resident_id: id.to_string(),
                institution_code: institution.code.clone(),
                admission_date: Some(date_to_pb(day(p::YEAR, admitted))),
                discharge_date: Some(date_to_pb(day(p::YEAR, discharged))),
                total_fen: ANCHOR_TOTAL_FEN,
                out_of_policy_fen: 0,
                chronic_outpatient: false,
                bill_number: format!("D{seed}-{}-{k}", &id[..17]),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use xk_health::domain::{self, InstitutionLevel as Level};

    use super::*;
    use crate::demo::{County, DEFAULT_SEED};

    /// The generated county's cases through the settlement engine: per layer, whether any
    /// case paid from it (basic, serious illness, assistance, supplementary).
    fn layers_paid(county: &County) -> [bool; 4] {
        let policy = domain::embedded_book()
            .unwrap()
            .for_year(p::YEAR)
            .unwrap()
            .clone();
        let levels: std::collections::HashMap<&str, (Level, bool)> = county
            .health
            .institutions
            .iter()
            .map(|i| {
                let level = if i.level == InstitutionLevel::County as i32 {
                    Level::County
                } else {
                    Level::Township
                };
                (i.code.as_str(), (level, i.in_county))
            })
            .collect();
        let mut paid = [false; 4];
        for person in &county.health.cases {
            let cases: Vec<domain::Case> = person
                .iter()
                .filter_map(|r| r.hospital_case.as_ref())
                .map(|hc| {
                    let (institution_level, in_county) = levels[hc.institution_code.as_str()];
                    domain::Case {
                        total_fen: hc.total_fen,
                        out_of_policy_fen: hc.out_of_policy_fen,
                        institution_level,
                        in_county,
                        chronic_outpatient: hc.chronic_outpatient,
                        registered_poor: true,
                    }
                })
                .collect();
            let (settled, _) = domain::settle_all(&policy, &cases).unwrap();
            for s in settled {
                for (k, fen) in [
                    s.basic_fen,
                    s.serious_fen,
                    s.assistance_fen,
                    s.supplementary_fen,
                ]
                .into_iter()
                .enumerate()
                {
                    paid[k] |= fen > 0;
                }
            }
        }
        paid
    }

    #[test]
    fn every_layer_pays_whatever_day_the_county_is_generated_for() {
        // 2026-12-08 is the day whose draw reached no supplementary payment.
        for (y, m, d) in [(2026, 12, 7), (2026, 12, 8), (2027, 3, 1), (2028, 2, 29)] {
            let today = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let county = County::generate(DEFAULT_SEED, today);
            assert_eq!(layers_paid(&county), [true; 4], "generated for {today}");
        }
    }

    #[test]
    fn the_anchor_stays_alone_reach_the_supplementary_layer() {
        let institution = &institutions()[0];
        assert_eq!(institution.level, InstitutionLevel::County as i32);
        let requests = anchor_cases(institution, "420625194001010011", 1);
        let ids: Vec<&str> = requests.iter().map(|r| r.request_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "demo-1-case-42062519400101001-0",
                "demo-1-case-42062519400101001-1",
                "demo-1-case-42062519400101001-2"
            ]
        );
        let policy = domain::embedded_book()
            .unwrap()
            .for_year(p::YEAR)
            .unwrap()
            .clone();
        let case = domain::Case {
            total_fen: ANCHOR_TOTAL_FEN,
            out_of_policy_fen: 0,
            institution_level: Level::County,
            in_county: true,
            chronic_outpatient: false,
            registered_poor: true,
        };
        let (settled, ytd) = domain::settle_all(&policy, &[case; 3]).unwrap();
        let supplementary: Vec<i64> = settled.iter().map(|s| s.supplementary_fen).collect();
        assert_eq!(
            supplementary[..2],
            [0, 0],
            "under the cap until the third stay"
        );
        assert!(supplementary[2] > 0, "{settled:?}");
        assert_eq!(
            ytd.in_county_personal_fen,
            policy.supplementary.annual_personal_cap_fen
        );
    }
}

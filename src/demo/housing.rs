//! The relocation office's part: resettlement sites, the 4,013 relocated households
//! (7,734 people, all moved in, old houses demolished unless exempt, 1,800 mu reclaimed,
//! every household with follow-up support and, where it has labour, a member employed),
//! and house-safety appraisals of some households not relocated (C/D grades renovated).

use chrono::NaiveDate;
use rand::Rng;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::housing::v1::*;
use xk_contracts::pb::registry::v1::LabourCapacity;

use super::names::TOWNSHIPS;
use super::published as p;
use super::registry::{Archive, Group};

/// Everything the relocation office's system sends.
#[derive(Debug, Clone, Default)]
pub struct HousingLoad {
    /// Resettlement sites.
    pub sites: Vec<Site>,
    /// Relocated households.
    pub relocations: Vec<Relocation>,
    /// House-safety appraisals of households not relocated.
    pub appraisals: Vec<RecordAppraisalRequest>,
    /// Renovations of the C/D houses among them.
    pub renovations: Vec<CompleteRenovationRequest>,
}

/// Households whose old house is exempt from demolition (kept as heritage or a work shed).
const EXEMPT: usize = 13;
/// Appraisals of households not relocated (noise around the published figures).
const APPRAISALS: usize = 200;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

fn sites(county: &str) -> Vec<Site> {
    let mut out = vec![Site {
        site_id: "GC-S01".into(),
        name: "城关镇县城集中安置小区".into(),
        village_code: format!("{county}100001"),
        r#type: SiteType::CentralizedCountyTown as i32,
        etag: String::new(),
    }];
    for (i, t) in TOWNSHIPS.iter().enumerate().skip(1).take(8) {
        out.push(Site {
            site_id: format!("GC-S{:02}", i + 1),
            name: format!("{}集镇安置点", t.name()),
            village_code: format!("{county}{}001", t.code),
            r#type: SiteType::CentralizedMarketTown as i32,
            etag: String::new(),
        });
    }
    out.push(Site {
        site_id: "GC-S10".into(),
        name: "谷城经济开发区安置点".into(),
        village_code: format!("{county}100002"),
        r#type: SiteType::CentralizedIndustrialPark as i32,
        etag: String::new(),
    });
    out.push(Site {
        site_id: "GC-S11".into(),
        name: "分散插花安置".into(),
        village_code: format!("{county}105201"),
        r#type: SiteType::ScatteredFillingIn as i32,
        etag: String::new(),
    });
    out
}

/// The reclaimed area (0.01 mu) of the `nth` of `demolished` demolished houses: the
/// published 1,800 mu, times `scale` for a county grown that many times, in even shares
/// with the remainder spread over the first houses. Scaled, because at 200× one county's
/// 1,800 mu would leave most of 800,000 houses a share of 0, which the office's import
/// rightly refuses (a reclamation is accepted with a positive area).
fn reclaimed_share(nth: usize, demolished: usize, scale: u32) -> i64 {
    let total = p::RECLAIMED_CENTI_MU * i64::from(scale.max(1));
    let houses = demolished.max(1) as i64;
    total / houses + i64::from((nth as i64) < total % houses)
}

/// Plans the office's records for `archive` (the county grown `scale` times).
pub fn generate(
    rng: &mut impl Rng,
    archive: &Archive,
    seed: u64,
    county: &str,
    scale: u32,
) -> HousingLoad {
    let sites = sites(county);
    let relocated: Vec<_> = archive
        .homes
        .iter()
        .filter(|h| h.group == Group::Relocated)
        .collect();
    let demolished = relocated.len().saturating_sub(EXEMPT);
    let mut relocations = Vec::new();
    for (i, home) in relocated.iter().enumerate() {
        let members = home.members.len() as i32;
        let labour = home
            .members
            .iter()
            .filter(|m| matches!(m.labour, LabourCapacity::Full | LabourCapacity::Weak))
            .count() as i32;
        let employed = if labour > 0 {
            rng.random_range(1..=labour)
        } else {
            0
        };
        let site = &sites[rng.random_range(0..sites.len())];
        let scattered = site.r#type == SiteType::ScatteredFillingIn as i32;
        let batch = rng.random_range(2016..=2018);
        let start = d(batch, 3, 1) + chrono::Duration::days(rng.random_range(0..60));
        let completion = start + chrono::Duration::days(rng.random_range(180..280));
        let acceptance = completion + chrono::Duration::days(rng.random_range(10..40));
        let handover = acceptance + chrono::Duration::days(rng.random_range(5..20));
        let moved = handover + chrono::Duration::days(rng.random_range(1..30));
        let exempt = i < EXEMPT;
        let reclaimed = if exempt {
            0
        } else {
            reclaimed_share(i - EXEMPT, demolished, scale)
        };
        let area_per_person = rng.random_range(1_800..=2_500);
        let cost = i64::from(members) * area_per_person * 120; // 1,200 yuan per m²
        let subsidy = cost * 88 / 100;
        let self_raised = (cost - subsidy).min(300_000 * i64::from(members));
        let other = cost - subsidy - self_raised;
        let mut support = vec![SupportMeasure {
            kind: if employed > 0 {
                if rng.random_bool(0.5) {
                    SupportMeasureKind::Employment
                } else {
                    SupportMeasureKind::Workshop
                }
            } else {
                SupportMeasureKind::CommunityService
            } as i32,
            started_on: Some(date_to_pb(moved + chrono::Duration::days(15))),
            ended_on: None,
        }];
        if rng.random_bool(0.3) {
            support.push(SupportMeasure {
                kind: SupportMeasureKind::InsuranceTransfer as i32,
                started_on: Some(date_to_pb(moved + chrono::Duration::days(30))),
                ended_on: None,
            });
        }
        relocations.push(Relocation {
            household_id: home.id.clone(),
            origin_village_code: home.village.clone(),
            site_id: site.site_id.clone(),
            batch_year: batch,
            members,
            labour_members: labour,
            employed_members: employed,
            housing: Some(Housing {
                area_centi_m2: i64::from(members) * area_per_person,
                over_area_reason: String::new(),
                build_cost_fen: cost,
                subsidy_fen: subsidy,
                self_raised_fen: self_raised,
                other_funds_fen: other,
                debt_fen: rng.random_range(0..600_000),
            }),
            milestones: Some(Milestones {
                construction_start: Some(date_to_pb(start)),
                completion: Some(date_to_pb(completion)),
                acceptance: Some(date_to_pb(acceptance)),
                key_handover: if scattered {
                    None
                } else {
                    Some(date_to_pb(handover))
                },
                moved_in: Some(date_to_pb(moved)),
                demolished: if exempt {
                    None
                } else {
                    Some(date_to_pb(moved + chrono::Duration::days(90)))
                },
                reclamation_accepted: if exempt {
                    None
                } else {
                    Some(date_to_pb(moved + chrono::Duration::days(200)))
                },
            }),
            old_house: Some(OldHouse {
                demolition_exempt_reason: if exempt {
                    "列入传统村落保护名录，保留".into()
                } else {
                    String::new()
                },
                reclaimed_centi_mu: reclaimed,
                land_type: if exempt {
                    LandType::Unspecified
                } else if rng.random_bool(0.8) {
                    LandType::Cultivated
                } else {
                    LandType::Forest
                } as i32,
            }),
            support,
            ..Default::default()
        });
    }
    // Appraisals of households that stayed: A/B mostly; C/D renovated since.
    let mut appraisals = Vec::new();
    let mut renovations = Vec::new();
    let stayed: Vec<_> = archive
        .homes
        .iter()
        .filter(|h| h.group == Group::Rest)
        .take(APPRAISALS)
        .collect();
    for (i, home) in stayed.iter().enumerate() {
        let grade = match rng.random_range(0..100) {
            0..55 => Grade::A,
            55..90 => Grade::B,
            90..97 => Grade::C,
            _ => Grade::D,
        };
        let on = d(2018, 4, 1) + chrono::Duration::days(rng.random_range(0..300));
        appraisals.push(RecordAppraisalRequest {
            request_id: format!("demo-{seed}-appraisal-{i:04}"),
            appraisal: Some(Appraisal {
                household_id: home.id.clone(),
                village_code: home.village.clone(),
                grade: grade as i32,
                appraised_on: Some(date_to_pb(on)),
                appraiser: format!("住建局鉴定组{:02}", i % 12),
                renovation_completed_on: None,
            }),
        });
        if matches!(grade, Grade::C | Grade::D) {
            renovations.push(CompleteRenovationRequest {
                request_id: format!("demo-{seed}-renovation-{i:04}"),
                household_id: home.id.clone(),
                completed_on: Some(date_to_pb(on + chrono::Duration::days(120))),
            });
        }
    }
    HousingLoad {
        sites,
        relocations,
        appraisals,
        renovations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reclaimed_shares_add_up_to_the_published_area_times_the_scale_and_stay_positive() {
        // The demo county's 4,013 relocated households, 13 of them exempt; and 200 times it.
        for (scale, demolished) in [
            (1_u32, 4_013 - EXEMPT),
            (20, 80_260 - EXEMPT),
            (200, 802_600 - EXEMPT),
        ] {
            let shares: Vec<i64> = (0..demolished)
                .map(|nth| reclaimed_share(nth, demolished, scale))
                .collect();
            assert_eq!(
                shares.iter().sum::<i64>(),
                p::RECLAIMED_CENTI_MU * i64::from(scale),
                "scale {scale}"
            );
            assert!(shares.iter().all(|&s| s > 0), "scale {scale}: a share of 0");
        }
    }
}

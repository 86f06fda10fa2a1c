//! The Water Resources Bureau's part: one centralized scheme per township, and an
//! assessment of every archive household on the four indicators of T/CHES 18-2018 — about
//! three in four 安全 on a scheme, the rest 基本安全 on a scattered well, cistern or spring —
//! plus dry-season re-checks of one household in ten that found no shortage.

use chrono::NaiveDate;
use rand::Rng;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::water::v1::*;

use super::names::TOWNSHIPS;
use super::published as p;
use super::registry::{Archive, Home};
use crate::fixtures;

/// Everything the Water Resources Bureau's system sends.
#[derive(Debug, Clone, Default)]
pub struct WaterLoad {
    /// Centralized supply schemes.
    pub schemes: Vec<Scheme>,
    /// Assessments (routine and seasonal), in household order.
    pub assessments: Vec<Assessment>,
}

fn scheme_id(township: &str) -> String {
    format!("GC-W{township}")
}

/// A 安全 assessment of `home` on `scheme`: the fixture's, with the figures a real survey
/// varies drawn from `rng` (in this order, so a seed gives the same county).
fn safe(home: &Home, scheme: &str, on: NaiveDate, rng: &mut impl Rng) -> Assessment {
    let litres = rng.random_range(60..110);
    let report_no = format!("SZ-{}-{:04}", p::YEAR, rng.random_range(1..400));
    let outage_days = rng.random_range(0..=18);
    let assessor = format!("水利局-{:03}", rng.random_range(1..60));
    let people = home.members.len() as i32;
    Assessment {
        litres_per_person_day: Some(litres),
        quality: Some(QualityEvidence {
            evidence: Some(quality_evidence::Evidence::LabReport(LabReport {
                report_no,
                lab: "谷城县疾病预防控制中心".into(),
                date: Some(date_to_pb(on - chrono::Duration::days(20))),
                meets_gb5749: true,
            })),
        }),
        outage_days_last_12_months: Some(outage_days),
        assessor,
        // Piped into the yard: nobody fetches water, so the fixture measures no trip.
        ..fixtures::water::safe(&home.id, &home.village, people, scheme, date_to_pb(on))
    }
}

fn basic(home: &Home, on: NaiveDate, rng: &mut impl Rng) -> Assessment {
    let kind = match rng.random_range(0..3) {
        0 => ScatteredSourceKind::Well,
        1 => ScatteredSourceKind::Cistern,
        _ => ScatteredSourceKind::Spring,
    };
    Assessment {
        supply: Some(Supply {
            kind: Some(supply::Kind::Scattered(ScatteredSupply {
                kind: kind as i32,
            })),
        }),
        litres_per_person_day: Some(rng.random_range(35..60)),
        quality: Some(QualityEvidence {
            evidence: Some(quality_evidence::Evidence::OnSiteCheck(OnSiteCheck {
                no_visible_impurity_colour_smell: true,
                no_harm_long_use: true,
            })),
        }),
        piped_in: false,
        fetch_round_trip_minutes: Some(rng.random_range(5..=20)),
        horizontal_distance_m: Some(rng.random_range(100..800)),
        vertical_distance_m: Some(rng.random_range(0..80)),
        outage_days_last_12_months: Some(rng.random_range(10..=36)),
        ..safe(home, "", on, rng)
    }
}

/// Plans the bureau's records for `archive`.
pub fn generate(rng: &mut impl Rng, archive: &Archive) -> WaterLoad {
    let schemes = TOWNSHIPS
        .iter()
        .map(|t| {
            let villages: Vec<String> = archive
                .villages
                .iter()
                .filter(|v| v.village_code[6..9] == *t.code)
                .map(|v| v.village_code.clone())
                .collect();
            Scheme {
                scheme_id: scheme_id(t.code),
                name: format!("{}集中供水工程", t.name()),
                capacity_m3_per_day: 500 * villages.len() as i64,
                people_served: 1_000 * villages.len() as i64,
                village_codes: villages,
                etag: String::new(),
            }
        })
        .collect();
    let mut assessments = Vec::new();
    for home in archive.homes.iter().filter(|h| h.group.in_archive()) {
        let on = NaiveDate::from_ymd_opt(p::YEAR, 5, 1).unwrap_or_default()
            + chrono::Duration::days(rng.random_range(0..60));
        let centralized = rng.random_bool(0.75);
        let scheme = scheme_id(&home.village[6..9]);
        let make = |on: NaiveDate, rng: &mut _| {
            if centralized {
                safe(home, &scheme, on, rng)
            } else {
                basic(home, on, rng)
            }
        };
        assessments.push(make(on, rng));
        if rng.random_bool(0.1) {
            let dry = NaiveDate::from_ymd_opt(p::YEAR, 8, 1).unwrap_or_default()
                + chrono::Duration::days(rng.random_range(0..30));
            let mut check = make(dry, rng);
            check.seasonal_check = true;
            assessments.push(check);
        }
    }
    WaterLoad {
        schemes,
        assessments,
    }
}

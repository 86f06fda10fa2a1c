//! Every service's SummarizeByRegion over a fixed set of requests (prefix × grouping level ×
//! dates and years), as encoded answers: two instances over one database answer alike
//! exactly when these are equal. The rollup tests compare a service answering from its
//! running totals with a replica that reads the rows (rollups off).

use prost::Message;
use tonic::transport::Channel;
use xiaokang::testing::Bearer;
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::pb::education::v1 as edu;
use xk_contracts::pb::health::v1 as hea;
use xk_contracts::pb::housing::v1 as hou;
use xk_contracts::pb::registry::v1 as reg;
use xk_contracts::pb::water::v1 as wat;

/// The county, one township and one village of it, each with every level at or below it.
const SCOPES: [(&str, &[RegionLevel]); 3] = [
    (
        "420625",
        &[
            RegionLevel::County,
            RegionLevel::Township,
            RegionLevel::Village,
        ],
    ),
    ("420625100", &[RegionLevel::Township, RegionLevel::Village]),
    ("420625100201", &[RegionLevel::Village]),
];

fn date(d: chrono::NaiveDate) -> Date {
    use chrono::Datelike;
    Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// `(label, encoded answer)` of every request of the set to `service` at `channel`, read as
/// `bearer`. `dates` are the `as_of` days asked (None: the service's today); `years` the
/// registry and health years asked.
pub async fn every_summary(
    service: &str,
    channel: Channel,
    bearer: Bearer,
    dates: &[Option<chrono::NaiveDate>],
    years: &[i32],
) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (prefix, levels) in SCOPES {
        for level in levels {
            let (prefix, group_by) = (prefix.to_string(), *level as i32);
            let label = |extra: String| format!("{service} {prefix} by {level:?} {extra}");
            match service {
                "registry" => {
                    let mut c =
                        reg::registry_service_client::RegistryServiceClient::with_interceptor(
                            channel.clone(),
                            bearer.clone(),
                        );
                    for as_of in dates {
                        for year in years {
                            let r = reg::SummarizeByRegionRequest {
                                region_prefix: prefix.clone(),
                                group_by,
                                year: *year,
                                baseline_year: 2014,
                                as_of: as_of.map(date),
                            };
                            let got = c.summarize_by_region(r).await.unwrap().into_inner();
                            out.push((label(format!("{as_of:?} {year}")), got.encode_to_vec()));
                        }
                    }
                }
                "education" => {
                    let mut c =
                        edu::education_service_client::EducationServiceClient::with_interceptor(
                            channel.clone(),
                            bearer.clone(),
                        );
                    for as_of in dates {
                        let r = edu::SummarizeByRegionRequest {
                            region_prefix: prefix.clone(),
                            group_by,
                            as_of: as_of.map(date),
                            survey_id: String::new(),
                        };
                        let got = c.summarize_by_region(r).await.unwrap().into_inner();
                        out.push((label(format!("{as_of:?}")), got.encode_to_vec()));
                    }
                }
                "health" => {
                    let mut c = hea::health_insurance_service_client::HealthInsuranceServiceClient::with_interceptor(
                        channel.clone(),
                        bearer.clone(),
                    );
                    for year in years {
                        let r = hea::SummarizeByRegionRequest {
                            region_prefix: prefix.clone(),
                            group_by,
                            coverage_year: *year,
                            latest_enrolled_year: false,
                        };
                        let got = c.summarize_by_region(r).await.unwrap().into_inner();
                        out.push((label(format!("{year}")), got.encode_to_vec()));
                    }
                }
                "housing" => {
                    let mut c = hou::housing_service_client::HousingServiceClient::with_interceptor(
                        channel.clone(),
                        bearer.clone(),
                    );
                    let r = hou::SummarizeByRegionRequest {
                        region_prefix: prefix.clone(),
                        group_by,
                    };
                    let got = c.summarize_by_region(r).await.unwrap().into_inner();
                    out.push((label(String::new()), got.encode_to_vec()));
                }
                "water" => {
                    let mut c = wat::water_service_client::WaterServiceClient::with_interceptor(
                        channel.clone(),
                        bearer.clone(),
                    );
                    let r = wat::SummarizeByRegionRequest {
                        region_prefix: prefix.clone(),
                        group_by,
                    };
                    let got = c.summarize_by_region(r).await.unwrap().into_inner();
                    out.push((label(String::new()), got.encode_to_vec()));
                }
                other => panic!("no summary for {other}"),
            }
        }
    }
    out
}

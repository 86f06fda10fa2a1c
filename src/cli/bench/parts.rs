//! A summary taken apart: the five SummarizeByRegion calls the aggregator makes for one
//! GetSummary (`services/aggregator/src/api/summary.rs`, `fan_out`), with the same
//! requests, each timed on its own and then all five at once. `bench summary` compares
//! GetSummary with them; `bench growth` says which service a larger data set slows.

use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::housing::v1::housing_service_client::HousingServiceClient;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_contracts::pb::{education, health, housing, registry, water};
use xk_runtime::Principal;

use super::measure::{Summary, time_calls};
use crate::demo::{county_today, published};
use crate::testing::{Bearer, TestSuite};

/// Largest answer accepted (a village-level summary of a large county is large).
const MAX_MESSAGE: usize = 256 << 20;

/// A channel carrying the aggregator's token: these are the aggregator's reads.
type Svc = InterceptedService<Channel, Bearer>;

/// A channel to service `name` of `suite` with the aggregator's token.
pub(super) fn svc(suite: &TestSuite, name: &str) -> anyhow::Result<Svc> {
    Ok(InterceptedService::new(
        crate::client::channel(&suite.url(name))?,
        suite.bearer(Principal::Aggregator),
    ))
}

/// The five calls of a GetSummary of the demo county's prefix for the published year,
/// each client with its request.
pub struct Parts {
    /// The registry's households, members and villages.
    registry: (
        RegistryServiceClient<Svc>,
        registry::v1::SummarizeByRegionRequest,
    ),
    /// Education's students and letters.
    education: (
        EducationServiceClient<Svc>,
        education::v1::SummarizeByRegionRequest,
    ),
    /// Health's enrolments and person-years of the year.
    health: (
        HealthInsuranceServiceClient<Svc>,
        health::v1::SummarizeByRegionRequest,
    ),
    /// Housing's relocations and appraisals.
    housing: (
        HousingServiceClient<Svc>,
        housing::v1::SummarizeByRegionRequest,
    ),
    /// Water's current assessments.
    water: (WaterServiceClient<Svc>, water::v1::SummarizeByRegionRequest),
}

impl Parts {
    /// The five calls against `suite`, grouped by `group_by` (a `RegionLevel`).
    pub fn new(suite: &TestSuite, group_by: i32) -> anyhow::Result<Parts> {
        let region_prefix = published::COUNTY.to_string();
        let year = published::YEAR;
        let as_of = Some(xk_contracts::convert::date_to_pb(county_today()));
        Ok(Parts {
            registry: (
                RegistryServiceClient::new(svc(suite, "registry")?)
                    .max_decoding_message_size(MAX_MESSAGE),
                registry::v1::SummarizeByRegionRequest {
                    region_prefix: region_prefix.clone(),
                    group_by,
                    year,
                    baseline_year: 0,
                    as_of,
                },
            ),
            education: (
                EducationServiceClient::new(svc(suite, "education")?)
                    .max_decoding_message_size(MAX_MESSAGE),
                education::v1::SummarizeByRegionRequest {
                    region_prefix: region_prefix.clone(),
                    group_by,
                    as_of,
                    survey_id: String::new(),
                },
            ),
            health: (
                HealthInsuranceServiceClient::new(svc(suite, "health")?)
                    .max_decoding_message_size(MAX_MESSAGE),
                health::v1::SummarizeByRegionRequest {
                    region_prefix: region_prefix.clone(),
                    group_by,
                    coverage_year: year,
                    latest_enrolled_year: false,
                },
            ),
            housing: (
                HousingServiceClient::new(svc(suite, "housing")?)
                    .max_decoding_message_size(MAX_MESSAGE),
                housing::v1::SummarizeByRegionRequest {
                    region_prefix: region_prefix.clone(),
                    group_by,
                },
            ),
            water: (
                WaterServiceClient::new(svc(suite, "water")?)
                    .max_decoding_message_size(MAX_MESSAGE),
                water::v1::SummarizeByRegionRequest {
                    region_prefix,
                    group_by,
                },
            ),
        })
    }

    /// Each call timed on its own, `n` times one after the other, in the order registry,
    /// education, health, housing, water.
    pub async fn each(&self, n: u32) -> anyhow::Result<[(&'static str, Summary); 5]> {
        // One timing per part: the five clients are five types, so a macro, not a loop.
        macro_rules! timed {
            ($part:expr) => {{
                let (client, request) = &$part;
                time_calls(n, || {
                    let (mut client, request) = (client.clone(), request.clone());
                    async move { client.summarize_by_region(request).await.map(drop) }
                })
                .await?
            }};
        }
        Ok([
            ("registry", timed!(self.registry)),
            ("education", timed!(self.education)),
            ("health", timed!(self.health)),
            ("housing", timed!(self.housing)),
            ("water", timed!(self.water)),
        ])
    }

    /// The five made at once by this client, `n` times: what a perfect fan-out costs on
    /// this machine (CPU-bound queries on 2 cores overlap only so much).
    pub async fn all_at_once(&self, n: u32) -> anyhow::Result<Summary> {
        time_calls(n, || {
            let (mut a, ra) = self.registry.clone();
            let (mut b, rb) = self.education.clone();
            let (mut c, rc) = self.health.clone();
            let (mut d, rd) = self.housing.clone();
            let (mut e, re) = self.water.clone();
            async move {
                let (x1, x2, x3, x4, x5) = tokio::join!(
                    a.summarize_by_region(ra),
                    b.summarize_by_region(rb),
                    c.summarize_by_region(rc),
                    d.summarize_by_region(rd),
                    e.summarize_by_region(re)
                );
                x1?;
                x2?;
                x3?;
                x4?;
                x5?;
                Ok(())
            }
        })
        .await
    }
}

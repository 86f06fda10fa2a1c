//! The summary fan-out of GetSummary and TakeSnapshot: the five SummarizeByRegion calls
//! in parallel, each bounded by the caller's context, combined by [`domain::combine`].
//!
//! With `latest_year_with_data` health is asked for its latest enrolled coverage year
//! not after the key's year, while the registry is asked in parallel for the key's year;
//! the registry is asked again only when health found an earlier year, so a county whose
//! enrolments for this year are in costs nothing extra.

use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::aggregator::v1::Summary;
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::housing::v1::housing_service_client::HousingServiceClient;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_contracts::pb::{education, health, housing, registry, water};

use super::{AggregatorApi, MAX_UPSTREAM_MESSAGE};
use crate::domain::{self, Answers, SummaryKey};
use crate::upstream::CallCtx;

impl AggregatorApi {
    /// The registry's counts under the key's prefix, with `year` as the in-year year.
    async fn registry_summary(
        &self,
        ctx: &CallCtx,
        key: &SummaryKey,
        year: i32,
    ) -> Result<registry::v1::SummarizeByRegionResponse, tonic::Status> {
        let rc = self.clients.registry.clone();
        ctx.read(
            registry::v1::SummarizeByRegionRequest {
                region_prefix: key.region_prefix.clone(),
                group_by: key.group_by,
                year,
                baseline_year: 0,
                as_of: Some(date_to_pb(key.as_of)),
            },
            move |r| {
                let mut cl = RegistryServiceClient::new(rc.clone())
                    .max_decoding_message_size(MAX_UPSTREAM_MESSAGE);
                async move { cl.summarize_by_region(r).await }
            },
        )
        .await
    }

    /// The five SummarizeByRegion calls, in parallel, each bounded by the context.
    async fn fan_out(&self, ctx: &CallCtx, key: &SummaryKey) -> Answers {
        let as_of = Some(date_to_pb(key.as_of));
        let c = &self.clients;
        let (ec, hc, oc, wc) = (
            c.education.clone(),
            c.health.clone(),
            c.housing.clone(),
            c.water.clone(),
        );
        let reg = self.registry_summary(ctx, key, key.year);
        let edu = ctx.read(
            education::v1::SummarizeByRegionRequest {
                region_prefix: key.region_prefix.clone(),
                group_by: key.group_by,
                as_of,
                survey_id: String::new(),
            },
            move |r| {
                let mut cl = EducationServiceClient::new(ec.clone())
                    .max_decoding_message_size(MAX_UPSTREAM_MESSAGE);
                async move { cl.summarize_by_region(r).await }
            },
        );
        let hea = ctx.read(
            health::v1::SummarizeByRegionRequest {
                region_prefix: key.region_prefix.clone(),
                group_by: key.group_by,
                coverage_year: key.year,
                latest_enrolled_year: key.latest_year_with_data,
            },
            move |r| {
                let mut cl = HealthInsuranceServiceClient::new(hc.clone())
                    .max_decoding_message_size(MAX_UPSTREAM_MESSAGE);
                async move { cl.summarize_by_region(r).await }
            },
        );
        let hou = ctx.read(
            housing::v1::SummarizeByRegionRequest {
                region_prefix: key.region_prefix.clone(),
                group_by: key.group_by,
            },
            move |r| {
                let mut cl = HousingServiceClient::new(oc.clone())
                    .max_decoding_message_size(MAX_UPSTREAM_MESSAGE);
                async move { cl.summarize_by_region(r).await }
            },
        );
        let wat = ctx.read(
            water::v1::SummarizeByRegionRequest {
                region_prefix: key.region_prefix.clone(),
                group_by: key.group_by,
            },
            move |r| {
                let mut cl = WaterServiceClient::new(wc.clone())
                    .max_decoding_message_size(MAX_UPSTREAM_MESSAGE);
                async move { cl.summarize_by_region(r).await }
            },
        );
        let (registry, education, health, housing, water) = tokio::join!(reg, edu, hea, hou, wat);
        Answers {
            registry,
            education,
            health,
            housing,
            water,
        }
    }

    /// The summary the key asks for; its `year` is the one the figures are of.
    pub(super) async fn summary(&self, ctx: &CallCtx, key: &SummaryKey) -> Summary {
        let mut answers = self.fan_out(ctx, key).await;
        let year = domain::summary_year(key, &answers.health);
        if answers.registry.is_ok() && year != key.year {
            answers.registry = self.registry_summary(ctx, key, year).await;
        }
        let key = SummaryKey {
            year,
            ..key.clone()
        };
        let summary = domain::combine(&key, answers);
        if !summary.complete {
            tracing::warn!(
                region_prefix = %key.region_prefix,
                "summary served with unavailable sections"
            );
        }
        summary
    }
}

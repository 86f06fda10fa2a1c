//! GetSummary and the fan-out it shares with TakeSnapshot: the five SummarizeByRegion
//! calls in parallel, each bounded by the caller's context, combined by
//! [`crate::domain::summary::combine`].
//!
//! With `latest_year_with_data` health is asked for its latest enrolled coverage year
//! not after the key's year, while the registry is asked in parallel for the key's year;
//! the registry is asked again only when health found an earlier year, so a county whose
//! enrolments for this year are in costs nothing extra.

use chrono::Datelike;
use tonic::Status;
use xk_contracts::convert::{date_from_pb, date_to_pb};
use xk_contracts::pb::aggregator::v1::{GetSummaryRequest, GetSummaryResponse, Summary};
use xk_contracts::pb::{education, health, housing, registry, water};
use xk_contracts::types::RegionPrefix;
use xk_runtime::errors::{Violations, invalid};

use super::state::{check_year, group_by, today};
use crate::domain::summary::{Answers, SummaryKey, combine, summary_year};
use crate::upstream::{
    CallCtx, EducationClient, HealthClient, HousingClient, RegistryClient, WaterClient,
};

/// GetSummary: the key checked, then the summary it asks for.
pub(super) async fn get_summary(
    ctx: CallCtx,
    r: GetSummaryRequest,
) -> Result<GetSummaryResponse, Status> {
    let mut v = Violations::new();
    let prefix = v.check("region_prefix", RegionPrefix::parse(&r.region_prefix));
    let as_of = match &r.as_of {
        Some(d) => v.check("as_of", date_from_pb(d)),
        None => Some(today()),
    };
    check_year(r.year, &mut v);
    let group_by = group_by(r.group_by, "group_by", &mut v);
    v.into_result()?;
    let (Some(prefix), Some(as_of)) = (prefix, as_of) else {
        return Err(invalid("region_prefix", "invalid"));
    };
    let key = SummaryKey {
        region_prefix: prefix.as_str().to_string(),
        group_by,
        as_of,
        year: if r.year == 0 { as_of.year() } else { r.year },
        latest_year_with_data: r.year == 0 && r.latest_year_with_data,
    };
    Ok(GetSummaryResponse {
        summary: Some(summary(&ctx, &key).await),
    })
}

/// The summary the key asks for; its `year` is the one the figures are of.
pub(super) async fn summary(ctx: &CallCtx, key: &SummaryKey) -> Summary {
    let mut answers = fan_out(ctx, key).await;
    let year = summary_year(key, &answers.health);
    if answers.registry.is_ok() && year != key.year {
        answers.registry = registry_summary(ctx, key, year).await;
    }
    let key = SummaryKey {
        year,
        ..key.clone()
    };
    let summary = combine(&key, answers);
    if !summary.complete {
        tracing::warn!(
            region_prefix = %key.region_prefix,
            "summary served with unavailable sections"
        );
    }
    summary
}

/// The registry's counts under the key's prefix, with `year` as the in-year year.
async fn registry_summary(
    ctx: &CallCtx,
    key: &SummaryKey,
    year: i32,
) -> Result<registry::v1::SummarizeByRegionResponse, Status> {
    ctx.call(
        registry::v1::SummarizeByRegionRequest {
            region_prefix: key.region_prefix.clone(),
            group_by: key.group_by,
            year,
            baseline_year: 0,
            as_of: Some(date_to_pb(key.as_of)),
        },
        |mut c: RegistryClient, r| async move { c.summarize_by_region(r).await },
    )
    .await
}

/// The five SummarizeByRegion calls, in parallel, each bounded by the context.
async fn fan_out(ctx: &CallCtx, key: &SummaryKey) -> Answers {
    let prefix = || key.region_prefix.clone();
    let (registry, education, health, housing, water) = tokio::join!(
        registry_summary(ctx, key, key.year),
        ctx.call(
            education::v1::SummarizeByRegionRequest {
                region_prefix: prefix(),
                group_by: key.group_by,
                as_of: Some(date_to_pb(key.as_of)),
                survey_id: String::new(),
            },
            |mut c: EducationClient, r| async move { c.summarize_by_region(r).await },
        ),
        ctx.call(
            health::v1::SummarizeByRegionRequest {
                region_prefix: prefix(),
                group_by: key.group_by,
                coverage_year: key.year,
                latest_enrolled_year: key.latest_year_with_data,
            },
            |mut c: HealthClient, r| async move { c.summarize_by_region(r).await },
        ),
        ctx.call(
            housing::v1::SummarizeByRegionRequest {
                region_prefix: prefix(),
                group_by: key.group_by,
            },
            |mut c: HousingClient, r| async move { c.summarize_by_region(r).await },
        ),
        ctx.call(
            water::v1::SummarizeByRegionRequest {
                region_prefix: prefix(),
                group_by: key.group_by,
            },
            |mut c: WaterClient, r| async move { c.summarize_by_region(r).await },
        ),
    );
    Answers {
        registry,
        education,
        health,
        housing,
        water,
    }
}

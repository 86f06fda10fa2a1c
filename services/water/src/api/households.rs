//! A household's drinking water: GetHouseholdWater, ListExceptions, SummarizeByRegion.

use sha2::{Digest, Sha256};
use xk_contracts::pb::water::v1::*;
use xk_contracts::types::HouseholdId;
use xk_runtime::paging::Page;
use xk_runtime::scope::{check_summary, optional_prefix, summary_answer};
use xk_runtime::{ApiError, Violations};

use super::{MAX_QUERY_HOUSEHOLDS, WaterApi};
use crate::store::assessments::{self as store, CurrentFilter};
use crate::store::summary;

/// GetHouseholdWater: the current status (the latest by date), the history newest first,
/// and the latest seasonal check.
pub(super) async fn get_water(
    api: &WaterApi,
    req: GetHouseholdWaterRequest,
) -> Result<GetHouseholdWaterResponse, ApiError> {
    let id =
        HouseholdId::parse(&req.household_id).map_err(|e| ApiError::invalid("household_id", e))?;
    let history = store::history(api.db.conn(), store::Reads::of(&api.db), id.as_str()).await?;
    let Some(current) = history.first().cloned() else {
        return Err(ApiError::not_found("household water record", id.as_str()));
    };
    let latest_seasonal_check = history.iter().find(|a| a.seasonal_check).cloned();
    Ok(GetHouseholdWaterResponse {
        current: Some(current),
        history,
        latest_seasonal_check,
    })
}

/// ListExceptions: unsafe households, seasonal shortages, or the households among those
/// given that were never assessed.
pub(super) async fn list_exceptions(
    api: &WaterApi,
    req: ListExceptionsRequest,
) -> Result<ListExceptionsResponse, ApiError> {
    let mut v = Violations::new();
    let kind = ExceptionKind::try_from(req.kind).unwrap_or(ExceptionKind::Unspecified);
    if kind == ExceptionKind::Unspecified {
        v.add(
            "kind",
            format!(
                "required: UNSAFE, SEASONAL_SHORTAGE or NEVER_ASSESSED, got {}",
                req.kind
            ),
        );
    }
    let prefix = optional_prefix(&mut v, "region_prefix", &req.region_prefix);
    let mut ids: Vec<String> = Vec::new();
    if kind == ExceptionKind::NeverAssessed {
        if !req.region_prefix.is_empty() {
            v.add(
                "region_prefix",
                "not allowed with NEVER_ASSESSED: the service knows no village for a household it never assessed",
            );
        }
        if req.household_ids.is_empty() || req.household_ids.len() > MAX_QUERY_HOUSEHOLDS {
            v.add(
                "household_ids",
                format!(
                    "NEVER_ASSESSED needs 1 to {MAX_QUERY_HOUSEHOLDS} household ids, got {}",
                    req.household_ids.len()
                ),
            );
        }
        for (i, h) in req.household_ids.iter().enumerate() {
            if let Some(h) = v.check(format!("household_ids[{i}]"), HouseholdId::parse(h)) {
                ids.push(h.as_str().to_string());
            }
        }
    } else if !req.household_ids.is_empty() {
        v.add("household_ids", "only for NEVER_ASSESSED");
    }
    ids.sort_unstable();
    ids.dedup();
    let ids_digest = hex::encode(Sha256::digest(ids.join(",").as_bytes()));
    let fingerprint = format!("exceptions;k={};r={prefix};h={ids_digest}", req.kind);
    let page = Page::read(&mut v, req.page_size, &req.page_token, fingerprint);
    v.into_result()?;
    let exceptions: Vec<HouseholdException> = match kind {
        ExceptionKind::NeverAssessed => {
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let assessed =
                store::assessed_among(api.db.conn(), store::Reads::of(&api.db), &refs).await?;
            ids.into_iter()
                .filter(|h| !assessed.contains(h))
                .filter(|h| page.after.as_deref().is_none_or(|a| h.as_str() > a))
                .take(page.fetch() as usize)
                .map(|household_id| HouseholdException {
                    household_id,
                    kind: kind as i32,
                    assessment: None,
                })
                .collect()
        }
        ExceptionKind::Unsafe | ExceptionKind::SeasonalShortage => {
            let filter = if kind == ExceptionKind::Unsafe {
                CurrentFilter::Unsafe
            } else {
                CurrentFilter::SeasonalShortage
            };
            store::list_current(
                api.db.conn(),
                store::Reads::of(&api.db),
                filter,
                &prefix,
                page.after.as_deref(),
                page.fetch(),
            )
            .await?
            .into_iter()
            .map(|(household_id, a)| HouseholdException {
                household_id,
                kind: kind as i32,
                assessment: Some(a),
            })
            .collect()
        }
        ExceptionKind::Unspecified => Vec::new(),
    };
    Ok(page.answer(exceptions, |e| &e.household_id))
}

/// SummarizeByRegion: counts over the current statuses, grouped in SQL. No figure compares
/// a date with the request, so the rollups answer whenever they are kept, else the rows.
pub(super) async fn summarize(
    api: &WaterApi,
    req: SummarizeByRegionRequest,
) -> Result<SummarizeByRegionResponse, ApiError> {
    let (scope, ()) = check_summary(&req.region_prefix, req.group_by, |_| ())?;
    let prefix = scope.prefix.as_str();
    let q = summary::SummaryQuery {
        prefix: prefix.to_string(),
        group_len: scope.group_len,
    };
    let source = api.db.summary_source(&[]).await?;
    let groups = summary::summarize(api.db.conn(), &q, source).await?;
    Ok(summary_answer(groups, |g| summary::total(prefix, g)))
}

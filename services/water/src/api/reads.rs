//! Read RPCs: GetScheme, ListSchemes, GetHouseholdWater, ListExceptions, SummarizeByRegion.

use sha2::{Digest, Sha256};
use tonic::Status;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::water::v1::*;
use xk_contracts::types::{HouseholdId, RegionPrefix};
use xk_runtime::Violations;
use xk_runtime::errors::invalid;
use xk_runtime::paging;

use super::{MAX_QUERY_HOUSEHOLDS, WaterApi};
use crate::error::WaterError;
use crate::store::{self, CurrentFilter, summary};

fn optional_prefix(v: &mut Violations, field: &str, s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    v.check(field, RegionPrefix::parse(s))
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

/// Cuts a page fetched with one extra row and returns the next-page token.
fn page<T>(rows: &mut Vec<T>, size: u64, fingerprint: &str, key: impl Fn(&T) -> &str) -> String {
    if rows.len() as u64 > size {
        rows.truncate(size as usize);
        rows.last()
            .map(|r| paging::encode_token(fingerprint, key(r)))
            .unwrap_or_default()
    } else {
        String::new()
    }
}

impl WaterApi {
    pub(super) async fn get_scheme_impl(
        &self,
        req: GetSchemeRequest,
    ) -> Result<GetSchemeResponse, Status> {
        if req.scheme_id.is_empty() {
            return Err(invalid("scheme_id", "required"));
        }
        let scheme = store::get_scheme(self.db.conn(), &req.scheme_id).await?;
        Ok(GetSchemeResponse {
            scheme: Some(scheme),
        })
    }

    pub(super) async fn list_schemes_impl(
        &self,
        req: ListSchemesRequest,
    ) -> Result<ListSchemesResponse, Status> {
        let mut v = Violations::new();
        let prefix = optional_prefix(&mut v, "region_prefix", &req.region_prefix);
        let fingerprint = format!("schemes;r={prefix}");
        let size = v.check("page_size", paging::page_size(req.page_size));
        let after = v
            .check(
                "page_token",
                paging::decode_token(&req.page_token, &fingerprint),
            )
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let mut schemes =
            store::list_schemes(self.db.conn(), &prefix, after.as_deref(), size + 1).await?;
        let next_page_token = page(&mut schemes, size, &fingerprint, |s| &s.scheme_id);
        Ok(ListSchemesResponse {
            schemes,
            next_page_token,
        })
    }

    pub(super) async fn list_village_areas_impl(
        &self,
        req: ListVillageAreasRequest,
    ) -> Result<ListVillageAreasResponse, Status> {
        let mut v = Violations::new();
        let prefix = optional_prefix(&mut v, "region_prefix", &req.region_prefix);
        let fingerprint = format!("village_areas;r={prefix}");
        let size = v.check("page_size", paging::page_size(req.page_size));
        let after = v
            .check(
                "page_token",
                paging::decode_token(&req.page_token, &fingerprint),
            )
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let rows =
            store::list_village_areas(self.db.conn(), &prefix, after.as_deref(), size + 1).await?;
        let mut village_areas: Vec<VillageArea> = rows
            .into_iter()
            .map(|(village_code, area)| VillageArea { village_code, area })
            .collect();
        let next_page_token = page(&mut village_areas, size, &fingerprint, |x| &x.village_code);
        Ok(ListVillageAreasResponse {
            village_areas,
            next_page_token,
        })
    }

    pub(super) async fn get_household_water_impl(
        &self,
        req: GetHouseholdWaterRequest,
    ) -> Result<GetHouseholdWaterResponse, Status> {
        let id = HouseholdId::parse(&req.household_id).map_err(|e| invalid("household_id", e))?;
        let history = store::history(self.db.conn(), id.as_str()).await?;
        let Some(current) = history.first().cloned() else {
            return Err(WaterError::NotFound {
                what: "household water record",
                name: id.as_str().to_string(),
            }
            .into());
        };
        let latest_seasonal_check = history.iter().find(|a| a.seasonal_check).cloned();
        Ok(GetHouseholdWaterResponse {
            current: Some(current),
            history,
            latest_seasonal_check,
        })
    }

    pub(super) async fn list_exceptions_impl(
        &self,
        req: ListExceptionsRequest,
    ) -> Result<ListExceptionsResponse, Status> {
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
        let size = v.check("page_size", paging::page_size(req.page_size));
        let after = v
            .check(
                "page_token",
                paging::decode_token(&req.page_token, &fingerprint),
            )
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let mut exceptions: Vec<HouseholdException> = match kind {
            ExceptionKind::NeverAssessed => {
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                let assessed = store::assessed_among(self.db.conn(), &refs).await?;
                ids.into_iter()
                    .filter(|h| !assessed.contains(h))
                    .filter(|h| after.as_deref().is_none_or(|a| h.as_str() > a))
                    .take(size as usize + 1)
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
                store::list_current(self.db.conn(), filter, &prefix, after.as_deref(), size + 1)
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
        let next_page_token = page(&mut exceptions, size, &fingerprint, |e| &e.household_id);
        Ok(ListExceptionsResponse {
            exceptions,
            next_page_token,
        })
    }

    pub(super) async fn summarize_impl(
        &self,
        req: SummarizeByRegionRequest,
    ) -> Result<SummarizeByRegionResponse, Status> {
        let mut v = Violations::new();
        let prefix = if req.region_prefix.is_empty() {
            v.add(
                "region_prefix",
                "required: a 6-, 9- or 12-digit region prefix",
            );
            None
        } else {
            v.check("region_prefix", RegionPrefix::parse(&req.region_prefix))
        };
        let group_len = match RegionLevel::try_from(req.group_by) {
            Ok(RegionLevel::Unspecified | RegionLevel::Township) => 9,
            Ok(RegionLevel::County) => 6,
            Ok(RegionLevel::Village) => 12,
            Err(_) => {
                v.add("group_by", format!("unknown region level {}", req.group_by));
                9
            }
        };
        v.into_result()?;
        let Some(prefix) = prefix else {
            return Err(invalid("region_prefix", "required"));
        };
        let q = summary::SummaryQuery {
            prefix: prefix.as_str().to_string(),
            group_len: group_len.max(prefix.as_str().len()),
        };
        let groups = summary::summarize(self.db.conn(), &q).await?;
        let total = summary::total(prefix.as_str(), &groups);
        Ok(SummarizeByRegionResponse {
            groups,
            total: Some(total),
        })
    }
}

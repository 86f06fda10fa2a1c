//! Read RPCs: sites, relocations, appraisals, ListExceptions, SummarizeByRegion.

use tonic::Status;
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::housing::v1 as pb;
use xk_contracts::types::RegionPrefix;
use xk_runtime::clock::today;
use xk_runtime::paging;
use xk_runtime::{ApiError, Violations};

use super::convert::{household, id};
use super::{HousingApi, Read};
use crate::domain::ExceptionKind;
use crate::store::{appraisals, exceptions, relocations, sites, summary};

fn optional_prefix(v: &mut Violations, field: &str, s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    v.check(field, RegionPrefix::parse(s))
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

/// A wire exception kind: `Ok(None)` for "any".
fn kind_filter(v: i32) -> Result<Option<ExceptionKind>, String> {
    use pb::ExceptionKind as K;
    Ok(Some(match K::try_from(v) {
        Ok(K::Unspecified) => return Ok(None),
        Ok(K::NotMovedIn) => ExceptionKind::NotMovedIn,
        Ok(K::NotDemolishedAfterGrace) => ExceptionKind::NotDemolishedAfterGrace,
        Ok(K::NoEmployment) => ExceptionKind::NoEmployment,
        Ok(K::OverAreaWithoutReason) => ExceptionKind::OverAreaWithoutReason,
        Ok(K::NoFollowUpSupport) => ExceptionKind::NoFollowUpSupport,
        Ok(K::DangerousNotRenovated) => ExceptionKind::DangerousNotRenovated,
        Err(_) => return Err(format!("unknown exception kind {v}")),
    }))
}

/// The wire number of a domain exception kind.
fn kind_to_pb(k: ExceptionKind) -> pb::ExceptionKind {
    use pb::ExceptionKind as K;
    match k {
        ExceptionKind::NotMovedIn => K::NotMovedIn,
        ExceptionKind::NotDemolishedAfterGrace => K::NotDemolishedAfterGrace,
        ExceptionKind::NoEmployment => K::NoEmployment,
        ExceptionKind::OverAreaWithoutReason => K::OverAreaWithoutReason,
        ExceptionKind::NoFollowUpSupport => K::NoFollowUpSupport,
        ExceptionKind::DangerousNotRenovated => K::DangerousNotRenovated,
        // Refused on every write, so never stored; listed as unspecified if ever met.
        ExceptionKind::DebtAtOrOverCap => K::Unspecified,
    }
}

/// Splits a page of `size + 1` rows into the page and the next token.
fn page<T>(
    mut rows: Vec<T>,
    size: u64,
    filter: &str,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, String) {
    if rows.len() as u64 > size {
        rows.truncate(size as usize);
        let token = rows
            .last()
            .map(|r| paging::encode_token(filter, &key(r)))
            .unwrap_or_default();
        (rows, token)
    } else {
        (rows, String::new())
    }
}

/// GetSite.
impl Read for pb::GetSiteRequest {
    type Reply = pb::GetSiteResponse;

    async fn handle(self, api: &HousingApi) -> Result<Self::Reply, ApiError> {
        let mut v = Violations::new();
        id(&mut v, "site_id", &self.site_id);
        v.into_result()?;
        let site = sites::get(api.db.conn(), &self.site_id).await?;
        Ok(pb::GetSiteResponse { site: Some(site) })
    }
}

/// ListSites: in site-id order under a region prefix.
impl Read for pb::ListSitesRequest {
    type Reply = pb::ListSitesResponse;

    async fn handle(self, api: &HousingApi) -> Result<Self::Reply, ApiError> {
        let mut v = Violations::new();
        let prefix = optional_prefix(&mut v, "region_prefix", &self.region_prefix);
        let filter = format!("sites;r={prefix}");
        let size = v.check("page_size", paging::page_size(self.page_size));
        let after = v
            .check(
                "page_token",
                paging::decode_token(&self.page_token, &filter),
            )
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let rows = sites::list(api.db.conn(), &prefix, after.as_deref(), size + 1).await?;
        let (sites, next_page_token) = page(rows, size, &filter, |s| s.site_id.clone());
        Ok(pb::ListSitesResponse {
            sites,
            next_page_token,
        })
    }
}

/// GetRelocation.
impl Read for pb::GetRelocationRequest {
    type Reply = pb::GetRelocationResponse;

    async fn handle(self, api: &HousingApi) -> Result<Self::Reply, ApiError> {
        household(&self.household_id).into_result()?;
        let r = relocations::get(api.db.conn(), &self.household_id).await?;
        Ok(pb::GetRelocationResponse {
            relocation: Some(r),
        })
    }
}

/// ListRelocations: in household-id order, under a region prefix, at one site if asked.
impl Read for pb::ListRelocationsRequest {
    type Reply = pb::ListRelocationsResponse;

    async fn handle(self, api: &HousingApi) -> Result<Self::Reply, ApiError> {
        let mut v = Violations::new();
        let prefix = optional_prefix(&mut v, "region_prefix", &self.region_prefix);
        if !self.site_id.is_empty() {
            id(&mut v, "site_id", &self.site_id);
        }
        let filter = format!("relocations;r={prefix};s={}", self.site_id);
        let size = v.check("page_size", paging::page_size(self.page_size));
        let after = v
            .check(
                "page_token",
                paging::decode_token(&self.page_token, &filter),
            )
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let rows = relocations::list(
            api.db.conn(),
            &prefix,
            &self.site_id,
            after.as_deref(),
            size + 1,
        )
        .await?;
        let (relocations, next_page_token) = page(rows, size, &filter, |r| r.household_id.clone());
        Ok(pb::ListRelocationsResponse {
            relocations,
            next_page_token,
        })
    }
}

/// GetAppraisal.
impl Read for pb::GetAppraisalRequest {
    type Reply = pb::GetAppraisalResponse;

    async fn handle(self, api: &HousingApi) -> Result<Self::Reply, ApiError> {
        household(&self.household_id).into_result()?;
        let a = appraisals::find(api.db.conn(), &self.household_id)
            .await?
            .ok_or_else(|| ApiError::not_found("appraisal", &self.household_id))?;
        Ok(pb::GetAppraisalResponse { appraisal: Some(a) })
    }
}

/// ListExceptions: relocated households first (token `r:<id>`), then appraisals (token
/// `a:<id>`).
impl Read for pb::ListExceptionsRequest {
    type Reply = pb::ListExceptionsResponse;

    async fn handle(self, api: &HousingApi) -> Result<Self::Reply, ApiError> {
        let mut v = Violations::new();
        let prefix = optional_prefix(&mut v, "region_prefix", &self.region_prefix);
        let kind = v.check("kind", kind_filter(self.kind)).flatten();
        let as_of = match &self.as_of {
            None => Some(today()),
            Some(d) => v.check("as_of", date_from_pb(d)),
        };
        let filter = format!(
            "exceptions;r={prefix};k={};d={:?}",
            self.kind,
            as_of.map(|d| d.to_string())
        );
        let size = v.check("page_size", paging::page_size(self.page_size));
        let after = v
            .check(
                "page_token",
                paging::decode_token(&self.page_token, &filter),
            )
            .flatten();
        let (phase, after_key) = match after.as_deref() {
            None => ('r', None),
            Some(t) => match t.split_once(':') {
                Some(("r", k)) => ('r', Some(k.to_string())),
                Some(("a", k)) => ('a', Some(k.to_string())),
                _ => {
                    v.add("page_token", "not a token this service issued");
                    ('r', None)
                }
            },
        };
        v.into_result()?;
        let (Some(as_of), Some(size)) = (as_of, size) else {
            return Err(Status::internal("validated fields missing").into());
        };
        let conn = api.db.conn();
        let wants_appraisals = kind.is_none_or(|k| k == ExceptionKind::DangerousNotRenovated);
        let wants_relocations = kind.is_none_or(|k| k != ExceptionKind::DangerousNotRenovated);
        let mut rows = Vec::new();
        let mut token_key = None;
        if phase == 'r' && wants_relocations {
            let mut got =
                exceptions::relocations(conn, &prefix, kind, as_of, after_key.as_deref(), size + 1)
                    .await?;
            if got.len() as u64 > size {
                got.truncate(size as usize);
                token_key = got.last().map(|r| format!("r:{}", r.0));
            }
            rows.extend(got);
        }
        if token_key.is_none() && wants_appraisals {
            let remaining = size - rows.len() as u64;
            let after_a = if phase == 'a' {
                after_key.as_deref()
            } else {
                None
            };
            let mut got =
                exceptions::appraisals(conn, &prefix, as_of, after_a, remaining + 1).await?;
            if got.len() as u64 > remaining {
                got.truncate(remaining as usize);
                token_key = match got.last() {
                    Some(r) => Some(format!("a:{}", r.0)),
                    // The page is full of relocations and appraisals remain.
                    None => rows.last().map(|r| format!("r:{}", r.0)),
                };
            }
            rows.extend(got);
        }
        let exceptions = rows
            .into_iter()
            .map(|(household_id, village_code, kinds)| pb::HousingException {
                household_id,
                village_code,
                kinds: kinds.into_iter().map(|k| kind_to_pb(k) as i32).collect(),
            })
            .collect();
        Ok(pb::ListExceptionsResponse {
            exceptions,
            next_page_token: token_key
                .map(|k| paging::encode_token(&filter, &k))
                .unwrap_or_default(),
        })
    }
}

/// SummarizeByRegion: computed in SQL.
impl Read for pb::SummarizeByRegionRequest {
    type Reply = pb::SummarizeByRegionResponse;

    async fn handle(self, api: &HousingApi) -> Result<Self::Reply, ApiError> {
        let mut v = Violations::new();
        let prefix = if self.region_prefix.is_empty() {
            v.add(
                "region_prefix",
                "required: a 6-, 9- or 12-digit region prefix",
            );
            None
        } else {
            v.check("region_prefix", RegionPrefix::parse(&self.region_prefix))
        };
        let group_len = match RegionLevel::try_from(self.group_by) {
            Ok(RegionLevel::Unspecified | RegionLevel::Township) => 9,
            Ok(RegionLevel::County) => 6,
            Ok(RegionLevel::Village) => 12,
            Err(_) => {
                v.add(
                    "group_by",
                    format!("unknown region level {}", self.group_by),
                );
                9
            }
        };
        v.into_result()?;
        let Some(prefix) = prefix else {
            return Err(Status::internal("validated fields missing").into());
        };
        let groups = summary::summarize(
            api.db.conn(),
            prefix.as_str(),
            group_len.max(prefix.as_str().len()),
        )
        .await?;
        let total = summary::total(prefix.as_str(), &groups);
        Ok(pb::SummarizeByRegionResponse {
            groups,
            total: Some(total),
        })
    }
}

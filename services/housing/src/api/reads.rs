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
use crate::store::{Page, appraisals, exceptions, relocations, sites, summary};

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

/// A list request's paging, checked: its region prefix (empty for all), its page size, and
/// the key the page starts after, from a token issued for the same `filter`.
struct Paging {
    prefix: String,
    size: u64,
    after: Option<String>,
    filter: String,
}

impl Paging {
    /// Checks the paging fields of a list request; `filter` names the list and its filters
    /// given the checked prefix, so a token is only good for the list that issued it.
    fn check(
        v: &mut Violations,
        (region_prefix, page_size, page_token): (&str, i32, &str),
        filter: impl FnOnce(&str) -> String,
    ) -> Paging {
        let prefix = if region_prefix.is_empty() {
            String::new()
        } else {
            v.check("region_prefix", RegionPrefix::parse(region_prefix))
                .map(|p| p.as_str().to_string())
                .unwrap_or_default()
        };
        let filter = filter(&prefix);
        let size = v.check("page_size", paging::page_size(page_size));
        let after = v.check("page_token", paging::decode_token(page_token, &filter));
        Paging {
            prefix,
            size: size.unwrap_or(paging::DEFAULT_PAGE_SIZE),
            after: after.flatten(),
            filter,
        }
    }

    /// What to read: one row more than a page, which tells whether another page follows.
    fn rows(&self) -> Page<'_> {
        Page {
            region_prefix: &self.prefix,
            after: self.after.as_deref(),
            limit: self.size + 1,
        }
    }

    /// Splits the rows read into the page and the token of the next (empty on the last).
    fn split<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> &str) -> (Vec<T>, String) {
        if rows.len() as u64 <= self.size {
            return (rows, String::new());
        }
        rows.truncate(self.size as usize);
        let token = rows
            .last()
            .map(|r| paging::encode_token(&self.filter, key(r)))
            .unwrap_or_default();
        (rows, token)
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
        let fields = (
            self.region_prefix.as_str(),
            self.page_size,
            self.page_token.as_str(),
        );
        let paging = Paging::check(&mut v, fields, |prefix| format!("sites;r={prefix}"));
        v.into_result()?;
        let rows = sites::list(api.db.conn(), paging.rows()).await?;
        let (sites, next_page_token) = paging.split(rows, |s| &s.site_id);
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
        let fields = (
            self.region_prefix.as_str(),
            self.page_size,
            self.page_token.as_str(),
        );
        let site_id = self.site_id.as_str();
        let paging = Paging::check(&mut v, fields, |prefix| {
            format!("relocations;r={prefix};s={site_id}")
        });
        if !site_id.is_empty() {
            id(&mut v, "site_id", site_id);
        }
        v.into_result()?;
        let rows = relocations::list(api.db.conn(), site_id, paging.rows()).await?;
        let (relocations, next_page_token) = paging.split(rows, |r| &r.household_id);
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
        let kind = v.check("kind", kind_filter(self.kind)).flatten();
        let as_of = match &self.as_of {
            None => Some(today()),
            Some(d) => v.check("as_of", date_from_pb(d)),
        };
        let fields = (
            self.region_prefix.as_str(),
            self.page_size,
            self.page_token.as_str(),
        );
        let paging = Paging::check(&mut v, fields, |prefix| {
            let day = as_of.map(|d| d.to_string());
            format!("exceptions;r={prefix};k={};d={day:?}", self.kind)
        });
        let (phase, after_key) = match paging.after.as_deref() {
            None => ('r', None),
            Some(t) => match t.split_once(':') {
                Some(("r", k)) => ('r', Some(k)),
                Some(("a", k)) => ('a', Some(k)),
                _ => {
                    v.add("page_token", "not a token this service issued");
                    ('r', None)
                }
            },
        };
        v.into_result()?;
        let Some(as_of) = as_of else {
            return Err(Status::internal("validated fields missing").into());
        };
        let (conn, size) = (api.db.conn(), paging.size);
        let page = |after, limit| Page {
            region_prefix: &paging.prefix,
            after,
            limit,
        };
        let wants_appraisals = kind.is_none_or(|k| k == ExceptionKind::DangerousNotRenovated);
        let wants_relocations = kind.is_none_or(|k| k != ExceptionKind::DangerousNotRenovated);
        let mut rows = Vec::new();
        let mut token_key = None;
        if phase == 'r' && wants_relocations {
            let mut got =
                exceptions::relocations(conn, kind, as_of, page(after_key, size + 1)).await?;
            if got.len() as u64 > size {
                got.truncate(size as usize);
                token_key = got.last().map(|r| format!("r:{}", r.0));
            }
            rows.extend(got);
        }
        if token_key.is_none() && wants_appraisals {
            let remaining = size - rows.len() as u64;
            let after_a = if phase == 'a' { after_key } else { None };
            let mut got = exceptions::appraisals(conn, as_of, page(after_a, remaining + 1)).await?;
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
                .map(|k| paging::encode_token(&paging.filter, &k))
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

//! Read RPCs: sites, relocations, appraisals, ListExceptions, SummarizeByRegion.

use tonic::Status;
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::clock::today;
use xk_runtime::paging;
use xk_runtime::query::Keyset;
use xk_runtime::scope::{check_summary, summary_answer};
use xk_runtime::{ApiError, Violations};

use super::convert::{household, id};
use super::{HousingApi, Read};
use crate::domain::ExceptionKind;
use crate::store::{appraisals, exceptions, relocations, sites, summary};

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
        let page = paging::Page::of_list("sites", &self)?;
        let sites = sites::list(api.db.conn(), (&page).into()).await?;
        Ok(page.answer(sites, |s| &s.site_id))
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
        let (size, token) = (self.page_size, self.page_token.as_str());
        let site_id = self.site_id.as_str();
        let page = paging::Page::under_region(&mut v, &self.region_prefix, size, token, |r| {
            format!("relocations;r={r};s={site_id}")
        });
        if !site_id.is_empty() {
            id(&mut v, "site_id", site_id);
        }
        v.into_result()?;
        let relocations = relocations::list(api.db.conn(), site_id, (&page).into()).await?;
        Ok(page.answer(relocations, |r| &r.household_id))
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
        let (size, token) = (self.page_size, self.page_token.as_str());
        let listing =
            paging::Page::under_region(&mut v, &self.region_prefix, size, token, |prefix| {
                let day = as_of.map(|d| d.to_string());
                format!("exceptions;r={prefix};k={};d={day:?}", self.kind)
            });
        let (phase, after_key) = listing
            .after_parsed(&mut v, |t| match t.split_once(':') {
                Some(("r", k)) => Some(('r', k)),
                Some(("a", k)) => Some(('a', k)),
                _ => None,
            })
            .map_or(('r', None), |(phase, k)| (phase, Some(k)));
        v.into_result()?;
        let Some(as_of) = as_of else {
            return Err(Status::internal("validated fields missing").into());
        };
        let (conn, size) = (api.db.conn(), listing.size);
        let page = |after, limit| Keyset {
            region_prefix: &listing.prefix,
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
                .map(|k| paging::encode_token(&listing.filter, &k))
                .unwrap_or_default(),
        })
    }
}

/// SummarizeByRegion: computed in SQL. No figure compares a date with the request, so the
/// rollups answer whenever they are kept, else the rows.
impl Read for pb::SummarizeByRegionRequest {
    type Reply = pb::SummarizeByRegionResponse;

    async fn handle(self, api: &HousingApi) -> Result<Self::Reply, ApiError> {
        let (scope, ()) = check_summary(&self.region_prefix, self.group_by, |_| ())?;
        let prefix = scope.prefix.as_str();
        let source = api.db.summary_source(&[]).await?;
        let groups = summary::summarize(api.db.conn(), prefix, scope.group_len, source).await?;
        Ok(summary_answer(groups, |g| summary::total(prefix, g)))
    }
}

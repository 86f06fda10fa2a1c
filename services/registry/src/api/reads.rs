//! Read RPCs: Get, List, Export, ListVillages, SummarizeByRegion.

use std::pin::Pin;

use chrono::Datelike;
use futures::Stream;
use tonic::Status;
use tracing::Instrument;
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::registry::v1::*;
use xk_contracts::types::{HouseholdId, RegionPrefix};
use xk_runtime::Violations;
use xk_runtime::errors::invalid;
use xk_runtime::paging;

use super::{EXPORT_CHUNK, RegistryApi, category_filter, status_filter};
use crate::domain::{rules::alert_cutoff, today};
use crate::store::{self, HouseholdFilter, summary};

/// The server-streaming type of ExportHouseholds.
pub type ExportStream =
    Pin<Box<dyn Stream<Item = Result<ExportHouseholdsResponse, Status>> + Send>>;

fn optional_prefix(v: &mut Violations, field: &str, s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    v.check(field, RegionPrefix::parse(s))
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

impl RegistryApi {
    pub(super) async fn get_household_impl(
        &self,
        req: GetHouseholdRequest,
    ) -> Result<GetHouseholdResponse, Status> {
        let id = HouseholdId::parse(&req.household_id).map_err(|e| invalid("household_id", e))?;
        if let Some(h) = self.cache.as_ref().and_then(|c| c.get(id.as_str())) {
            return Ok(GetHouseholdResponse { household: Some(h) });
        }
        let household = store::get(self.db.conn(), id.as_str()).await?;
        if let Some(c) = &self.cache {
            c.offer(&household);
        }
        Ok(GetHouseholdResponse {
            household: Some(household),
        })
    }

    pub(super) async fn list_households_impl(
        &self,
        req: ListHouseholdsRequest,
    ) -> Result<ListHouseholdsResponse, Status> {
        let mut v = Violations::new();
        let filter = HouseholdFilter {
            region_prefix: optional_prefix(&mut v, "region_prefix", &req.region_prefix),
            status: v.check("status", status_filter(req.status)).flatten(),
            monitoring_category: v
                .check(
                    "monitoring_category",
                    category_filter(req.monitoring_category),
                )
                .flatten(),
        };
        let size = v.check("page_size", paging::page_size(req.page_size));
        let after = v
            .check(
                "page_token",
                paging::decode_token(&req.page_token, &filter.fingerprint()),
            )
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        // One extra row tells whether another page exists.
        let mut households =
            store::list(self.db.conn(), &filter, after.as_deref(), size + 1).await?;
        let next_page_token = if households.len() as u64 > size {
            households.truncate(size as usize);
            households
                .last()
                .map(|h| paging::encode_token(&filter.fingerprint(), &h.household_id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ListHouseholdsResponse {
            households,
            next_page_token,
        })
    }

    pub(super) fn export_households_impl(
        &self,
        req: ExportHouseholdsRequest,
    ) -> Result<ExportStream, Status> {
        let mut v = Violations::new();
        let filter = HouseholdFilter {
            region_prefix: optional_prefix(&mut v, "region_prefix", &req.region_prefix),
            status: v.check("status", status_filter(req.status)).flatten(),
            monitoring_category: None,
        };
        v.into_result()?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let db = self.db.clone();
        tokio::spawn(
            async move {
                let mut after: Option<String> = None;
                loop {
                    let page =
                        store::list(db.conn(), &filter, after.as_deref(), EXPORT_CHUNK).await;
                    let page = match page {
                        Ok(p) => p,
                        Err(e) => {
                            let _ = tx.send(Err(Status::from(e))).await;
                            return;
                        }
                    };
                    let done = (page.len() as u64) < EXPORT_CHUNK;
                    after = page.last().map(|h| h.household_id.clone());
                    if !page.is_empty()
                        && tx
                            .send(Ok(ExportHouseholdsResponse { households: page }))
                            .await
                            .is_err()
                    {
                        return; // the client went away
                    }
                    if done {
                        return;
                    }
                }
            }
            // The export's queries stay in the caller's trace.
            .in_current_span(),
        );
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }

    pub(super) async fn list_villages_impl(
        &self,
        req: ListVillagesRequest,
    ) -> Result<ListVillagesResponse, Status> {
        let mut v = Violations::new();
        let prefix = optional_prefix(&mut v, "region_prefix", &req.region_prefix);
        let fingerprint = format!("villages;r={prefix}");
        let size = v.check("page_size", paging::page_size(req.page_size));
        let after = v
            .check(
                "page_token",
                paging::decode_token(&req.page_token, &fingerprint),
            )
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let mut villages =
            store::list_villages(self.db.conn(), &prefix, after.as_deref(), size + 1).await?;
        let next_page_token = if villages.len() as u64 > size {
            villages.truncate(size as usize);
            villages
                .last()
                .map(|x| paging::encode_token(&fingerprint, &x.village_code))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ListVillagesResponse {
            villages,
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
        let as_of = match &req.as_of {
            None => Some(today()),
            Some(d) => v.check("as_of", date_from_pb(d)),
        };
        if req.year != 0 && !(2000..=2100).contains(&req.year) {
            v.add(
                "year",
                format!("must be 0 or between 2000 and 2100, got {}", req.year),
            );
        }
        if req.baseline_year != 0 && !(2000..=2100).contains(&req.baseline_year) {
            v.add(
                "baseline_year",
                format!(
                    "must be 0 or between 2000 and 2100, got {}",
                    req.baseline_year
                ),
            );
        }
        v.into_result()?;
        let (Some(prefix), Some(as_of)) = (prefix, as_of) else {
            return Err(Status::internal("validated fields missing"));
        };
        let year = if req.year == 0 {
            as_of.year()
        } else {
            req.year
        };
        let policy = self.policy_in(year);
        let q = summary::SummaryQuery {
            prefix: prefix.as_str().to_string(),
            group_len: group_len.max(prefix.as_str().len()),
            year,
            baseline_year: if req.baseline_year == 0 {
                2014
            } else {
                req.baseline_year
            },
            alert_cutoff: alert_cutoff(as_of, self.policy_in(as_of.year())),
            village_income_fen: policy.poor_village_collective_income_fen,
        };
        let groups = summary::summarize(self.db.conn(), &q).await?;
        let total = summary::total(prefix.as_str(), &groups);
        Ok(SummarizeByRegionResponse {
            groups,
            total: Some(total),
        })
    }
}

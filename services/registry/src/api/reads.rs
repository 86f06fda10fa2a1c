//! Household reads: GetHousehold (from the record cache when there is one),
//! ListHouseholds, ExportHouseholds, and SummarizeByRegion.

use std::pin::Pin;

use chrono::Datelike;
use futures::Stream;
use tonic::Status;
use tracing::Instrument;
use xk_contracts::pb::registry::v1::*;
use xk_contracts::types::HouseholdId;
use xk_runtime::paging::Page;
use xk_runtime::query::Keyset;
use xk_runtime::scope::{self, check_summary, optional_prefix};
use xk_runtime::{ApiError, Violations};

use super::{EXPORT_CHUNK, RegistryApi, category_filter, status_filter};
use crate::domain::monitoring::alert_cutoff;
use crate::policy::{FIRST_YEAR, LAST_YEAR};
use crate::store::{self, HouseholdFilter, summary};

/// The server-streaming type of ExportHouseholds.
pub type ExportStream =
    Pin<Box<dyn Stream<Item = Result<ExportHouseholdsResponse, Status>> + Send>>;

/// The region and status filter a list and an export share (any monitoring category).
fn household_filter(v: &mut Violations, region_prefix: &str, status: i32) -> HouseholdFilter {
    HouseholdFilter {
        region_prefix: optional_prefix(v, "region_prefix", region_prefix),
        status: v.check("status", status_filter(status)).flatten(),
        monitoring_category: None,
    }
}

impl RegistryApi {
    /// GetHousehold: one household with its members, incomes and timeline.
    pub(super) async fn get_household(
        &self,
        req: GetHouseholdRequest,
    ) -> Result<GetHouseholdResponse, ApiError> {
        let id = HouseholdId::parse(&req.household_id)
            .map_err(|e| ApiError::invalid("household_id", e))?;
        if let Some(h) = self.cache.as_ref().and_then(|c| c.get(id.as_str())) {
            return Ok(GetHouseholdResponse { household: Some(h) });
        }
        let household = store::get(self.db.conn(), id.as_str(), self.lookup()).await?;
        if let Some(c) = &self.cache {
            c.offer(&household);
        }
        Ok(GetHouseholdResponse {
            household: Some(household),
        })
    }

    /// ListHouseholds: a page in household-id order under the filter.
    pub(super) async fn list_households(
        &self,
        req: ListHouseholdsRequest,
    ) -> Result<ListHouseholdsResponse, ApiError> {
        let mut v = Violations::new();
        let mut filter = household_filter(&mut v, &req.region_prefix, req.status);
        let category = category_filter(req.monitoring_category);
        filter.monitoring_category = v.check("monitoring_category", category).flatten();
        let page = Page::read(&mut v, req.page_size, &req.page_token, filter.fingerprint());
        v.into_result()?;
        let rows = Keyset::under(&filter.region_prefix, &page);
        let households = store::list(self.db.conn(), &filter, rows).await?;
        Ok(page.answer(households, |h| &h.household_id))
    }

    /// ExportHouseholds: every household under the filter, streamed in key order.
    pub(super) fn export_households(
        &self,
        req: ExportHouseholdsRequest,
    ) -> Result<ExportStream, ApiError> {
        let mut v = Violations::new();
        let filter = household_filter(&mut v, &req.region_prefix, req.status);
        v.into_result()?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let db = self.db.clone();
        tokio::spawn(
            async move {
                let mut after: Option<String> = None;
                loop {
                    let rows = Keyset {
                        region_prefix: &filter.region_prefix,
                        after: after.as_deref(),
                        limit: EXPORT_CHUNK,
                    };
                    let page = store::list(db.conn(), &filter, rows).await;
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

    /// SummarizeByRegion: counts by township or village, judged by the year's policy.
    pub(super) async fn summarize_by_region(
        &self,
        req: SummarizeByRegionRequest,
    ) -> Result<SummarizeByRegionResponse, ApiError> {
        let (scope, as_of) = check_summary(&req.region_prefix, req.group_by, |v| {
            let as_of = scope::as_of(v, req.as_of.as_ref());
            for (field, year) in [("year", req.year), ("baseline_year", req.baseline_year)] {
                if year != 0 && !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
                    v.add(
                        field,
                        format!("must be 0 or between {FIRST_YEAR} and {LAST_YEAR}, got {year}"),
                    );
                }
            }
            as_of
        })?;
        let prefix = scope.prefix.as_str();
        // Alerts are judged by the policy of the day asked about; the in-year counts by
        // that of the year asked about (the same unless a year is given).
        let alert_policy = self.policy.require(as_of.year(), "as_of")?;
        let (year, policy) = if req.year == 0 {
            (as_of.year(), alert_policy)
        } else {
            (req.year, self.policy.require(req.year, "year")?)
        };
        let q = summary::SummaryQuery {
            prefix: prefix.to_string(),
            group_len: scope.group_len,
            year,
            baseline_year: if req.baseline_year == 0 {
                2014
            } else {
                req.baseline_year
            },
            alert_cutoff: alert_cutoff(as_of, alert_policy),
            village_income_fen: policy.poor_village_collective_income_fen,
        };
        // The alert cutoff is the one date the figures compare: on or after the rollups'
        // floor they answer, before it the rows do (all figures from the one source).
        let source = self.db.summary_source(&[q.alert_cutoff]).await?;
        let groups = summary::summarize(self.db.conn(), &q, source).await?;
        Ok(scope::summary_answer(groups, |g| summary::total(prefix, g)))
    }
}

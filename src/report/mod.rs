//! `xiaokang report`: the county summary from a running suite's aggregator, as a terminal
//! table, as JSON, or as a self-contained HTML page with inline SVG charts.
//!
//! Every renderer is a pure function of the aggregator's `Summary` message; only
//! [`fetch`] does I/O.
//!
//! Module map:
//! - [`names`]: the county's and townships' names (DOMAIN.md §1), the one place they live.
//! - [`format`]: grouped integers, percentages from the data, fen as yuan.
//! - [`figures`]: what the report says, per section (shared by table and HTML).
//! - [`groups`]: the per-township rows.
//! - [`table`]: the terminal table.
//! - [`json`]: the JSON form (proto field names).
//! - [`svg`]: inline SVG bar charts.
//! - [`html`]: the self-contained page.
//! - [`sample`]: a hand-built summary with the demo county's figures (tests, previews).

pub mod figures;
pub mod format;
pub mod groups;
pub mod html;
pub mod json;
pub mod names;
pub mod sample;
pub mod svg;
pub mod table;

use std::time::Duration;

use anyhow::Context;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::{GetSummaryRequest, Summary};

use crate::client::{Bearer, channel};

/// How long the report waits for the aggregator (which itself gives each service less).
pub const SUMMARY_DEADLINE: Duration = Duration::from_secs(30);

/// Calls the aggregator's GetSummary at `url` with `token`.
pub async fn fetch(
    url: &str,
    token: Option<String>,
    request: GetSummaryRequest,
) -> anyhow::Result<Summary> {
    let mut client = AggregatorServiceClient::with_interceptor(channel(url)?, Bearer(token))
        .max_decoding_message_size(64 * 1024 * 1024);
    let mut req = tonic::Request::new(request);
    req.set_timeout(SUMMARY_DEADLINE);
    let resp = client
        .get_summary(req)
        .await
        .map_err(|s| anyhow::anyhow!("{:?}: {}", s.code(), s.message()))
        .with_context(|| format!("GetSummary from the aggregator at {url}"))?;
    resp.into_inner()
        .summary
        .context("the aggregator answered without a summary")
}

/// The title of a summary: the region's name and code.
pub fn title(s: &Summary) -> (String, String) {
    let zh = names::label_zh(&s.region_prefix);
    let en = names::label_en(&s.region_prefix);
    (zh, en)
}

/// `YYYY-MM-DD` of the summary's as-of date, or `—`.
pub fn as_of(s: &Summary) -> String {
    s.as_of
        .as_ref()
        .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
        .unwrap_or_else(|| "—".into())
}

/// The group level as words (`township`, `village`, `county`).
pub fn level(s: &Summary) -> &'static str {
    use xk_contracts::pb::common::v1::RegionLevel;
    match RegionLevel::try_from(s.group_by) {
        Ok(RegionLevel::County) => "county",
        Ok(RegionLevel::Village) => "village",
        _ => "township",
    }
}

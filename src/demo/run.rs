//! Loading the demo county into a running suite and reading the county summary back:
//! what `xiaokang demo`, `xiaokang up --demo` and the acceptance test share.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use tonic::codegen::InterceptedService;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::{CheckExitEligibilityRequest, GetSummaryRequest, Summary};
use xk_contracts::pb::common::v1::RegionLevel;
use xk_runtime::Principal;

use super::check::{self, Figure};
use super::load::{self, LoadReport, Progress};
use super::{County, published};
use crate::client::{Bearer, SuiteAddrs, channel};

/// The outcome of a demo run.
#[derive(Debug)]
pub struct DemoOutcome {
    /// The load's timings; `None` when the suite already held data and nothing was loaded.
    pub load: Option<LoadReport>,
    /// The county summary for the published year.
    pub summary: Summary,
    /// Every published figure with what the summary shows.
    pub figures: Vec<Figure>,
}

/// Loads `county` if the suite is empty, then reads the county summary for 2019 and checks
/// every published figure (including exit accuracy through CheckExitEligibility).
pub async fn load_and_check(
    county: &County,
    addrs: &SuiteAddrs,
    tokens: &HashMap<Principal, String>,
    progress: Progress,
) -> anyhow::Result<DemoOutcome> {
    let load = if load::registry_is_empty(addrs, tokens).await? {
        Some(load::load(county, addrs, tokens, progress).await?)
    } else {
        None
    };
    let token = tokens
        .get(&Principal::Aggregator)
        .or_else(|| tokens.get(&Principal::Admin))
        .cloned()
        .context("no aggregator or admin token to read the summary with")?;
    let agg = AggregatorServiceClient::new(InterceptedService::new(
        channel(addrs.url("aggregator")?)?,
        Bearer(Some(token)),
    ))
    .max_decoding_message_size(64 << 20);
    let mut req = tonic::Request::new(GetSummaryRequest {
        region_prefix: published::COUNTY.into(),
        as_of: None,
        year: published::YEAR,
        group_by: RegionLevel::Township as i32,
        latest_year_with_data: false,
    });
    req.set_timeout(Duration::from_secs(30));
    let summary = agg
        .clone()
        .get_summary(req)
        .await
        .context("GetSummary")?
        .into_inner()
        .summary
        .context("GetSummary answered without a summary")?;
    let mut figures = check::figures(&summary);
    let answers: Vec<Result<bool, tonic::Status>> =
        futures::stream::iter(county.exited_in_year.iter().cloned())
            .map(|household_id| {
                let mut agg = agg.clone();
                async move {
                    let mut req = tonic::Request::new(CheckExitEligibilityRequest {
                        household_id,
                        year: published::YEAR,
                    });
                    req.set_timeout(Duration::from_secs(30));
                    agg.check_exit_eligibility(req)
                        .await
                        .map(|r| r.into_inner().eligible)
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
    let asked = answers.len();
    let mut eligible = 0;
    for a in answers {
        if a.context("CheckExitEligibility")? {
            eligible += 1;
        }
    }
    figures.insert(6, check::exit_accuracy(eligible, asked));
    Ok(DemoOutcome {
        load,
        summary,
        figures,
    })
}

/// The outcome as text: load timings, the county summary as `xiaokang report` prints it,
/// then each published figure against the summary.
pub fn render(outcome: &DemoOutcome) -> String {
    let mut out = String::new();
    match &outcome.load {
        Some(l) => {
            out.push_str(&format!(
                "Loaded the demo county through the public RPCs in {:.1} s:\n",
                l.seconds
            ));
            for (name, records, seconds) in &l.services {
                out.push_str(&format!(
                    "  {name:<10} {records:>7} records  {seconds:>6.1} s\n"
                ));
            }
        }
        None => out.push_str("The suite already holds data: nothing loaded.\n"),
    }
    out.push('\n');
    out.push_str(&crate::report::table::render(&outcome.summary));
    let held = outcome.figures.iter().filter(|f| f.holds()).count();
    out.push_str(&format!(
        "\nGucheng County ({}) in {}: the published figures against the county summary\n\n",
        published::COUNTY,
        published::YEAR
    ));
    out.push_str(&check::table(&outcome.figures));
    out.push_str(&format!(
        "\n{held} of {} published figures reproduced.\n",
        outcome.figures.len()
    ));
    out
}

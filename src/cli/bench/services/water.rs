//! Water in `bench services`: the county's 19,139 households / 49,494 people assessed
//! through ImportAssessments (one in three 基本安全, one in ten with a later dry-season
//! check), then SummarizeByRegion.

use std::time::Instant;

use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_contracts::pb::water::v1::*;

use super::{MAX_MESSAGE, Row, Running, ServicesBenchArgs};
use crate::cli::bench::measure::time_calls;
use crate::fixtures::water::{HOUSEHOLDS, PEOPLE, county, schemes};
use crate::fixtures::{COUNTY, batches};
use crate::testing::TestDb;

/// Imports the county's assessments, checks the totals, and times the summary.
pub async fn run(kind: TestDb, args: &ServicesBenchArgs) -> anyhow::Result<Vec<Row>> {
    let svc = Running::start(xk_water::SPEC, kind).await?;
    let mut c = WaterServiceClient::new(svc.intercepted())
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    for scheme in schemes() {
        c.create_scheme(CreateSchemeRequest {
            request_id: format!("scheme-{}", scheme.scheme_id),
            scheme: Some(scheme),
        })
        .await?;
    }

    let seed = county();
    let reqs = batches(&seed, args.batch, "seed", |request_id, assessments| {
        ImportAssessmentsRequest {
            request_id,
            assessments,
        }
    });
    let started = Instant::now();
    let r = c
        .import_assessments(futures::stream::iter(reqs))
        .await?
        .into_inner();
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        r.assessments_imported as usize == seed.len(),
        "water imported {} of {} assessments",
        r.assessments_imported,
        seed.len()
    );

    let cc = c.clone();
    let check = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: COUNTY.into(),
            group_by: RegionLevel::Township as i32,
        })
        .await?
        .into_inner();
    let got = check.total.map(|t| (t.households, t.people));
    anyhow::ensure!(
        got == Some((i64::from(HOUSEHOLDS), PEOPLE)),
        "water summary {got:?}, expected {HOUSEHOLDS} households / {PEOPLE} people"
    );
    let summary = time_calls(args.summary_calls, || {
        let mut c = cc.clone();
        async move {
            c.summarize_by_region(SummarizeByRegionRequest {
                region_prefix: COUNTY.into(),
                group_by: RegionLevel::Township as i32,
            })
            .await
            .map(|_| ())
        }
    })
    .await?;
    svc.stop().await?;
    Ok(vec![Row {
        service: "water",
        unit: "assessments",
        rows: seed.len() as u64,
        seconds,
        summary: Some(summary),
        settle: None,
    }])
}

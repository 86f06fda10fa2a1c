//! Housing in `bench services`: the county's 4,013 relocated households / 7,734 people
//! through ImportRelocations, all moved in, old houses demolished, 1,800 mu reclaimed;
//! then SummarizeByRegion.

use std::time::Instant;

use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::housing::v1::housing_service_client::HousingServiceClient;
use xk_contracts::pb::housing::v1::*;

use super::{MAX_MESSAGE, Row, Running, ServicesBenchArgs};
use crate::cli::bench::measure::time_calls;
use crate::fixtures::housing::{CENTRAL, HOUSEHOLDS, PEOPLE, county, site};
use crate::fixtures::{COUNTY, batches};
use crate::testing::TestDb;

/// Imports the county's relocations and times the summary.
pub async fn run(kind: TestDb, args: &ServicesBenchArgs) -> anyhow::Result<Vec<Row>> {
    let svc = Running::start(xk_housing::SPEC, kind).await?;
    let mut c = HousingServiceClient::new(svc.intercepted())
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    c.create_site(CreateSiteRequest {
        request_id: format!("site-{CENTRAL}"),
        site: Some(site(CENTRAL, SiteType::CentralizedCountyTown)),
    })
    .await?;

    let seed = county();
    let reqs = batches(&seed, args.batch, "seed", |request_id, relocations| {
        ImportRelocationsRequest {
            request_id,
            relocations,
        }
    });
    let started = Instant::now();
    let r = c
        .import_relocations(futures::stream::iter(reqs))
        .await?
        .into_inner();
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        (r.households_imported, r.people_imported) == (i64::from(HOUSEHOLDS), PEOPLE),
        "housing imported {} households / {} people",
        r.households_imported,
        r.people_imported
    );

    let cc = c.clone();
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
        service: "housing",
        unit: "households",
        rows: u64::from(HOUSEHOLDS),
        seconds,
        summary: Some(summary),
        settle: None,
    }])
}

//! Health in `bench services`: the county's 49,494 insured people through
//! ImportEnrolments, its 18 designated institutions, hospital cases settled one at a time
//! and 8 at a time, then SummarizeByRegion.

use std::time::Instant;

use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::health::v1::*;

use super::{MAX_MESSAGE, Row, Running, ServicesBenchArgs, Settle};
use crate::cli::bench::measure::time_calls;
use crate::fixtures::health::{INSURED, YEAR, county, county_case, institutions};
use crate::fixtures::{COUNTY, batches};
use crate::testing::TestDb;

/// A SettleCase request for case `k` of person `n` of the county seed.
fn settle(n: u32, k: u32) -> SettleCaseRequest {
    SettleCaseRequest {
        request_id: format!("case-{n}-{k}"),
        hospital_case: Some(county_case(n, k)),
    }
}

/// Imports the county's enrolments, settles cases, and times the summary.
pub async fn run(kind: TestDb, args: &ServicesBenchArgs) -> anyhow::Result<Vec<Row>> {
    use futures::StreamExt;

    let svc = Running::start(xk_health::SPEC, kind).await?;
    let mut c = HealthInsuranceServiceClient::new(svc.intercepted())
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);

    let people = county();
    let reqs = batches(&people, args.batch, "seed", |request_id, enrolments| {
        ImportEnrolmentsRequest {
            request_id,
            enrolments,
        }
    });
    let started = Instant::now();
    let r = c
        .import_enrolments(futures::stream::iter(reqs))
        .await?
        .into_inner();
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        r.enrolments_imported == i64::from(INSURED),
        "health imported {} of {INSURED} enrolments",
        r.enrolments_imported
    );

    for institution in institutions() {
        c.upsert_institution(UpsertInstitutionRequest {
            request_id: format!("inst-{}", institution.code),
            institution: Some(institution),
        })
        .await?;
    }

    // Sequential: people 0, 3, 6, …; concurrent: people from 25,000 up, one case each.
    let cases = args.settle_cases.min(INSURED / 6);
    let started = Instant::now();
    for k in 0..cases {
        c.settle_case(settle(k * 3, k)).await?;
    }
    let sequential_per_s = f64::from(cases) / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let results: Vec<Result<(), tonic::Status>> = futures::stream::iter(0..cases)
        .map(|k| {
            let mut c = c.clone();
            async move { c.settle_case(settle(25_000 + k, k)).await.map(|_| ()) }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let concurrent8_per_s = f64::from(cases) / started.elapsed().as_secs_f64();
    for r in results {
        r?;
    }

    let cc = c.clone();
    let summary = time_calls(args.summary_calls, || {
        let mut c = cc.clone();
        async move {
            c.summarize_by_region(SummarizeByRegionRequest {
                region_prefix: COUNTY.into(),
                group_by: RegionLevel::Township as i32,
                coverage_year: YEAR,
                latest_enrolled_year: false,
            })
            .await
            .map(|_| ())
        }
    })
    .await?;
    svc.stop().await?;
    Ok(vec![Row {
        service: "health",
        unit: "people",
        rows: u64::from(INSURED),
        seconds,
        summary: Some(summary),
        settle: Some(Settle {
            cases,
            sequential_per_s,
            concurrent8_per_s,
        }),
    }])
}

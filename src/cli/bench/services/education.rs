//! Education in `bench services`: the county's 1,420 students through ImportStudents,
//! SummarizeByRegion on them, then a larger import of further students.

use std::time::Instant;

use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::education::v1::*;

use super::{MAX_MESSAGE, Row, Running, ServicesBenchArgs};
use crate::cli::bench::measure::time_calls;
use crate::fixtures::education::{county, cutoff, larger};
use crate::fixtures::{COUNTY, batches};
use crate::testing::TestDb;

/// Imports the county's students and a further `--large-students`, and times the summary.
pub async fn run(kind: TestDb, args: &ServicesBenchArgs) -> anyhow::Result<Vec<Row>> {
    let svc = Running::start(xk_education::SPEC, kind).await?;
    let mut c = EducationServiceClient::new(svc.intercepted())
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    let cutoff = cutoff();
    let make = |request_id, students| ImportStudentsRequest {
        request_id,
        students,
    };

    let seed = county(cutoff);
    let reqs = batches(&seed, args.batch, "county", make);
    let started = Instant::now();
    let r = c
        .import_students(futures::stream::iter(reqs))
        .await?
        .into_inner();
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        r.students_imported as usize == seed.len(),
        "education imported {} of {} students",
        r.students_imported,
        seed.len()
    );
    let cc = c.clone();
    let summary = time_calls(args.summary_calls, || {
        let mut c = cc.clone();
        async move {
            c.summarize_by_region(SummarizeByRegionRequest {
                region_prefix: COUNTY.into(),
                group_by: RegionLevel::Township as i32,
                ..Default::default()
            })
            .await
            .map(|_| ())
        }
    })
    .await?;
    let mut rows = vec![Row {
        service: "education",
        unit: "students",
        rows: seed.len() as u64,
        seconds,
        summary: Some(summary),
        settle: None,
    }];

    if args.large_students > 0 {
        let more = larger(cutoff, args.large_students);
        let reqs = batches(&more, args.batch, "large", make);
        let started = Instant::now();
        let r = c
            .import_students(futures::stream::iter(reqs))
            .await?
            .into_inner();
        let seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            r.students_imported as usize == more.len(),
            "education imported {} of {} students",
            r.students_imported,
            more.len()
        );
        rows.push(Row {
            service: "education",
            unit: "students",
            rows: more.len() as u64,
            seconds,
            summary: None,
            settle: None,
        });
    }
    svc.stop().await?;
    Ok(rows)
}

//! Who may call what: the bureau and admin write, the aggregator reads.

use tonic::Code;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::health::v1::*;
use xk_runtime::{Bureau, Principal};

use super::support::*;

#[tokio::test]
async fn only_the_bureau_and_admin_write_and_the_aggregator_reads() {
    let svc = start().await;
    let mut other = client(&svc, Principal::Bureau(Bureau::Education)).await;
    let err = enrol(&mut other, "x1", enrolment(1, V1, true))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = other
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            coverage_year: YEAR,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut agg = client(&svc, Principal::Aggregator).await;
    let err = enrol(&mut agg, "x2", enrolment(1, V1, true))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = settle(&mut agg, "x3", hospital_case(1, "CTY1", 1, 0, 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut admin = client(&svc, Principal::Admin).await;
    enrol(&mut admin, "a1", enrolment(1, V1, true))
        .await
        .unwrap();
    let s = summarize(&mut agg, "420625", RegionLevel::Village).await;
    assert_eq!(s.total.unwrap().insured_people, 1);
    agg.list_institutions(ListInstitutionsRequest::default())
        .await
        .unwrap();
    agg.list_exceptions(ListExceptionsRequest {
        coverage_year: YEAR,
        ..Default::default()
    })
    .await
    .unwrap();
    svc.stop().await.unwrap();
}

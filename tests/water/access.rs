//! Who may write and who may read.

use super::*;

#[tokio::test]
async fn only_the_water_bureau_writes_and_the_aggregator_reads() {
    let svc = start().await;
    let mut bureau = client(&svc, BUREAU).await;
    create_scheme(&mut bureau, SCHEME, &[V1]).await;
    let a = safe("HH000001", V1, 3, SCHEME, date(2019, 6, 1));
    let mut education = client(&svc, Principal::Bureau(Bureau::Education)).await;
    let err = record(&mut education, "x1", a.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = education
        .get_household_water(GetHouseholdWaterRequest {
            household_id: "HH000001".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::PermissionDenied,
        "another bureau does not read either"
    );
    let mut aggregator = client(&svc, Principal::Aggregator).await;
    let err = record(&mut aggregator, "x2", a.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = aggregator
        .create_scheme(CreateSchemeRequest {
            request_id: "x3".into(),
            scheme: Some(scheme("GC-X", &[V1])),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut admin = client(&svc, Principal::Admin).await;
    record(&mut admin, "x4", a).await.unwrap();
    let t = summarize(&mut aggregator, "420625", RegionLevel::Township)
        .await
        .total
        .unwrap();
    assert_eq!(t.households, 1, "only the admin's write landed");
    aggregator
        .get_household_water(GetHouseholdWaterRequest {
            household_id: "HH000001".into(),
        })
        .await
        .unwrap();
    aggregator
        .list_schemes(ListSchemesRequest::default())
        .await
        .unwrap();
    svc.stop().await.unwrap();
}

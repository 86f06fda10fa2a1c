//! Who may write and read: the relocation office and admin write; the aggregator reads.

use tonic::Code;
use xk_contracts::pb::housing::v1::*;

use super::*;

#[tokio::test]
async fn only_the_relocation_office_and_admin_write() {
    let svc = start().await;
    let mut other = client(&svc, Principal::Bureau(Bureau::Education)).await;
    let err = other
        .create_site(CreateSiteRequest {
            request_id: "x".into(),
            site: Some(site(CENTRAL, SiteType::CentralizedCountyTown)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = other
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::PermissionDenied,
        "another bureau does not read either"
    );

    let mut agg = client(&svc, Principal::Aggregator).await;
    let err = agg
        .create_site(CreateSiteRequest {
            request_id: "x".into(),
            site: Some(site(CENTRAL, SiteType::CentralizedCountyTown)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut admin = client(&svc, Principal::Admin).await;
    create_sites(&mut admin).await;
    let s = agg
        .list_sites(ListSitesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.sites.len(), 2);
    agg.summarize_by_region(SummarizeByRegionRequest {
        region_prefix: "420625".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    svc.stop().await.unwrap();
}

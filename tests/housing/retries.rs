//! Idempotent retries, stale etags, site updates and deletes.

use tonic::Code;
use xk_contracts::pb::housing::v1::*;

use super::*;

#[tokio::test]
async fn retries_are_idempotent_and_stale_updates_aborted() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    let first = create(&mut c, "same", accepted(1, V1, CENTRAL, 2))
        .await
        .unwrap();
    let again = create(&mut c, "same", accepted(1, V1, CENTRAL, 2))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(count_relocations(&mut c).await, 1);
    let err = create(&mut c, "other", accepted(1, V1, CENTRAL, 2))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let m1 = c
        .record_move_in(move_in("mv", "HH000001", Some(date(2018, 2, 1)), None))
        .await
        .unwrap()
        .into_inner();
    let m2 = c
        .record_move_in(move_in("mv", "HH000001", Some(date(2018, 2, 1)), None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(m1, m2, "the retry returns the first answer");
    assert_eq!(get(&mut c, "HH000001").await.etag, "2");

    // Update based on a stale etag: ABORTED, nothing written.
    let mut stale = first.clone();
    stale.employed_members = 0;
    let err = c
        .update_relocation(UpdateRelocationRequest {
            request_id: "u1".into(),
            relocation: Some(stale),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    let mut current = get(&mut c, "HH000001").await;
    current.employed_members = 0;
    let updated = c
        .update_relocation(UpdateRelocationRequest {
            request_id: "u2".into(),
            relocation: Some(current),
        })
        .await
        .unwrap()
        .into_inner()
        .relocation
        .unwrap();
    assert_eq!(updated.etag, "3");
    assert!(updated.moved_in, "derived fields kept through an update");
    // The employment rule now fails: the household is listed as an exception.
    let ex = c
        .list_exceptions(ListExceptionsRequest {
            region_prefix: "420625".into(),
            kind: ExceptionKind::NoEmployment as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ex.exceptions.len(), 1);
    assert_eq!(ex.exceptions[0].kinds, [ExceptionKind::NoEmployment as i32]);

    // Site updates: stale etag ABORTED; a type change under resettled households refused.
    let mut s = site(CENTRAL, SiteType::ScatteredWithRelatives);
    s.etag = "1".into();
    let err = c
        .update_site(UpdateSiteRequest {
            request_id: "s1".into(),
            site: Some(s.clone()),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_subjects(&err), ["site.type"]);
    s.r#type = SiteType::CentralizedCountyTown as i32;
    s.name = "城关安置小区".into();
    let saved = c
        .update_site(UpdateSiteRequest {
            request_id: "s2".into(),
            site: Some(s.clone()),
        })
        .await
        .unwrap()
        .into_inner()
        .site
        .unwrap();
    assert_eq!(saved.etag, "2");
    let err = c
        .update_site(UpdateSiteRequest {
            request_id: "s3".into(),
            site: Some(s),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    let err = c
        .delete_site(DeleteSiteRequest {
            request_id: "s4".into(),
            site_id: CENTRAL.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    c.delete_site(DeleteSiteRequest {
        request_id: "s5".into(),
        site_id: SCATTERED.into(),
    })
    .await
    .unwrap();
    let sites = c
        .list_sites(ListSitesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .sites;
    assert_eq!(sites.len(), 1);
    svc.stop().await.unwrap();
}

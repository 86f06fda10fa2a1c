//! Supply schemes: create, read, list, update by etag, delete unless in use.

use super::*;

#[tokio::test]
async fn schemes_crud() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    create_scheme(&mut c, "GC-A", &[V1]).await;
    create_scheme(&mut c, "GC-B", &[V2]).await;
    let err = c
        .create_scheme(CreateSchemeRequest {
            request_id: "dup".into(),
            scheme: Some(scheme("GC-A", &[V1])),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let err = c
        .create_scheme(CreateSchemeRequest {
            request_id: "bad".into(),
            scheme: Some(Scheme {
                capacity_m3_per_day: 0,
                ..scheme("GC-C", &[V1])
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(named_fields(&err), ["scheme.capacity_m3_per_day"]);
    let listed = c
        .list_schemes(ListSchemesRequest {
            region_prefix: "420625101".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = listed
        .schemes
        .iter()
        .map(|s| s.scheme_id.as_str())
        .collect();
    assert_eq!(ids, ["GC-B"]);
    let got = c
        .get_scheme(GetSchemeRequest {
            scheme_id: "GC-A".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .scheme
        .unwrap();
    assert_eq!(got.etag, "1");
    let updated = c
        .update_scheme(UpdateSchemeRequest {
            request_id: "u1".into(),
            scheme: Some(Scheme {
                people_served: 25000,
                ..got.clone()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .scheme
        .unwrap();
    assert_eq!((updated.etag.as_str(), updated.people_served), ("2", 25000));
    let err = c
        .update_scheme(UpdateSchemeRequest {
            request_id: "u2".into(),
            scheme: Some(got),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted, "stale etag");
    record(
        &mut c,
        "a1",
        safe("HH000001", V1, 3, "GC-A", date(2019, 6, 1)),
    )
    .await
    .unwrap();
    let err = c
        .delete_scheme(DeleteSchemeRequest {
            request_id: "d1".into(),
            scheme_id: "GC-A".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(rule_ids(&err), ["SCHEME_IN_USE"]);
    c.delete_scheme(DeleteSchemeRequest {
        request_id: "d2".into(),
        scheme_id: "GC-B".into(),
    })
    .await
    .unwrap();
    let err = c
        .get_scheme(GetSchemeRequest {
            scheme_id: "GC-B".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    svc.stop().await.unwrap();
}

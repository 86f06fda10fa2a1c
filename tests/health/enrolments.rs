//! Enrol and ImportEnrolments: duplicates, whole-batch rejection, replays.

use tonic::Code;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::health::v1::*;

use super::support::*;

fn batch(id: &str, range: std::ops::Range<u32>) -> ImportEnrolmentsRequest {
    ImportEnrolmentsRequest {
        request_id: id.into(),
        enrolments: range.map(|n| enrolment(n, V1, true)).collect(),
    }
}

#[tokio::test]
async fn second_enrolment_is_already_exists_and_imports_are_batched_and_idempotent() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    enrol(&mut c, "e1", enrolment(1, V1, true)).await.unwrap();
    // The same request again replays; a new request for the same person-year exists.
    enrol(&mut c, "e1", enrolment(1, V1, true)).await.unwrap();
    let err = enrol(&mut c, "e2", enrolment(1, V1, false))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert!(
        err.message().contains("enrolment.resident_id"),
        "{}",
        err.message()
    );
    assert!(
        !err.message().contains(&person_id(1)),
        "masked: {}",
        err.message()
    );
    // The next coverage year is a new enrolment.
    let mut next = enrolment(1, V1, true);
    next.coverage_year = 2020;
    let e = enrol(&mut c, "e3", next).await.unwrap();
    assert_eq!(e.premium_fen, 25_000);

    // Batch 0 commits; batch 1 holds a bad record (j = 2) and a duplicate: rejected whole.
    let mut bad = batch("b1", 20..30);
    bad.enrolments[2].village_code = "42".into();
    let err = c
        .import_enrolments(futures::stream::iter(vec![batch("b0", 10..20), bad]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&err),
        ["batch[1].enrolments[2].village_code"]
    );
    let mut dup = batch("b1", 20..30);
    dup.enrolments[4] = enrolment(1, V1, true);
    let err = c
        .import_enrolments(futures::stream::iter(vec![batch("b0", 10..20), dup]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert!(
        err.message().contains("batch[1].enrolments[4].resident_id"),
        "{}",
        err.message()
    );
    let r = c
        .import_enrolments(futures::stream::iter(vec![
            batch("b0", 10..20),
            batch("b1", 20..30),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            r.batches_committed,
            r.batches_replayed,
            r.enrolments_imported
        ),
        (1, 1, 10)
    );
    let s = summarize(&mut c, "420625", RegionLevel::Township).await;
    assert_eq!(
        s.total.unwrap().insured_people,
        21,
        "1 + 10 + 10; nothing of the rejected batches"
    );
    svc.stop().await.unwrap();
}

//! Households in bulk: import batches (idempotent, all-or-nothing per batch), export in
//! key order, paging, and load shedding of imports past the concurrency limit.

use tonic::Code;
use xiaokang::testing::TestService;
use xk_contracts::pb::registry::v1::*;

use crate::common::*;
use crate::{batch, start};

#[tokio::test]
async fn import_commits_batches_rejects_a_bad_one_whole_and_is_idempotent() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    let mut bad = batch("b2", 20..30);
    bad.households[3].members[0].resident_id = "11010519491231002Y".into();
    let err = c
        .import_households(futures::stream::iter(vec![
            batch("b0", 0..10),
            batch("b1", 10..20),
            bad,
        ]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&err),
        ["batch[2].households[3].members[0].resident_id"]
    );
    assert!(
        err.message().contains("2 earlier batches committed"),
        "{}",
        err.message()
    );
    assert_eq!(
        all_ids(&mut c).await.len(),
        20,
        "earlier batches stay, the bad one is not half-written"
    );

    // Re-sending the whole stream (fixed) with the same request ids: replays, then commits.
    let fixed = vec![batch("b0", 0..10), batch("b1", 10..20), batch("b2", 20..30)];
    let r = c
        .import_households(futures::stream::iter(fixed.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            r.batches_replayed,
            r.batches_committed,
            r.households_imported
        ),
        (2, 1, 10)
    );
    let r = c
        .import_households(futures::stream::iter(fixed))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((r.batches_replayed, r.batches_committed), (3, 0));
    let ids = all_ids(&mut c).await;
    assert_eq!(ids.len(), 30);
    let expected: Vec<String> = (0..30).map(|n| format!("HH{n:06}")).collect();
    assert_eq!(ids, expected, "no duplicates, key order");

    // A batch whose household already exists under a fresh request id: ALREADY_EXISTS.
    let err = c
        .import_households(futures::stream::iter(vec![batch("b9", 29..31)]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(all_ids(&mut c).await.len(), 30);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn export_streams_every_household_in_key_order() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    // More than one export chunk (500).
    let batches: Vec<_> = (0..3)
        .map(|b| batch(&format!("e{b}"), b * 400..(b + 1) * 400))
        .collect();
    c.import_households(futures::stream::iter(batches))
        .await
        .unwrap();
    let mut stream = c
        .export_households(ExportHouseholdsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut ids = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.message().await.unwrap() {
        chunks += 1;
        ids.extend(chunk.households.into_iter().map(|h| h.household_id));
    }
    assert_eq!(chunks, 3);
    let expected: Vec<String> = (0..1200).map(|n| format!("HH{n:06}")).collect();
    assert_eq!(ids, expected);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn pages_are_complete_and_tokens_bound_to_their_filter() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    c.import_households(futures::stream::iter(vec![batch("p", 0..25)]))
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = c
            .list_households(ListHouseholdsRequest {
                region_prefix: "420625".into(),
                page_size: 10,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        seen.extend(page.households.into_iter().map(|h| h.household_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        let err = c
            .list_households(ListHouseholdsRequest {
                region_prefix: "420625100".into(),
                page_size: 10,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&err), ["page_token"]);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 25);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn past_the_concurrency_limit_calls_are_shed_and_write_nothing() {
    let settings = xk_runtime::ServeSettings {
        concurrency_limit: 1,
        ..Default::default()
    };
    let svc = TestService::start_with(xk_registry::SPEC, settings)
        .await
        .unwrap();
    let base = client(&svc, OFFICE).await;
    // Twenty imports of 500 households each, all at once: one at a time is served.
    let calls = (0..20u32).map(|k| {
        let mut c = base.clone();
        async move {
            let b = batch(&format!("shed-{k}"), k * 500..(k + 1) * 500);
            c.import_households(futures::stream::iter(vec![b])).await
        }
    });
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let shed = results
        .iter()
        .filter(|r| matches!(r, Err(s) if s.code() == Code::ResourceExhausted))
        .count();
    assert!(ok >= 1, "some calls are served");
    assert!(shed >= 1, "some calls are shed at once");
    assert_eq!(ok + shed, 20, "nothing else happens: {results:?}");
    let mut c = client(&svc, OFFICE).await;
    assert_eq!(
        all_ids(&mut c).await.len(),
        ok * 500,
        "shed calls wrote nothing"
    );
    svc.stop().await.unwrap();
}

/// The batch-size bound is checked once, by the runtime's import driver, in one wording
/// for every service (registry used to say "a batch holds at least one household").
#[tokio::test]
async fn an_empty_batch_is_refused_by_the_shared_bound_and_writes_nothing() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    let mut empty = batch("e1", 0..1);
    empty.households.clear();
    let err = c
        .import_households(futures::stream::iter(vec![batch("e0", 0..3), empty]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        violations(&err),
        [(
            "batch[1].households".to_string(),
            "a batch holds 1 to 5000 households, got 0".to_string()
        )]
    );
    assert_eq!(all_ids(&mut c).await.len(), 3, "only the good batch landed");
    svc.stop().await.unwrap();
}

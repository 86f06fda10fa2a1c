//! ImportRelocations: a bad batch refused whole, replays, and the county's published figures loaded through it.

use tonic::Code;
use xk_contracts::pb::housing::v1::*;

use super::*;

use std::collections::BTreeMap;

use xk_contracts::pb::common::v1::RegionLevel;

/// The batch-size bound is the runtime driver's, in one wording: it names the batch's own
/// records field (housing used to say "households" of its `relocations`).
#[tokio::test]
async fn an_empty_batch_is_refused_by_the_shared_bound_and_writes_nothing() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    let mut empty = batch("e1", 0..1);
    empty.relocations.clear();
    let err = c
        .import_relocations(futures::stream::iter(vec![empty]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        violations(&err),
        [(
            "batch[0].relocations".to_string(),
            "a batch holds 1 to 5000 relocations, got 0".to_string()
        )]
    );
    assert_eq!(count_relocations(&mut c).await, 0, "nothing written");
    svc.stop().await.unwrap();
}

/// A batch whose every record is bad answers INVALID_ARGUMENT over the wire, listing the
/// first violations and counting them all, instead of a status too large for HTTP/2's
/// headers (seen at 200 times the demo county: a transport error, not an answer).
#[tokio::test]
async fn a_batch_of_thousands_of_bad_records_is_answered_with_a_bounded_list() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    let mut bad = batch("big", 0..3000);
    for r in &mut bad.relocations {
        r.housing.as_mut().unwrap().debt_fen = -5;
    }
    let err = c
        .import_relocations(futures::stream::iter(vec![bad]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{}", err.message());
    let listed = violated_fields(&err);
    assert_eq!(listed.len(), xk_runtime::errors::MAX_LISTED_VIOLATIONS);
    assert_eq!(listed[0], "batch[0].relocations[0].housing.debt_fen");
    assert!(
        err.message()
            .starts_with("3000 invalid fields (the first 50 listed)"),
        "{}",
        err.message()
    );
    assert_eq!(count_relocations(&mut c).await, 0, "nothing written");
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn import_rejects_a_bad_batch_whole_and_replays() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    let mut bad = batch("b2", 20..30);
    bad.relocations[3].housing.as_mut().unwrap().debt_fen = -5;
    let err = c
        .import_relocations(futures::stream::iter(vec![
            batch("b0", 0..10),
            batch("b1", 10..20),
            bad,
        ]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&err),
        ["batch[2].relocations[3].housing.debt_fen"]
    );
    assert!(
        err.message().contains("2 earlier batches committed"),
        "{}",
        err.message()
    );
    assert_eq!(
        count_relocations(&mut c).await,
        20,
        "the bad batch wrote nothing"
    );

    let fixed = vec![batch("b0", 0..10), batch("b1", 10..20), batch("b2", 20..30)];
    let r = c
        .import_relocations(futures::stream::iter(fixed.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            r.batches_replayed,
            r.batches_committed,
            r.households_imported,
            r.people_imported
        ),
        (2, 1, 10, 20)
    );
    let r = c
        .import_relocations(futures::stream::iter(fixed))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((r.batches_replayed, r.batches_committed), (3, 0));
    assert_eq!(count_relocations(&mut c).await, 30);

    // A household imported already, under a fresh request id: ALREADY_EXISTS naming it.
    let err = c
        .import_relocations(futures::stream::iter(vec![batch("b9", 29..31)]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert!(
        err.message()
            .contains("batch[0].relocations[0].household_id"),
        "{}",
        err.message()
    );
    // A rule breach in a batch is FAILED_PRECONDITION naming the record's field.
    let mut late = batch("b10", 40..42);
    late.relocations[1].milestones.as_mut().unwrap().demolished = Some(date(2018, 1, 1));
    let err = c
        .import_relocations(futures::stream::iter(vec![late]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        precondition_subjects(&err)
            .contains(&"batch[0].relocations[1].milestones.demolished".to_string()),
        "{:?}",
        precondition_subjects(&err)
    );
    assert_eq!(count_relocations(&mut c).await, 30);
    svc.stop().await.unwrap();
}

/// Townships of Gucheng County (9-digit codes) the seed spreads households over.
const TOWNSHIPS: [&str; 11] = [
    "420625100",
    "420625101",
    "420625102",
    "420625103",
    "420625104",
    "420625105",
    "420625106",
    "420625107",
    "420625108",
    "420625200",
    "420625500",
];

#[tokio::test]
async fn seed_figures_load_through_import_and_come_back_from_the_summary() {
    // DOMAIN.md §1: 4,013 households / 7,734 people relocated, all moved in, old houses
    // demolished, 1,800 mu reclaimed, follow-up support for 100%.
    const HOUSEHOLDS: u32 = 4_013;
    const PEOPLE: i64 = 7_734;
    const RECLAIMED_CENTI_MU: i64 = 180_000;
    // 3,721 two-person households and 292 single ones make 7,734 people.
    let two_person = (PEOPLE - i64::from(HOUSEHOLDS)) as u32;
    // 45 × 0.01 mu for the first households, 44 for the rest, adds up to exactly 1,800 mu.
    let big_plots = (RECLAIMED_CENTI_MU - 44 * i64::from(HOUSEHOLDS)) as u32;
    let households: Vec<Relocation> = (0..HOUSEHOLDS)
        .map(|n| {
            let township = TOWNSHIPS[n as usize % TOWNSHIPS.len()];
            let village = format!("{township}{:03}", 200 + n % 7);
            let members = if n < two_person { 2 } else { 1 };
            let reclaimed = if n < big_plots { 45 } else { 44 };
            done(n, &village, members, reclaimed)
        })
        .collect();
    // Expected per township, from what was generated.
    let mut expected: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for r in &households {
        let e = expected
            .entry(r.origin_village_code[..9].to_string())
            .or_default();
        e.0 += 1;
        e.1 += i64::from(r.members);
        e.2 += r.old_house.as_ref().unwrap().reclaimed_centi_mu;
    }
    assert_eq!(expected.values().map(|e| e.1).sum::<i64>(), PEOPLE);
    assert_eq!(
        expected.values().map(|e| e.2).sum::<i64>(),
        RECLAIMED_CENTI_MU
    );

    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    let batches: Vec<ImportRelocationsRequest> = households
        .chunks(1_000)
        .enumerate()
        .map(|(i, chunk)| ImportRelocationsRequest {
            request_id: format!("seed-{i}"),
            relocations: chunk.to_vec(),
        })
        .collect();
    let r = c
        .import_relocations(futures::stream::iter(batches))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            r.batches_committed,
            r.households_imported,
            r.people_imported
        ),
        (5, i64::from(HOUSEHOLDS), PEOPLE)
    );

    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Township as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let t = s.total.unwrap();
    let n = i64::from(HOUSEHOLDS);
    assert_eq!(t.region_code, "420625");
    assert_eq!((t.relocated_households, t.relocated_people), (n, PEOPLE));
    assert_eq!(
        (t.moved_in_households, t.moved_in_people),
        (n, PEOPLE),
        "all moved in"
    );
    assert_eq!(
        (t.demolition_required_households, t.demolished_households),
        (n, n)
    );
    assert_eq!(t.reclaimed_centi_mu, RECLAIMED_CENTI_MU, "1,800 mu");
    assert_eq!(t.with_support_households, n, "follow-up support for 100%");
    assert_eq!(
        (t.with_labour_households, t.with_employment_households),
        (n, n)
    );
    let got: BTreeMap<String, (i64, i64, i64)> = s
        .groups
        .iter()
        .map(|g| {
            (
                g.region_code.clone(),
                (
                    g.relocated_households,
                    g.relocated_people,
                    g.reclaimed_centi_mu,
                ),
            )
        })
        .collect();
    assert_eq!(got, expected);
    // No relocated household has an exception.
    let ex = c
        .list_exceptions(ListExceptionsRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        ex.exceptions.is_empty(),
        "{:?}",
        &ex.exceptions[..ex.exceptions.len().min(3)]
    );
    // A township's summary is the same query at a longer prefix.
    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625102".into(),
            group_by: RegionLevel::Village as i32,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        s.total.unwrap().relocated_households,
        expected["420625102"].0
    );
    svc.stop().await.unwrap();
}

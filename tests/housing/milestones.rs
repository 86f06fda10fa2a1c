//! The relocation timeline: the move-in rule by site type, the prerequisites every write path keeps, order and bad input.

use tonic::Code;
use xk_contracts::pb::housing::v1::*;

use super::*;

#[tokio::test]
async fn move_in_rule_follows_the_site_type() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    create(&mut c, "c1", accepted(1, V1, CENTRAL, 3))
        .await
        .unwrap();
    create(&mut c, "c2", accepted(2, V1, SCATTERED, 3))
        .await
        .unwrap();
    let handover = Some(date(2018, 2, 1));
    // Centralized: moved in at key handover.
    let r = c
        .record_move_in(move_in("m1", "HH000001", handover, None))
        .await
        .unwrap()
        .into_inner()
        .relocation
        .unwrap();
    assert!(r.moved_in);
    assert_eq!(r.moved_in_on, handover);
    assert_eq!(r.site_type, SiteType::CentralizedCountyTown as i32);
    // Scattered: a handover alone does not count …
    let r = c
        .record_move_in(move_in("m2", "HH000002", handover, None))
        .await
        .unwrap()
        .into_inner()
        .relocation
        .unwrap();
    assert!(!r.moved_in);
    assert_eq!(r.moved_in_on, None);
    // … the family living there (after acceptance) does.
    let r = c
        .record_move_in(move_in("m3", "HH000002", None, Some(date(2018, 3, 1))))
        .await
        .unwrap()
        .into_inner()
        .relocation
        .unwrap();
    assert!(r.moved_in);
    assert_eq!(r.moved_in_on, Some(date(2018, 3, 1)));
    assert_eq!(r.etag, "3");
    // No move-in before acceptance.
    let mut no_acceptance = accepted(3, V1, CENTRAL, 2);
    no_acceptance.milestones = None;
    create(&mut c, "c3", no_acceptance).await.unwrap();
    let err = c
        .record_move_in(move_in("m4", "HH000003", handover, None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        precondition_subjects(&err),
        ["milestones.completion", "milestones.acceptance"]
    );
    assert!(!get(&mut c, "HH000003").await.moved_in);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn no_write_path_records_a_handover_or_move_in_before_completion_and_acceptance() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    // Handed over and moved in, but neither completion nor acceptance on record.
    let skipped = |n: u32, site_id: &str| {
        let mut r = done(n, V1, 2, 40);
        r.site_id = site_id.into();
        let m = r.milestones.as_mut().unwrap();
        m.completion = None;
        m.acceptance = None;
        r
    };

    // CreateRelocation: refused, nothing stored, nobody counts as moved in.
    let err = create(&mut c, "c1", skipped(1, CENTRAL)).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        precondition_rules(&err),
        missing_milestones("relocation.", &["completion", "acceptance"])
    );
    // Acceptance alone is not enough: the house must have been completed.
    let mut no_completion = skipped(2, SCATTERED);
    no_completion.milestones.as_mut().unwrap().acceptance = Some(date(2018, 1, 10));
    let err = create(&mut c, "c2", no_completion).await.unwrap_err();
    assert_eq!(
        precondition_rules(&err),
        missing_milestones("relocation.", &["completion"])
    );
    // Centralized sites move in at key handover: moving in without one is refused …
    let mut no_handover = done(3, V1, 2, 40);
    no_handover.milestones.as_mut().unwrap().key_handover = None;
    let err = create(&mut c, "c3", no_handover.clone()).await.unwrap_err();
    assert_eq!(
        precondition_rules(&err),
        missing_milestones("relocation.", &["key_handover"])
    );
    // … scattered ones once the house passed and the family lives there (DOMAIN.md §6).
    no_handover.site_id = SCATTERED.into();
    let r = create(&mut c, "c4", no_handover).await.unwrap();
    assert!(r.moved_in);
    assert_eq!(r.moved_in_on, Some(date(2018, 2, 15)));
    assert_eq!(count_relocations(&mut c).await, 1, "only the scattered one");

    // ImportRelocations: one bad household refuses its whole batch; the batch before it stays.
    let mut bad = batch("i1", 20..23);
    bad.relocations[1] = skipped(21, CENTRAL);
    let err = c
        .import_relocations(futures::stream::iter(vec![batch("i0", 10..12), bad]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        precondition_rules(&err),
        missing_milestones("batch[1].relocations[1].", &["completion", "acceptance"])
    );
    assert!(
        err.message().contains("1 earlier batches committed"),
        "{}",
        err.message()
    );
    assert_eq!(
        count_relocations(&mut c).await,
        3,
        "the bad batch wrote nothing"
    );
    let total = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .total
        .unwrap();
    assert_eq!(total.moved_in_households, 3);

    // UpdateRelocation: adding a handover to a house never accepted is refused.
    let mut started = accepted(30, V1, CENTRAL, 2);
    let m = started.milestones.as_mut().unwrap();
    m.completion = None;
    m.acceptance = None;
    let stored = create(&mut c, "c30", started).await.unwrap();
    let mut handed = stored.clone();
    handed.milestones.as_mut().unwrap().key_handover = Some(date(2018, 2, 1));
    let err = c
        .update_relocation(UpdateRelocationRequest {
            request_id: "u30".into(),
            relocation: Some(handed),
        })
        .await
        .unwrap_err();
    assert_eq!(
        precondition_rules(&err),
        missing_milestones("relocation.", &["completion", "acceptance"])
    );
    // RecordMoveIn: the same rule, the same rule id.
    let err = c
        .record_move_in(move_in("m30", "HH000030", Some(date(2018, 2, 1)), None))
        .await
        .unwrap_err();
    assert_eq!(
        precondition_rules(&err),
        missing_milestones("", &["completion", "acceptance"])
    );
    assert_eq!(get(&mut c, "HH000030").await, stored, "nothing changed");
    // At a centralized site a move-in date without the handover is refused too.
    create(&mut c, "c31", accepted(31, V1, CENTRAL, 2))
        .await
        .unwrap();
    let err = c
        .record_move_in(move_in("m31", "HH000031", None, Some(date(2018, 3, 1))))
        .await
        .unwrap_err();
    assert_eq!(
        precondition_rules(&err),
        missing_milestones("", &["key_handover"])
    );
    assert!(!get(&mut c, "HH000031").await.moved_in);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn out_of_order_and_bad_input_name_the_field_and_change_nothing() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    create(&mut c, "c1", accepted(1, V1, CENTRAL, 2))
        .await
        .unwrap();
    let before = get(&mut c, "HH000001").await;

    // Demolition before move-in.
    let err = c
        .record_demolition(RecordDemolitionRequest {
            request_id: "d1".into(),
            household_id: "HH000001".into(),
            demolished_on: Some(date(2018, 6, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_subjects(&err), ["milestones.moved_in"]);
    // Key handover before acceptance (2018-01-10).
    let err = c
        .record_move_in(move_in("m1", "HH000001", Some(date(2018, 1, 1)), None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_subjects(&err), ["milestones.key_handover"]);
    // A date in the future.
    let err = c
        .record_move_in(move_in("m2", "HH000001", None, Some(date(2099, 1, 1))))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["moved_in"]);
    // Reclamation before demolition.
    let err = c
        .record_reclamation(RecordReclamationRequest {
            request_id: "r1".into(),
            household_id: "HH000001".into(),
            reclaimed_centi_mu: 40,
            land_type: LandType::Cultivated as i32,
            accepted_on: Some(date(2018, 9, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_subjects(&err), ["milestones.demolished"]);
    assert_eq!(get(&mut c, "HH000001").await, before, "nothing changed");

    // Moved in and demolished: an implausible reclaimed area is malformed.
    c.record_move_in(move_in("m3", "HH000001", Some(date(2018, 2, 1)), None))
        .await
        .unwrap();
    let err = c
        .record_demolition(RecordDemolitionRequest {
            request_id: "d2".into(),
            household_id: "HH000001".into(),
            demolished_on: Some(date(2018, 1, 20)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "before the handover");
    assert_eq!(precondition_subjects(&err), ["milestones.demolished"]);
    c.record_demolition(RecordDemolitionRequest {
        request_id: "d3".into(),
        household_id: "HH000001".into(),
        demolished_on: Some(date(2018, 6, 1)),
    })
    .await
    .unwrap();
    let before = get(&mut c, "HH000001").await;
    let err = c
        .record_reclamation(RecordReclamationRequest {
            request_id: "r2".into(),
            household_id: "HH000001".into(),
            reclaimed_centi_mu: 201, // the policy bound is 2.00 mu per household
            land_type: LandType::Cultivated as i32,
            accepted_on: Some(date(2018, 9, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["reclaimed_centi_mu"]);
    assert_eq!(get(&mut c, "HH000001").await, before, "nothing changed");
    let r = c
        .record_reclamation(RecordReclamationRequest {
            request_id: "r3".into(),
            household_id: "HH000001".into(),
            reclaimed_centi_mu: 200,
            land_type: LandType::Cultivated as i32,
            accepted_on: Some(date(2018, 9, 1)),
        })
        .await
        .unwrap()
        .into_inner()
        .relocation
        .unwrap();
    assert_eq!(r.old_house.unwrap().reclaimed_centi_mu, 200);

    // Negative area; over the red line without a reason (2 members × 25 m² = 50 m²).
    let mut negative = accepted(2, V1, CENTRAL, 2);
    negative.housing.as_mut().unwrap().area_centi_m2 = -1;
    let err = create(&mut c, "c2", negative).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["relocation.housing.area_centi_m2"]);
    let mut over = accepted(2, V1, CENTRAL, 2);
    over.housing.as_mut().unwrap().area_centi_m2 = 5_001;
    let err = create(&mut c, "c3", over.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        precondition_subjects(&err),
        ["relocation.housing.area_centi_m2"]
    );
    let mut future = accepted(2, V1, CENTRAL, 2);
    future.milestones.as_mut().unwrap().completion = Some(date(2099, 1, 1));
    let err = create(&mut c, "c4", future).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["relocation.milestones.completion"]);
    let mut unknown_site = accepted(2, V1, "S-NONE", 2);
    unknown_site.members = 2;
    let err = create(&mut c, "c5", unknown_site).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_subjects(&err), ["relocation.site_id"]);
    assert_eq!(count_relocations(&mut c).await, 1, "no failed create wrote");
    // With a reason the larger house is accepted.
    over.housing.as_mut().unwrap().over_area_reason = "残疾人无障碍户型".into();
    create(&mut c, "c6", over).await.unwrap();
    svc.stop().await.unwrap();
}

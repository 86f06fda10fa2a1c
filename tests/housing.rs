//! The housing service over real gRPC: a service on port 0 with a fresh database (SQLite,
//! or PostgreSQL with XK_TEST_DATABASE=postgres), called through the generated client with
//! bearer tokens. Fixtures live in this file.

use std::collections::BTreeMap;

use tonic::Code;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use xiaokang::testing::{Bearer, TestService};
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::pb::housing::v1::housing_service_client::HousingServiceClient;
use xk_contracts::pb::housing::v1::*;
use xk_runtime::{Bureau, Principal};

/// A housing client acting as one principal.
type Client = HousingServiceClient<InterceptedService<Channel, Bearer>>;

/// The relocation office: the service's owner.
const OFFICE: Principal = Principal::Bureau(Bureau::Relocation);
/// A village of 城关镇 (origin of the fixture households).
const V1: &str = "420625100201";
/// A village of 石花镇.
const V2: &str = "420625101203";
/// A centralized site (county town).
const CENTRAL: &str = "S-CT";
/// A scattered site (filling in).
const SCATTERED: &str = "S-FI";

async fn start() -> TestService {
    TestService::start(xk_housing::SPEC).await.unwrap()
}

async fn client(svc: &TestService, p: Principal) -> Client {
    HousingServiceClient::with_interceptor(svc.channel().await.unwrap(), svc.bearer(p))
}

fn date(y: i32, m: i32, d: i32) -> Date {
    Date {
        year: y,
        month: m,
        day: d,
    }
}

/// The field paths of an INVALID_ARGUMENT status.
fn violated_fields(s: &tonic::Status) -> Vec<String> {
    s.get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}

/// The subjects (field paths) of a FAILED_PRECONDITION status.
fn precondition_subjects(s: &tonic::Status) -> Vec<String> {
    s.get_details_precondition_failure()
        .map(|p| p.violations.into_iter().map(|v| v.subject).collect())
        .unwrap_or_default()
}

/// The (rule type, subject) pairs of a FAILED_PRECONDITION status.
fn precondition_rules(s: &tonic::Status) -> Vec<(String, String)> {
    s.get_details_precondition_failure()
        .map(|p| {
            p.violations
                .into_iter()
                .map(|v| (v.r#type, v.subject))
                .collect()
        })
        .unwrap_or_default()
}

fn site(id: &str, t: SiteType) -> Site {
    Site {
        site_id: id.into(),
        name: format!("安置点 {id}"),
        village_code: "420625100001".into(),
        r#type: t as i32,
        etag: String::new(),
    }
}

async fn create_sites(c: &mut Client) {
    for (id, t) in [
        (CENTRAL, SiteType::CentralizedCountyTown),
        (SCATTERED, SiteType::ScatteredFillingIn),
    ] {
        c.create_site(CreateSiteRequest {
            request_id: format!("site-{id}"),
            site: Some(site(id, t)),
        })
        .await
        .unwrap();
    }
}

/// Household `n` before move-in: built and accepted, nothing later.
fn accepted(n: u32, village: &str, site_id: &str, members: i32) -> Relocation {
    Relocation {
        household_id: format!("HH{n:06}"),
        origin_village_code: village.into(),
        site_id: site_id.into(),
        batch_year: 2017,
        members,
        labour_members: 1,
        employed_members: 1,
        housing: Some(Housing {
            area_centi_m2: i64::from(members) * 2_000,
            over_area_reason: String::new(),
            build_cost_fen: 10_000_000,
            subsidy_fen: 9_000_000,
            self_raised_fen: 800_000,
            other_funds_fen: 200_000,
            debt_fen: 300_000,
        }),
        milestones: Some(Milestones {
            construction_start: Some(date(2017, 3, 1)),
            completion: Some(date(2017, 12, 1)),
            acceptance: Some(date(2018, 1, 10)),
            ..Default::default()
        }),
        old_house: Some(OldHouse::default()),
        ..Default::default()
    }
}

/// Household `n` done: moved in, demolished, `reclaimed` accepted, one support measure.
fn done(n: u32, village: &str, members: i32, reclaimed: i64) -> Relocation {
    let mut r = accepted(n, village, CENTRAL, members);
    let m = r.milestones.as_mut().unwrap();
    m.key_handover = Some(date(2018, 2, 1));
    m.moved_in = Some(date(2018, 2, 15));
    m.demolished = Some(date(2018, 6, 1));
    m.reclamation_accepted = Some(date(2018, 9, 1));
    r.old_house = Some(OldHouse {
        demolition_exempt_reason: String::new(),
        reclaimed_centi_mu: reclaimed,
        land_type: LandType::Cultivated as i32,
    });
    r.support.push(SupportMeasure {
        kind: SupportMeasureKind::Workshop as i32,
        started_on: Some(date(2018, 3, 1)),
        ended_on: None,
    });
    r
}

async fn create(c: &mut Client, rid: &str, r: Relocation) -> Result<Relocation, tonic::Status> {
    c.create_relocation(CreateRelocationRequest {
        request_id: rid.into(),
        relocation: Some(r),
    })
    .await
    .map(|r| r.into_inner().relocation.unwrap())
}

async fn get(c: &mut Client, id: &str) -> Relocation {
    c.get_relocation(GetRelocationRequest {
        household_id: id.into(),
    })
    .await
    .unwrap()
    .into_inner()
    .relocation
    .unwrap()
}

fn move_in(
    rid: &str,
    id: &str,
    handover: Option<Date>,
    moved: Option<Date>,
) -> RecordMoveInRequest {
    RecordMoveInRequest {
        request_id: rid.into(),
        household_id: id.into(),
        key_handover: handover,
        moved_in: moved,
    }
}

async fn count_relocations(c: &mut Client) -> usize {
    c.list_relocations(ListRelocationsRequest {
        page_size: 1000,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .relocations
    .len()
}

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

/// `(MILESTONE_ORDER, prefix + milestones.<m>)` for each missing milestone `m`.
fn missing_milestones(prefix: &str, ms: &[&str]) -> Vec<(String, String)> {
    ms.iter()
        .map(|m| {
            (
                "MILESTONE_ORDER".to_string(),
                format!("{prefix}milestones.{m}"),
            )
        })
        .collect()
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

fn batch(id: &str, range: std::ops::Range<u32>) -> ImportRelocationsRequest {
    ImportRelocationsRequest {
        request_id: id.into(),
        relocations: range.map(|n| done(n, V1, 2, 40)).collect(),
    }
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

#[tokio::test]
async fn appraisals_open_renovations_and_exceptions_page() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    // Two relocated households not moved in, one moved in without employment.
    create(&mut c, "c1", accepted(1, V1, CENTRAL, 2))
        .await
        .unwrap();
    create(&mut c, "c2", accepted(2, V2, CENTRAL, 2))
        .await
        .unwrap();
    let mut jobless = done(3, V1, 2, 40);
    jobless.employed_members = 0;
    create(&mut c, "c3", jobless).await.unwrap();
    // Appraisals: A, C, D in V1/V2.
    for (n, g, v) in [(10, Grade::A, V1), (11, Grade::C, V1), (12, Grade::D, V2)] {
        let a = c
            .record_appraisal(RecordAppraisalRequest {
                request_id: format!("a{n}"),
                appraisal: Some(Appraisal {
                    household_id: format!("HH{n:06}"),
                    village_code: v.into(),
                    grade: g as i32,
                    appraised_on: Some(date(2019, 4, 1)),
                    appraiser: "谷城县住建局鉴定组".into(),
                    renovation_completed_on: None,
                }),
            })
            .await
            .unwrap()
            .into_inner()
            .appraisal
            .unwrap();
        assert_eq!(a.grade, g as i32);
    }
    // A relocated household is not appraised.
    let err = c
        .record_appraisal(RecordAppraisalRequest {
            request_id: "a1".into(),
            appraisal: Some(Appraisal {
                household_id: "HH000001".into(),
                village_code: V1.into(),
                grade: Grade::C as i32,
                appraised_on: Some(date(2019, 4, 1)),
                appraiser: "x".into(),
                renovation_completed_on: None,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    // A safe house needs no renovation; a dangerous one cannot finish before its appraisal.
    let err = c
        .complete_renovation(CompleteRenovationRequest {
            request_id: "r10".into(),
            household_id: "HH000010".into(),
            completed_on: Some(date(2019, 8, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_subjects(&err), ["completed_on"]);
    let err = c
        .complete_renovation(CompleteRenovationRequest {
            request_id: "r11a".into(),
            household_id: "HH000011".into(),
            completed_on: Some(date(2019, 3, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);

    // Every exception, two per page: 3 relocated households, then 2 dangerous houses.
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_exceptions(ListExceptionsRequest {
                region_prefix: "420625".into(),
                page_size: 2,
                page_token: token.clone(),
                as_of: Some(date(2020, 6, 30)),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.exceptions.len() <= 2);
        all.extend(page.exceptions);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let got: Vec<(String, Vec<i32>)> = all.into_iter().map(|e| (e.household_id, e.kinds)).collect();
    use ExceptionKind as K;
    assert_eq!(
        got,
        [
            ("HH000001".to_string(), vec![K::NotMovedIn as i32]),
            ("HH000002".to_string(), vec![K::NotMovedIn as i32]),
            ("HH000003".to_string(), vec![K::NoEmployment as i32]),
            (
                "HH000011".to_string(),
                vec![K::DangerousNotRenovated as i32]
            ),
            (
                "HH000012".to_string(),
                vec![K::DangerousNotRenovated as i32]
            ),
        ]
    );

    c.complete_renovation(CompleteRenovationRequest {
        request_id: "r11".into(),
        household_id: "HH000011".into(),
        completed_on: Some(date(2019, 8, 1)),
    })
    .await
    .unwrap();
    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Township as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let t = s.total.unwrap();
    assert_eq!((t.relocated_households, t.relocated_people), (3, 6));
    assert_eq!((t.moved_in_households, t.demolished_households), (1, 1));
    assert_eq!(
        (t.with_labour_households, t.with_employment_households),
        (3, 2)
    );
    assert_eq!(
        (t.appraised_a, t.appraised_b, t.appraised_c, t.appraised_d),
        (1, 0, 1, 1)
    );
    assert_eq!(t.dangerous_not_renovated, 1, "D still open, C renovated");
    let by_township: Vec<_> = s
        .groups
        .iter()
        .map(|g| {
            (
                g.region_code.as_str(),
                g.relocated_households,
                g.dangerous_not_renovated,
            )
        })
        .collect();
    assert_eq!(by_township, [("420625100", 2, 0), ("420625101", 1, 1)]);
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

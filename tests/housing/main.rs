//! The housing service over real gRPC: a service on port 0 with a fresh database (SQLite,
//! or PostgreSQL with XK_TEST_DATABASE=postgres), called through the generated client with
//! bearer tokens.
//!
//! | module | what it holds |
//! |---|---|
//! | `main` | the fixtures: sites, households at each stage, the calls the tests repeat |
//! | `milestones` | the timeline: the move-in rule by site type, prerequisites on every write path, order |
//! | `retries` | idempotent retries, stale etags, site updates and deletes |
//! | `access` | who may write and read |
//! | `import` | ImportRelocations: whole batches, replays, the county's published figures |
//! | `appraisals` | appraisals, renovations, the exception list and the summary |
//! | `rules` | every rule id clients see, and the batch year the policy does not cover |
//! | `rollups` | every counted write keeps the per-village rollups; rollups and rows agree |

#[path = "../common/mod.rs"]
mod common;

mod access;
mod appraisals;
mod import;
mod milestones;
mod retries;
mod rollups;
mod rules;

use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use xiaokang::testing::{Bearer, TestService};
use xk_contracts::pb::common::v1::Date;
use xk_contracts::pb::housing::v1::housing_service_client::HousingServiceClient;
use xk_contracts::pb::housing::v1::*;
use xk_runtime::{Bureau, Principal};

use common::{date, violated_fields, violations};

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

fn batch(id: &str, range: std::ops::Range<u32>) -> ImportRelocationsRequest {
    ImportRelocationsRequest {
        request_id: id.into(),
        relocations: range.map(|n| done(n, V1, 2, 40)).collect(),
    }
}

//! The water service over real gRPC: a service on port 0 with a fresh database (SQLite, or
//! PostgreSQL with XK_TEST_DATABASE=postgres), called through the generated client with
//! bearer tokens. The fixtures live in this file; the tests, by what they exercise, in its
//! modules.

mod access;
mod assessments;
mod county;
mod partition;
mod rollups;
mod schemes;
mod status;
mod villages;

use tonic::Code;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use xiaokang::testing::{Bearer, TestService};
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_contracts::pb::water::v1::*;
use xk_runtime::{Bureau, Principal};

type Client = WaterServiceClient<InterceptedService<Channel, Bearer>>;

/// The water bureau's own principal: the one that writes.
const BUREAU: Principal = Principal::Bureau(Bureau::WaterResources);
/// A village of 城关镇.
const V1: &str = "420625100201";
/// A village of 石花镇.
const V2: &str = "420625101202";
/// The scheme most fixtures use.
const SCHEME: &str = "GC-CG-001";

/// Townships of Gucheng (DOMAIN.md §1), for the county seed.
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

async fn start() -> TestService {
    TestService::start(xk_water::SPEC).await.unwrap()
}

async fn client(svc: &TestService, p: Principal) -> Client {
    WaterServiceClient::with_interceptor(svc.channel().await.unwrap(), svc.bearer(p))
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20)
}

fn date(y: i32, m: i32, d: i32) -> Date {
    Date {
        year: y,
        month: m,
        day: d,
    }
}

fn scheme(id: &str, villages: &[&str]) -> Scheme {
    Scheme {
        scheme_id: id.into(),
        name: "城关镇集中供水工程".into(),
        capacity_m3_per_day: 5000,
        people_served: 20000,
        village_codes: villages.iter().map(|v| v.to_string()).collect(),
        etag: String::new(),
    }
}

async fn create_scheme(c: &mut Client, id: &str, villages: &[&str]) {
    c.create_scheme(CreateSchemeRequest {
        request_id: format!("scheme-{id}"),
        scheme: Some(scheme(id, villages)),
    })
    .await
    .unwrap();
}

/// A 安全 assessment: centralized scheme, lab report meeting GB 5749, piped in, 60 L,
/// 18 outage days (every threshold exactly at its 达标 edge).
fn safe(household: &str, village: &str, people: i32, scheme_id: &str, on: Date) -> Assessment {
    Assessment {
        household_id: household.into(),
        village_code: village.into(),
        people,
        supply: Some(Supply {
            kind: Some(supply::Kind::Centralized(CentralizedSupply {
                scheme_id: scheme_id.into(),
            })),
        }),
        litres_per_person_day: Some(60),
        quality: Some(QualityEvidence {
            evidence: Some(quality_evidence::Evidence::LabReport(LabReport {
                report_no: "SZ-2019-0413".into(),
                lab: "谷城县疾控中心".into(),
                date: Some(date(2019, 4, 13)),
                meets_gb5749: true,
            })),
        }),
        piped_in: true,
        fetch_round_trip_minutes: None,
        horizontal_distance_m: None,
        vertical_distance_m: None,
        outage_days_last_12_months: Some(18),
        area: 0,
        assessor: "水利局-007".into(),
        assessed_on: Some(on),
        seasonal_check: false,
        seq: 0,
        grading: None,
    }
}

/// A 基本安全 assessment: a scattered well, on-site check passed, 35 L, 20-minute round
/// trip, 36 outage days (every threshold exactly at its 基本达标 edge).
fn basic(household: &str, village: &str, people: i32, on: Date) -> Assessment {
    Assessment {
        supply: Some(Supply {
            kind: Some(supply::Kind::Scattered(ScatteredSupply {
                kind: ScatteredSourceKind::Well as i32,
            })),
        }),
        litres_per_person_day: Some(35),
        quality: Some(QualityEvidence {
            evidence: Some(quality_evidence::Evidence::OnSiteCheck(OnSiteCheck {
                no_visible_impurity_colour_smell: true,
                no_harm_long_use: true,
            })),
        }),
        piped_in: false,
        fetch_round_trip_minutes: Some(20),
        horizontal_distance_m: Some(1500),
        vertical_distance_m: Some(120),
        outage_days_last_12_months: Some(36),
        ..safe(household, village, people, "", on)
    }
}

async fn record(
    c: &mut Client,
    rid: &str,
    a: Assessment,
) -> Result<RecordAssessmentResponse, tonic::Status> {
    c.record_assessment(RecordAssessmentRequest {
        request_id: rid.into(),
        assessment: Some(a),
    })
    .await
    .map(|r| r.into_inner())
}

async fn import(
    c: &mut Client,
    batches: Vec<ImportAssessmentsRequest>,
) -> Result<ImportAssessmentsResponse, tonic::Status> {
    c.import_assessments(tokio_stream::iter(batches))
        .await
        .map(|r| r.into_inner())
}

async fn summarize(c: &mut Client, prefix: &str, level: RegionLevel) -> SummarizeByRegionResponse {
    c.summarize_by_region(SummarizeByRegionRequest {
        region_prefix: prefix.into(),
        group_by: level as i32,
    })
    .await
    .unwrap()
    .into_inner()
}

fn grading(a: &Assessment) -> Grading {
    a.grading.clone().expect("graded")
}

/// The rule ids of a FAILED_PRECONDITION, one per broken rule.
fn rule_ids(s: &tonic::Status) -> Vec<String> {
    s.get_details_precondition_failure()
        .map(|pf| pf.violations.into_iter().map(|v| v.r#type).collect())
        .unwrap_or_default()
}

/// The fields a status names: BadRequest field violations, or PreconditionFailure subjects.
fn named_fields(s: &tonic::Status) -> Vec<String> {
    if let Some(br) = s.get_details_bad_request() {
        return br.field_violations.into_iter().map(|f| f.field).collect();
    }
    if let Some(pf) = s.get_details_precondition_failure() {
        return pf.violations.into_iter().map(|v| v.subject).collect();
    }
    Vec::new()
}

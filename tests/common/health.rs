//! Fixtures of the health-service tests (tests/health/, tests/health_claims.rs): a
//! service on port 0, clients, and builders of enrolments, institutions and cases.
//! Included with `#[path]` by the health tests only.
#![allow(dead_code)]

use chrono::NaiveDate;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use xiaokang::testing::{Bearer, TestService};
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::health::v1::*;
use xk_contracts::types::ResidentId;
use xk_health::domain::{self, InstitutionLevel as Level};
use xk_runtime::{Bureau, Principal};

/// A health client acting as some principal.
pub type Client = HealthInsuranceServiceClient<InterceptedService<Channel, Bearer>>;

/// The bureau that owns the service.
pub const BUREAU: Principal = Principal::Bureau(Bureau::MedicalSecurity);
/// A village of 城关镇.
pub const V1: &str = "420625100201";
/// The coverage year of the published figures.
pub const YEAR: i32 = 2019;

pub async fn start() -> TestService {
    TestService::start(xk_health::SPEC).await.unwrap()
}

pub async fn client(svc: &TestService, p: Principal) -> Client {
    HealthInsuranceServiceClient::with_interceptor(svc.channel().await.unwrap(), svc.bearer(p))
        .max_decoding_message_size(64 << 20)
        .max_encoding_message_size(64 << 20)
}

pub fn date(y: i32, m: i32, d: i32) -> Date {
    Date {
        year: y,
        month: m,
        day: d,
    }
}

/// A distinct valid resident id for person `n` (n < 200,000).
pub fn person_id(n: u32) -> String {
    let base = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap();
    let birth = base + chrono::Duration::days(i64::from(n % 20_000));
    ResidentId::build("420625", birth, 100 + (n / 20_000) as u16)
        .as_str()
        .to_string()
}

pub fn enrolment(n: u32, village: &str, poor: bool) -> Enrolment {
    Enrolment {
        resident_id: person_id(n),
        household_id: format!("HH{:06}", n / 3),
        village_code: village.to_string(),
        coverage_year: YEAR,
        registered_poor: poor,
        ..Default::default()
    }
}

pub fn institution(
    code: &str,
    level: InstitutionLevel,
    in_county: bool,
    one_stop: bool,
) -> Institution {
    Institution {
        code: code.to_string(),
        name: format!("医院{code}"),
        level: level as i32,
        in_county,
        one_stop,
        treat_first_pay_later: in_county,
    }
}

/// The in-county, one-stop county hospital most tests settle at.
pub fn county_hospital() -> Institution {
    institution("CTY1", InstitutionLevel::County, true, true)
}

/// An out-of-county city hospital without one-stop settlement.
pub fn city_hospital() -> Institution {
    institution("CITY1", InstitutionLevel::City, false, false)
}

/// Enrols each `(person, village)` for [`YEAR`] as registered poor, request id `e<person>`.
pub async fn enrol_poor(c: &mut Client, people: impl IntoIterator<Item = (u32, &str)>) {
    for (n, village) in people {
        enrol(c, &format!("e{n}"), enrolment(n, village, true))
            .await
            .unwrap();
    }
}

/// A fresh service, a bureau client, person `n` enrolled (registered poor, village V1)
/// and the county hospital registered: where most settlement tests start.
pub async fn with_patient(n: u32) -> (TestService, Client) {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    enrol_poor(&mut c, [(n, V1)]).await;
    upsert(&mut c, county_hospital()).await;
    (svc, c)
}

/// ListExceptions for [`YEAR`], the whole county, first page.
pub async fn exceptions(c: &mut Client) -> ListExceptionsResponse {
    c.list_exceptions(ListExceptionsRequest {
        coverage_year: YEAR,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
}

/// The first precondition violation's rule id (its `type`).
pub fn precondition_rule(s: &tonic::Status) -> String {
    s.get_details_precondition_failure()
        .and_then(|p| p.violations.into_iter().next())
        .map(|v| v.r#type)
        .unwrap_or_default()
}

pub async fn enrol(c: &mut Client, rid: &str, e: Enrolment) -> Result<Enrolment, tonic::Status> {
    c.enrol(EnrolRequest {
        request_id: rid.into(),
        enrolment: Some(e),
    })
    .await
    .map(|r| r.into_inner().enrolment.unwrap())
}

pub async fn upsert(c: &mut Client, i: Institution) {
    c.upsert_institution(UpsertInstitutionRequest {
        request_id: format!("inst-{}", i.code),
        institution: Some(i),
    })
    .await
    .unwrap();
}

pub fn hospital_case(n: u32, inst: &str, total: i64, oop: i64, day: u32) -> HospitalCase {
    let adm = NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap() + chrono::Duration::days(i64::from(day));
    let dis = adm + chrono::Duration::days(5);
    HospitalCase {
        resident_id: person_id(n),
        institution_code: inst.to_string(),
        admission_date: Some(xk_contracts::convert::date_to_pb(adm)),
        discharge_date: Some(xk_contracts::convert::date_to_pb(dis)),
        total_fen: total,
        out_of_policy_fen: oop,
        chronic_outpatient: false,
        // Distinct for distinct cases (the tests never repeat person, place, day and cost).
        bill_number: format!("B{n}-{inst}-{day}-{total}"),
    }
}

pub async fn settle(
    c: &mut Client,
    rid: &str,
    hc: HospitalCase,
) -> Result<SettleCaseResponse, tonic::Status> {
    c.settle_case(SettleCaseRequest {
        request_id: rid.into(),
        hospital_case: Some(hc),
    })
    .await
    .map(|r| r.into_inner())
}

pub fn layers_of(s: &domain::Settlement) -> Layers {
    Layers {
        basic_fen: s.basic_fen,
        serious_illness_fen: s.serious_fen,
        medical_assistance_fen: s.assistance_fen,
        supplementary_fen: s.supplementary_fen,
        personal_in_policy_fen: s.personal_in_policy_fen,
        personal_out_of_policy_fen: s.personal_out_of_policy_fen,
        personal_total_fen: s.personal_total_fen,
    }
}

pub fn level(v: i32) -> Level {
    match InstitutionLevel::try_from(v).unwrap() {
        InstitutionLevel::Village => Level::Village,
        InstitutionLevel::Township => Level::Township,
        InstitutionLevel::County => Level::County,
        InstitutionLevel::City => Level::City,
        InstitutionLevel::Province => Level::Province,
        InstitutionLevel::Unspecified => panic!("unspecified level"),
    }
}

/// The engine's case for a stored settlement record.
pub fn engine_case(r: &CaseRecord) -> domain::Case {
    let hc = r.hospital_case.as_ref().unwrap();
    domain::Case {
        total_fen: hc.total_fen,
        out_of_policy_fen: hc.out_of_policy_fen,
        institution_level: level(r.institution_level),
        in_county: r.in_county,
        chronic_outpatient: hc.chronic_outpatient,
        registered_poor: r.registered_poor,
    }
}

pub fn policy_2019() -> domain::Policy {
    domain::embedded_book()
        .unwrap()
        .for_year(YEAR)
        .unwrap()
        .clone()
}

pub fn violated_fields(s: &tonic::Status) -> Vec<String> {
    s.get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}

pub fn precondition_subject(s: &tonic::Status) -> String {
    s.get_details_precondition_failure()
        .and_then(|p| p.violations.into_iter().next())
        .map(|v| v.subject)
        .unwrap_or_default()
}

pub async fn person_year(c: &mut Client, n: u32) -> GetPersonYearResponse {
    c.get_person_year(GetPersonYearRequest {
        resident_id: person_id(n),
        coverage_year: YEAR,
    })
    .await
    .unwrap()
    .into_inner()
}

pub async fn summarize(c: &mut Client, prefix: &str, by: RegionLevel) -> SummarizeByRegionResponse {
    c.summarize_by_region(SummarizeByRegionRequest {
        region_prefix: prefix.into(),
        group_by: by as i32,
        coverage_year: YEAR,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
}

/// The embedded policy with every year's personal cap set to `cap_fen`, as a file.
pub fn policy_with_cap(dir: &tempfile::TempDir, cap_fen: i64) -> std::path::PathBuf {
    let text = domain::DEFAULT_POLICY_TOML.replace(
        "annual_personal_cap_fen = 500000",
        &format!("annual_personal_cap_fen = {cap_fen}"),
    );
    assert_ne!(text, domain::DEFAULT_POLICY_TOML);
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Stops `svc` and serves its database again with `settings` (a changed policy).
pub async fn restart(svc: TestService, settings: &xk_runtime::ServeSettings) -> TestService {
    svc.restart(settings, async |_| {}).await.unwrap()
}

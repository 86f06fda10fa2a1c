//! The health-insurance service over real gRPC: a service on port 0 with a fresh database
//! (SQLite, or PostgreSQL with XK_TEST_DATABASE=postgres), called through the generated
//! client with bearer tokens. Expected settlements come from the pure engine
//! (`xk_health::domain`) on the same inputs.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::NaiveDate;
use tonic::Code;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use xiaokang::testing::{Bearer, TestService};
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::health::v1::*;
use xk_contracts::types::ResidentId;
use xk_health::domain::{self, InstitutionLevel as Level, PolicyBook};
use xk_runtime::{Bureau, Principal};

/// A health client acting as some principal.
type Client = HealthInsuranceServiceClient<InterceptedService<Channel, Bearer>>;

/// The bureau that owns the service.
const BUREAU: Principal = Principal::Bureau(Bureau::MedicalSecurity);
/// A village of 城关镇.
const V1: &str = "420625100201";
/// The coverage year of the published figures.
const YEAR: i32 = 2019;

async fn start() -> TestService {
    TestService::start(xk_health::SPEC).await.unwrap()
}

async fn client(svc: &TestService, p: Principal) -> Client {
    HealthInsuranceServiceClient::with_interceptor(svc.channel().await.unwrap(), svc.bearer(p))
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

/// A distinct valid resident id for person `n` (n < 200,000).
fn person_id(n: u32) -> String {
    let base = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap();
    let birth = base + chrono::Duration::days(i64::from(n % 20_000));
    ResidentId::build("420625", birth, 100 + (n / 20_000) as u16)
        .as_str()
        .to_string()
}

fn enrolment(n: u32, village: &str, poor: bool) -> Enrolment {
    Enrolment {
        resident_id: person_id(n),
        household_id: format!("HH{:06}", n / 3),
        village_code: village.to_string(),
        coverage_year: YEAR,
        registered_poor: poor,
        ..Default::default()
    }
}

fn institution(
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

async fn enrol(c: &mut Client, rid: &str, e: Enrolment) -> Result<Enrolment, tonic::Status> {
    c.enrol(EnrolRequest {
        request_id: rid.into(),
        enrolment: Some(e),
    })
    .await
    .map(|r| r.into_inner().enrolment.unwrap())
}

async fn upsert(c: &mut Client, i: Institution) {
    c.upsert_institution(UpsertInstitutionRequest {
        request_id: format!("inst-{}", i.code),
        institution: Some(i),
    })
    .await
    .unwrap();
}

fn hospital_case(n: u32, inst: &str, total: i64, oop: i64, day: u32) -> HospitalCase {
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
    }
}

async fn settle(
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

fn layers_of(s: &domain::Settlement) -> Layers {
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

fn level(v: i32) -> Level {
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
fn engine_case(r: &CaseRecord) -> domain::Case {
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

fn policy_2019() -> domain::Policy {
    PolicyBook::embedded()
        .unwrap()
        .for_year(YEAR)
        .unwrap()
        .clone()
}

fn violated_fields(s: &tonic::Status) -> Vec<String> {
    s.get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}

fn precondition_subject(s: &tonic::Status) -> String {
    s.get_details_precondition_failure()
        .and_then(|p| p.violations.into_iter().next())
        .map(|v| v.subject)
        .unwrap_or_default()
}

async fn person_year(c: &mut Client, n: u32) -> GetPersonYearResponse {
    c.get_person_year(GetPersonYearRequest {
        resident_id: person_id(n),
        coverage_year: YEAR,
    })
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn settlement_layers_equal_the_engine_and_retries_and_reversals_are_exact() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let e = enrol(&mut c, "e1", enrolment(1, V1, true)).await.unwrap();
    assert_eq!(e.premium_fen, 22_000, "the 2019 premium from policy.toml");
    assert_eq!(
        e.government_paid_fen, 22_000,
        "the county pays it all for the poor"
    );
    assert_eq!(e.personal_paid_fen, 0);
    assert_eq!(e.payer, PremiumPayer::Government as i32);
    assert_eq!(
        e.collection_year, 2018,
        "collected the year before coverage"
    );
    upsert(
        &mut c,
        institution("CTY1", InstitutionLevel::County, true, true),
    )
    .await;
    upsert(
        &mut c,
        institution("CITY1", InstitutionLevel::City, false, false),
    )
    .await;

    let cases = [
        hospital_case(1, "CTY1", 1_200_000, 100_000, 10),
        hospital_case(1, "CITY1", 4_000_000, 300_000, 60),
        hospital_case(1, "CTY1", 2_500_000, 0, 120),
    ];
    let mut got = Vec::new();
    for (i, hc) in cases.iter().enumerate() {
        got.push(settle(&mut c, &format!("s{i}"), hc.clone()).await.unwrap());
    }
    let policy = policy_2019();
    let engine_cases: Vec<domain::Case> = got
        .iter()
        .map(|r| engine_case(r.record.as_ref().unwrap()))
        .collect();
    assert!(!engine_cases[1].in_county && engine_cases[0].in_county);
    let (want, ytd) = domain::settle_all(&policy, &engine_cases).unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g.record.as_ref().unwrap().layers.as_ref().unwrap(),
            &layers_of(w)
        );
    }
    let t = got[2].totals.unwrap();
    assert_eq!(t.in_county_personal_fen, ytd.in_county_personal_fen);
    assert_eq!(t.serious_burden_fen, ytd.serious_burden_fen);
    assert_eq!(t.cases, 3);
    assert!(t.in_county_personal_fen <= policy.supplementary.annual_personal_cap_fen);

    // A retry with the same request id returns the first answer and settles nothing new.
    let again = settle(&mut c, "s2", cases[2].clone()).await.unwrap();
    assert_eq!(again, got[2]);
    let py = person_year(&mut c, 1).await;
    assert_eq!(py.cases.len(), 3);
    assert_eq!(py.totals.as_ref().unwrap().cases, 3);

    // Only the latest settlement can be reversed exactly.
    let first_id = got[0].record.as_ref().unwrap().case_id;
    let last_id = got[2].record.as_ref().unwrap().case_id;
    let err = c
        .reverse_case(ReverseCaseRequest {
            request_id: "r0".into(),
            case_id: first_id,
            reason: "wrong patient".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains("NOT_LATEST") || err.message().contains("latest"),
        "{}",
        err.message()
    );
    let rev = c
        .reverse_case(ReverseCaseRequest {
            request_id: "r2".into(),
            case_id: last_id,
            reason: "billing error".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let rec = rev.record.unwrap();
    assert_eq!(rec.kind, CaseKind::Reversal as i32);
    assert_eq!(rec.reverses_case_id, last_id);
    assert_eq!(rec.layers.unwrap().basic_fen, -want[2].basic_fen);
    // The state is back to what it was after the second case.
    assert_eq!(rev.totals.unwrap(), got[1].totals.unwrap());
    let err = c
        .reverse_case(ReverseCaseRequest {
            request_id: "r3".into(),
            case_id: last_id,
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let py = person_year(&mut c, 1).await;
    assert_eq!(
        py.cases.len(),
        4,
        "3 settlements + 1 reversal, nothing overwritten"
    );
    assert!(py.cases[2].reversed);
    assert_eq!(py.totals.unwrap().cases, 2);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    enrol(&mut c, "e1", enrolment(1, V1, true)).await.unwrap();
    upsert(
        &mut c,
        institution("CTY1", InstitutionLevel::County, true, true),
    )
    .await;
    let ok = hospital_case(1, "CTY1", 100_000, 0, 10);

    let mut neg = ok.clone();
    neg.total_fen = -1;
    let mut neg_oop = ok.clone();
    neg_oop.out_of_policy_fen = -5;
    let mut oop = ok.clone();
    oop.out_of_policy_fen = 200_000;
    let mut before = ok.clone();
    before.discharge_date = Some(date(YEAR, 1, 5));
    let mut zero = ok.clone();
    zero.discharge_date = zero.admission_date;
    let mut no_date = ok.clone();
    no_date.admission_date = None;
    let mut bad_id = ok.clone();
    bad_id.resident_id = "340524198001010013".into();
    let invalid = [
        (neg, "hospital_case.total_fen"),
        (neg_oop, "hospital_case.out_of_policy_fen"),
        (oop, "hospital_case.out_of_policy_fen"),
        (before, "hospital_case.discharge_date"),
        (zero, "hospital_case.discharge_date"),
        (no_date, "hospital_case.admission_date"),
        (bad_id, "hospital_case.resident_id"),
    ];
    for (i, (hc, field)) in invalid.into_iter().enumerate() {
        let err = settle(&mut c, &format!("bad{i}"), hc).await.unwrap_err();
        assert_eq!(
            err.code(),
            Code::InvalidArgument,
            "{field}: {}",
            err.message()
        );
        assert!(
            violated_fields(&err).contains(&field.to_string()),
            "{field}: {:?}",
            violated_fields(&err)
        );
    }
    let mut unknown = ok.clone();
    unknown.institution_code = "NOPE".into();
    let err = settle(&mut c, "unknown", unknown).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_subject(&err), "hospital_case.institution_code");
    let mut stranger = ok.clone();
    stranger.resident_id = person_id(2);
    let err = settle(&mut c, "stranger", stranger).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_subject(&err), "hospital_case.resident_id");
    assert!(
        !err.message().contains(&person_id(2)),
        "ids are masked: {}",
        err.message()
    );

    // Nothing was written.
    let cases = c
        .list_cases(ListCasesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(cases.cases.is_empty());
    let py = person_year(&mut c, 1).await;
    assert_eq!(py.totals.unwrap().cases, 0);
    // A failed request's id is not burnt: the same id with a good case settles.
    settle(&mut c, "unknown", ok).await.unwrap();

    // Enrolment and institution fields.
    let mut e = enrolment(3, "4206251002", true);
    e.coverage_year = 1999;
    e.premium_fen = 1;
    let err = enrol(&mut c, "e3", e).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let f = violated_fields(&err);
    assert!(f.contains(&"enrolment.village_code".to_string()), "{f:?}");
    assert!(f.contains(&"enrolment.coverage_year".to_string()), "{f:?}");
    let mut e = enrolment(3, V1, true);
    e.premium_fen = 25_000;
    let err = enrol(&mut c, "e4", e).await.unwrap_err();
    assert_eq!(violated_fields(&err), ["enrolment.premium_fen"]);
    let err = c
        .upsert_institution(UpsertInstitutionRequest {
            request_id: "i-bad".into(),
            institution: Some(institution(
                "has space",
                InstitutionLevel::Unspecified,
                true,
                true,
            )),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&err),
        ["institution.code", "institution.level"]
    );
    svc.stop().await.unwrap();
}

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

async fn summarize(c: &mut Client, prefix: &str, by: RegionLevel) -> SummarizeByRegionResponse {
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

#[tokio::test]
async fn only_the_bureau_and_admin_write_and_the_aggregator_reads() {
    let svc = start().await;
    let mut other = client(&svc, Principal::Bureau(Bureau::Education)).await;
    let err = enrol(&mut other, "x1", enrolment(1, V1, true))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = other
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            coverage_year: YEAR,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut agg = client(&svc, Principal::Aggregator).await;
    let err = enrol(&mut agg, "x2", enrolment(1, V1, true))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = settle(&mut agg, "x3", hospital_case(1, "CTY1", 1, 0, 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut admin = client(&svc, Principal::Admin).await;
    enrol(&mut admin, "a1", enrolment(1, V1, true))
        .await
        .unwrap();
    let s = summarize(&mut agg, "420625", RegionLevel::Village).await;
    assert_eq!(s.total.unwrap().insured_people, 1);
    agg.list_institutions(ListInstitutionsRequest::default())
        .await
        .unwrap();
    agg.list_exceptions(ListExceptionsRequest {
        coverage_year: YEAR,
        ..Default::default()
    })
    .await
    .unwrap();
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn concurrent_settlements_of_one_person_keep_the_annual_cumulation() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    enrol(&mut c, "e1", enrolment(7, V1, true)).await.unwrap();
    upsert(
        &mut c,
        institution("CTY1", InstitutionLevel::County, true, true),
    )
    .await;
    upsert(
        &mut c,
        institution("TWN1", InstitutionLevel::Township, true, true),
    )
    .await;
    upsert(
        &mut c,
        institution("CITY1", InstitutionLevel::City, false, false),
    )
    .await;
    let insts = ["CTY1", "TWN1", "CITY1"];
    let mut tasks = Vec::new();
    for i in 0..20u32 {
        let mut c = c.clone();
        let total = 300_000 + i64::from(i) * 137_911;
        let hc = hospital_case(7, insts[(i % 3) as usize], total, total / 10, i * 7);
        tasks.push(tokio::spawn(async move {
            settle(&mut c, &format!("cc{i}"), hc).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // Re-settle the stored cases in stored order with the pure engine: same figures.
    let stored = c
        .list_cases(ListCasesRequest {
            resident_id: person_id(7),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(stored.len(), 20);
    assert!(stored.windows(2).all(|w| w[0].case_id < w[1].case_id));
    let policy = policy_2019();
    let cases: Vec<domain::Case> = stored.iter().map(engine_case).collect();
    let (want, ytd) = domain::settle_all(&policy, &cases).unwrap();
    for (s, w) in stored.iter().zip(&want) {
        assert_eq!(
            s.layers.as_ref().unwrap(),
            &layers_of(w),
            "case {}",
            s.case_id
        );
    }
    let t = person_year(&mut c, 7).await.totals.unwrap();
    assert_eq!(t.cases, 20);
    assert_eq!(t.basic_deductible_used_fen, ytd.basic_deductible_used_fen);
    assert_eq!(t.serious_burden_fen, ytd.serious_burden_fen);
    assert_eq!(t.assistance_paid_fen, ytd.assistance_paid_fen);
    assert_eq!(t.in_county_personal_fen, ytd.in_county_personal_fen);
    let sum = |f: fn(&domain::Settlement) -> i64| want.iter().map(f).sum::<i64>();
    let l = t.layers.unwrap();
    assert_eq!(l.basic_fen, sum(|s| s.basic_fen));
    assert_eq!(l.serious_illness_fen, sum(|s| s.serious_fen));
    assert_eq!(l.medical_assistance_fen, sum(|s| s.assistance_fen));
    assert_eq!(l.supplementary_fen, sum(|s| s.supplementary_fen));
    assert_eq!(l.personal_total_fen, sum(|s| s.personal_total_fen));
    assert_eq!(t.total_fen, cases.iter().map(|c| c.total_fen).sum::<i64>());
    assert!(
        t.in_county_personal_fen <= policy.supplementary.annual_personal_cap_fen,
        "the cap holds: {}",
        t.in_county_personal_fen
    );
    // The out-of-county, non-one-stop cases are exceptions.
    let ex = c
        .list_exceptions(ListExceptionsRequest {
            coverage_year: YEAR,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ex.non_one_stop_cases.len(), 6);
    assert_eq!(ex.persons_over_cap.len(), usize::from(t.over_cap));
    svc.stop().await.unwrap();
}

/// Townships of Gucheng (DOMAIN.md §1).
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
/// The published figures.
const INSURED: u32 = 49_494;
/// Designated institutions, all one-stop (published).
const INSTITUTIONS: usize = 18;

fn seed_village(n: u32) -> String {
    format!("{}{:03}", TOWNSHIPS[(n % 11) as usize], 200 + (n / 11) % 20)
}

#[tokio::test]
async fn seed_figures_load_through_the_rpcs_and_come_back_from_the_summary() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let policy = policy_2019();
    assert_eq!(policy.premium.individual_fen, 22_000, "published 220 yuan");

    let started = Instant::now();
    let batches: Vec<ImportEnrolmentsRequest> = (0..INSURED)
        .collect::<Vec<_>>()
        .chunks(5000)
        .enumerate()
        .map(|(b, ns)| ImportEnrolmentsRequest {
            request_id: format!("seed-{b}"),
            enrolments: ns
                .iter()
                .map(|&n| enrolment(n, &seed_village(n), true))
                .collect(),
        })
        .collect();
    let r = c
        .import_enrolments(futures::stream::iter(batches))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.enrolments_imported, i64::from(INSURED));
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "enrolment import: {:.0} people/s",
        f64::from(INSURED) / secs
    );

    // 18 designated institutions: 3 county hospitals, 15 township health centres.
    let mut levels = BTreeMap::new();
    for k in 0..INSTITUTIONS {
        let lv = if k < 3 {
            InstitutionLevel::County
        } else {
            InstitutionLevel::Township
        };
        let code = format!("DI{k:02}");
        levels.insert(code.clone(), lv);
        upsert(&mut c, institution(&code, lv, true, true)).await;
    }
    let listed = c
        .list_institutions(ListInstitutionsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .institutions;
    assert_eq!(listed.len(), INSTITUTIONS);
    assert!(
        listed
            .iter()
            .all(|i| i.one_stop && i.treat_first_pay_later && i.in_county)
    );

    // A sprinkle of cases: 400 cases over ~330 people, deterministic pseudo-random.
    let mut rng: u64 = 0x5eed_2019;
    let mut next = move || {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        rng >> 33
    };
    let mut per_person: BTreeMap<u32, Vec<domain::Case>> = BTreeMap::new();
    let started = Instant::now();
    const CASES: u32 = 400;
    for k in 0..CASES {
        let n = if k % 6 == 5 {
            // a second case for someone already treated
            (k.saturating_sub(3) * 151) % INSURED
        } else {
            (k * 151) % INSURED
        };
        let inst = format!("DI{:02}", next() % INSTITUTIONS as u64);
        let total = 20_000 + (next() % 6_000_000) as i64;
        let oop = total * (next() % 15) as i64 / 100;
        let hc = hospital_case(n, &inst, total, oop, (next() % 300) as u32);
        settle(&mut c, &format!("case-{k}"), hc).await.unwrap();
        per_person.entry(n).or_default().push(domain::Case {
            total_fen: total,
            out_of_policy_fen: oop,
            institution_level: level(levels[&inst] as i32),
            in_county: true,
            chronic_outpatient: false,
            registered_poor: true,
        });
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "SettleCase: {:.0} cases/s (sequential)",
        f64::from(CASES) / secs
    );

    // Expected figures from the engine over the same cases in the same order.
    let mut want = RegionHealth {
        region_code: "420625".into(),
        insured_people: i64::from(INSURED),
        registered_poor_insured: i64::from(INSURED),
        premiums_fen: i64::from(INSURED) * 22_000,
        government_paid_fen: i64::from(INSURED) * 22_000,
        personal_paid_fen: 0,
        cases: i64::from(CASES),
        people_with_cases: per_person.len() as i64,
        ..Default::default()
    };
    for cases in per_person.values() {
        let (ss, _) = domain::settle_all(&policy, cases).unwrap();
        let personal: i64 = ss.iter().map(|s| s.personal_in_policy_fen).sum();
        assert!(personal <= policy.supplementary.annual_personal_cap_fen);
        want.total_cost_fen += cases.iter().map(|c| c.total_fen).sum::<i64>();
        for s in &ss {
            want.basic_fen += s.basic_fen;
            want.serious_illness_fen += s.serious_fen;
            want.medical_assistance_fen += s.assistance_fen;
            want.supplementary_fen += s.supplementary_fen;
            want.personal_in_policy_fen += s.personal_in_policy_fen;
            want.personal_total_fen += s.personal_total_fen;
        }
    }
    let s = summarize(&mut c, "420625", RegionLevel::Township).await;
    let total = s.total.unwrap();
    assert_eq!(total, want);
    assert_eq!(total.people_over_cap, 0, "nobody over 5,000 yuan");
    assert_eq!(total.premiums_fen, 1_088_868_000, "49,494 x 220 yuan");
    assert_eq!(s.groups.len(), TOWNSHIPS.len());
    assert_eq!(
        s.groups.iter().map(|g| g.insured_people).sum::<i64>(),
        i64::from(INSURED)
    );
    let by_village = summarize(&mut c, "420625100", RegionLevel::Village).await;
    assert_eq!(by_village.groups.len(), 20);
    assert_eq!(by_village.total.unwrap(), s.groups[0]);
    let ex = c
        .list_exceptions(ListExceptionsRequest {
            coverage_year: YEAR,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(ex.persons_over_cap.is_empty() && ex.non_one_stop_cases.is_empty());
    svc.stop().await.unwrap();
}

/// Every page of ListPersonPayments for a filter, as (resident id, village, personal total).
async fn payments(c: &mut Client, prefix: &str, min: i64, page: i32) -> Vec<(String, String, i64)> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let r = c
            .list_person_payments(ListPersonPaymentsRequest {
                coverage_year: YEAR,
                region_prefix: prefix.into(),
                min_personal_total_fen: min,
                page_size: page,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(r.people.len() <= page as usize);
        out.extend(
            r.people
                .into_iter()
                .map(|p| (p.resident_id, p.village_code, p.personal_total_fen)),
        );
        if r.next_page_token.is_empty() {
            return out;
        }
        token = r.next_page_token;
    }
}

#[tokio::test]
async fn person_payments_are_the_year_to_date_totals_by_region_and_floor() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    upsert(
        &mut c,
        institution("CTY1", InstitutionLevel::County, true, true),
    )
    .await;
    const V2: &str = "420625101202";
    // Persons 1-4 enrolled (1, 2, 4 in V1; 3 in V2); 1, 2, 3 settle a case each, person
    // 2's is reversed; person 4 never pays.
    for (n, v) in [(1, V1), (2, V1), (3, V2), (4, V1)] {
        enrol(&mut c, &format!("e{n}"), enrolment(n, v, true))
            .await
            .unwrap();
    }
    let mut paid = BTreeMap::new();
    for (n, total, oop) in [
        (1, 2_000_000, 300_000),
        (2, 500_000, 0),
        (3, 800_000, 800_000),
    ] {
        let s = settle(
            &mut c,
            &format!("c{n}"),
            hospital_case(n, "CTY1", total, oop, n),
        )
        .await
        .unwrap();
        let personal = s.totals.unwrap().layers.unwrap().personal_total_fen;
        assert!(personal > 0);
        paid.insert(n, (s.record.unwrap().case_id, personal));
    }
    c.reverse_case(ReverseCaseRequest {
        request_id: "rev2".into(),
        case_id: paid[&2].0,
        reason: "entered twice".into(),
    })
    .await
    .unwrap();

    // The aggregator reads it; what it gets is each person's year-to-date total.
    let mut agg = client(&svc, Principal::Aggregator).await;
    let mut want_county: Vec<(String, String, i64)> = vec![
        (person_id(1), V1.to_string(), paid[&1].1),
        (person_id(3), V2.to_string(), paid[&3].1),
    ];
    want_county.sort();
    for page in [1, 100] {
        assert_eq!(payments(&mut agg, "420625", 0, page).await, want_county);
    }
    assert_eq!(
        payments(&mut agg, V1, 0, 100).await,
        vec![(person_id(1), V1.to_string(), paid[&1].1)]
    );
    // The floor is strict: exactly person 3's total excludes it.
    let floor = paid[&3].1;
    let above: Vec<_> = want_county
        .iter()
        .filter(|p| p.2 > floor)
        .cloned()
        .collect();
    assert_eq!(payments(&mut agg, "420625", floor, 100).await, above);
    assert_eq!(
        payments(&mut agg, "420625", floor - 1, 100).await.len(),
        above.len() + 1
    );

    // Bad input names the field.
    for (req, field) in [
        (
            ListPersonPaymentsRequest {
                coverage_year: YEAR,
                ..Default::default()
            },
            "region_prefix",
        ),
        (
            ListPersonPaymentsRequest {
                region_prefix: "420625".into(),
                ..Default::default()
            },
            "coverage_year",
        ),
        (
            ListPersonPaymentsRequest {
                coverage_year: YEAR,
                region_prefix: "420625".into(),
                min_personal_total_fen: -1,
                ..Default::default()
            },
            "min_personal_total_fen",
        ),
    ] {
        let e = agg.list_person_payments(req).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(violated_fields(&e).contains(&field.to_string()), "{e:?}");
    }
    // Another bureau may not read it.
    let mut other = client(&svc, Principal::Bureau(Bureau::Education)).await;
    let e = other
        .list_person_payments(ListPersonPaymentsRequest {
            coverage_year: YEAR,
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    svc.stop().await.unwrap();
}

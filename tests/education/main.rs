//! The education service over real gRPC: a service on port 0 with a fresh database
//! (SQLite, or PostgreSQL with XK_TEST_DATABASE=postgres), called through the generated
//! client with bearer tokens. Fixtures live in this file; the tests in its modules:
//!
//! | module | what it shows |
//! |---|---|
//! | `guarantee` | the stored guarantee per status, letters, visits and a case's lifecycle |
//! | `refusals` | bad input named and not written, rule ids, retries, who may write |
//! | `imports` | a bad batch refused whole, committed batches replayed |
//! | `seed` | the county's published figures through the RPCs and back from the summary |
//! | `rollups` | every counted write keeps the per-village rollups equal to the rows; both answer alike; rollups off reads the rows |

mod guarantee;
mod imports;
mod refusals;
mod rollups;
mod seed;

use chrono::{Datelike, Days, Months, NaiveDate};
use futures::StreamExt;
use tonic::Code;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use xiaokang::testing::{Bearer, TestService};
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::education::v1::*;
use xk_contracts::types::ResidentId;
use xk_education::domain::policy::Policy;
use xk_education::domain::scope::{Stage, stage_of_grade};
use xk_education::domain::subsidy::living_allowance;
use xk_runtime::{Bureau, Principal};

/// An education client acting as some principal.
type Client = EducationServiceClient<InterceptedService<Channel, Bearer>>;

/// The Education Bureau: the service's owner.
const BUREAU: Principal = Principal::Bureau(Bureau::Education);
/// A village of 城关镇.
const V1: &str = "420625100201";
/// A village of 石花镇.
const V2: &str = "420625101202";

async fn start() -> TestService {
    TestService::start(xk_education::SPEC).await.unwrap()
}

async fn client(svc: &TestService, p: Principal) -> Client {
    EducationServiceClient::with_interceptor(svc.channel().await.unwrap(), svc.bearer(p))
}

/// Today in the county, as the service computes it.
fn today() -> NaiveDate {
    xk_runtime::clock::today()
}

/// The built-in policy of today's school year.
fn policy() -> Policy {
    xk_education::policy::built_in_on(today()).unwrap().clone()
}

/// The age cut-off of the current school year.
fn cutoff() -> NaiveDate {
    xk_education::domain::scope::school_year(today(), &policy()).cutoff
}

/// A distinct resident id for child `n`, `age` years old at this school year's cut-off.
fn child_id(address: &str, n: u32, age: u32) -> String {
    let birth = cutoff()
        .checked_sub_months(Months::new(12 * age))
        .unwrap()
        .checked_sub_days(Days::new(u64::from(1 + n / 800)))
        .unwrap();
    ResidentId::build(address, birth, (100 + n % 800) as u16)
        .as_str()
        .to_string()
}

fn days_ago(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).unwrap()
}

fn d(x: NaiveDate) -> Option<xk_contracts::pb::common::v1::Date> {
    Some(date_to_pb(x))
}

/// Student `n` in `village` with `status`, age 10, grade 4, a school named.
fn student(n: u32, village: &str, status: StudentStatus) -> Student {
    Student {
        resident_id: child_id("420625", n, 10),
        household_id: format!("HH{n:06}"),
        village_code: village.into(),
        school: "谷城县实验小学".into(),
        grade: 4,
        status: status as i32,
        ..Default::default()
    }
}

async fn create(c: &mut Client, rid: &str, s: Student) -> Result<Student, tonic::Status> {
    c.create_student(CreateStudentRequest {
        request_id: rid.into(),
        student: Some(s),
    })
    .await
    .map(|r| r.into_inner().student.unwrap())
}

async fn get(c: &mut Client, id: &str) -> GetStudentResponse {
    c.get_student(GetStudentRequest {
        resident_id: id.into(),
    })
    .await
    .unwrap()
    .into_inner()
}

async fn count(c: &mut Client) -> usize {
    let mut n = 0;
    let mut token = String::new();
    loop {
        let page = c
            .list_students(ListStudentsRequest {
                page_size: 1000,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        n += page.students.len();
        if page.next_page_token.is_empty() {
            return n;
        }
        token = page.next_page_token;
    }
}

fn bad_fields(s: &tonic::Status) -> Vec<String> {
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

/// The rule id (the precondition violation's `type`) of a FAILED_PRECONDITION.
fn rule_id(s: &tonic::Status) -> String {
    s.get_details_precondition_failure()
        .and_then(|p| p.violations.into_iter().next())
        .map(|v| v.r#type)
        .unwrap_or_default()
}

/// One import batch.
fn batch(rid: &str, students: Vec<Student>) -> ImportStudentsRequest {
    ImportStudentsRequest {
        request_id: rid.into(),
        students,
    }
}

fn visit(hours: i64) -> Option<Visit> {
    Some(Visit {
        date: d(today()),
        teacher: "王老师".into(),
        hours,
    })
}

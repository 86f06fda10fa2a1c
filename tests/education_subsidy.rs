//! The yearly subsidy entitlement over real gRPC (SQLite, or PostgreSQL with
//! XK_TEST_DATABASE=postgres): a student's living-allowance and nutrition payments add up
//! to at most the yearly entitlement per programme and school year; the payment that would
//! pass it is FAILED_PRECONDITION (rule SUBSIDY_OVER_ENTITLEMENT) and writes nothing.

use chrono::{Datelike, Days, Months, NaiveDate};
use tonic::Code;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use xiaokang::testing::{Bearer, TestService};
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::education::v1::*;
use xk_contracts::types::ResidentId;
use xk_education::domain::policy::Policy;
use xk_education::domain::scope::{SchoolYear, school_year};
use xk_runtime::{Bureau, Principal};

type Client = EducationServiceClient<InterceptedService<Channel, Bearer>>;

/// The rule id a client switches on (spelt out: clients see the string, not the const).
const OVER_ENTITLEMENT: &str = "SUBSIDY_OVER_ENTITLEMENT";

async fn start() -> (TestService, Client) {
    let svc = TestService::start(xk_education::SPEC).await.unwrap();
    let c = EducationServiceClient::with_interceptor(
        svc.channel().await.unwrap(),
        svc.bearer(Principal::Bureau(Bureau::Education)),
    );
    (svc, c)
}

/// Today in the county, as the service computes it.
fn today() -> NaiveDate {
    xk_runtime::clock::today()
}

fn policy() -> Policy {
    xk_education::policy::built_in_on(today()).unwrap().clone()
}

fn this_school_year() -> SchoolYear {
    school_year(today(), &policy())
}

/// The school year before this one; its days are all in the past.
fn last_school_year() -> SchoolYear {
    let day_before = this_school_year().start.pred_opt().unwrap();
    school_year(day_before, &policy())
}

/// A grade-4 day student (primary, not boarding), aged 10 at this school year's cut-off.
async fn create_student(c: &mut Client, n: u16) -> String {
    let birth = this_school_year()
        .cutoff
        .checked_sub_months(Months::new(12 * 10))
        .unwrap();
    let id = ResidentId::build("420625", birth, 100 + n)
        .as_str()
        .to_string();
    c.create_student(CreateStudentRequest {
        request_id: format!("student-{n}"),
        student: Some(Student {
            resident_id: id.clone(),
            household_id: format!("HH{n:06}"),
            village_code: "420625100201".into(),
            school: "谷城县实验小学".into(),
            grade: 4,
            status: StudentStatus::InCounty as i32,
            ..Default::default()
        }),
    })
    .await
    .unwrap();
    id
}

/// A living-allowance payment of `amount_fen` on `paid_on`, school year from the date.
fn allowance(rid: &str, id: &str, amount_fen: i64, paid_on: NaiveDate) -> RecordSubsidyRequest {
    RecordSubsidyRequest {
        request_id: rid.into(),
        resident_id: id.into(),
        subsidy: Some(Subsidy {
            programme: SubsidyProgramme::LivingAllowance as i32,
            amount_fen,
            paid_on: Some(date_to_pb(paid_on)),
            ..Default::default()
        }),
    }
}

/// The same payment, counted towards the named school year.
fn for_school_year(mut req: RecordSubsidyRequest, year: i32) -> RecordSubsidyRequest {
    if let Some(s) = req.subsidy.as_mut() {
        s.school_year = year;
    }
    req
}

/// The rule id and subject of a FAILED_PRECONDITION.
fn rule_of(s: &tonic::Status) -> (String, String) {
    s.get_details_precondition_failure()
        .and_then(|p| p.violations.into_iter().next())
        .map(|v| (v.r#type, v.subject))
        .unwrap_or_default()
}

/// The school year of each stored payment, in the order GetStudent lists them.
async fn school_years(c: &mut Client, id: &str) -> Vec<i32> {
    payments(c, id)
        .await
        .iter()
        .map(|s| s.school_year)
        .collect()
}

async fn payments(c: &mut Client, id: &str) -> Vec<Subsidy> {
    c.get_student(GetStudentRequest {
        resident_id: id.into(),
    })
    .await
    .unwrap()
    .into_inner()
    .subsidies
}

#[tokio::test]
async fn second_full_allowance_in_a_school_year_is_refused_and_the_next_year_is_paid() {
    let (svc, mut c) = start().await;
    let id = create_student(&mut c, 1).await;
    let full = policy().living_allowance.primary_day_fen;
    let last = last_school_year();
    let first = c
        .record_subsidy(allowance("pay-1", &id, full, last.start + Days::new(10)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first.payments, first.total_fen), (1, full));

    // A second full year's allowance, later in the same school year.
    let err = c
        .record_subsidy(allowance("pay-2", &id, full, last.start + Days::new(40)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(
        rule_of(&err),
        (
            OVER_ENTITLEMENT.to_string(),
            "subsidy.amount_fen".to_string()
        )
    );
    assert!(
        err.message().contains("at most 0 fen remains"),
        "{}",
        err.message()
    );
    // Nothing was written: one payment, the student's totals unchanged.
    assert_eq!(payments(&mut c, &id).await.len(), 1);
    // The next school year has its own entitlement: a full payment today is accepted.
    let next = c
        .record_subsidy(allowance("pay-2", &id, full, today()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((next.payments, next.total_fen), (2, 2 * full));
    assert_eq!(
        school_years(&mut c, &id).await,
        [last.start.year(), this_school_year().start.year()]
    );
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn instalments_reach_the_entitlement_and_the_refusal_names_what_remains() {
    let (svc, mut c) = start().await;
    let id = create_student(&mut c, 2).await;
    let full = policy().living_allowance.primary_day_fen;
    let day = last_school_year().start + Days::new(5);
    let part = full * 3 / 5;
    c.record_subsidy(allowance("part-1", &id, part, day))
        .await
        .unwrap();
    let err = c
        .record_subsidy(allowance("part-2", &id, part, day))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(rule_of(&err).0, OVER_ENTITLEMENT);
    let remaining = full - part;
    assert!(
        err.message()
            .contains(&format!("at most {remaining} fen remains")),
        "{}",
        err.message()
    );
    // Exactly what remains is accepted; then not one fen more.
    let done = c
        .record_subsidy(allowance("part-2", &id, remaining, day))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.total_fen, full);
    let err = c
        .record_subsidy(allowance("part-3", &id, 1, day))
        .await
        .unwrap_err();
    assert_eq!(rule_of(&err).0, OVER_ENTITLEMENT);
    // Nutrition is a programme of its own: its entitlement is untouched by the allowance.
    let p = policy();
    let food = RecordSubsidyRequest {
        request_id: "food-1".into(),
        resident_id: id.clone(),
        subsidy: Some(Subsidy {
            programme: SubsidyProgramme::Nutrition as i32,
            amount_fen: p.nutrition.fen_per_day * i64::from(p.nutrition.days_per_year),
            paid_on: Some(date_to_pb(day)),
            days: i64::from(p.nutrition.days_per_year),
            ..Default::default()
        }),
    };
    c.record_subsidy(food.clone()).await.unwrap();
    let again = RecordSubsidyRequest {
        request_id: "food-2".into(),
        ..food
    };
    let err = c.record_subsidy(again).await.unwrap_err();
    assert_eq!(rule_of(&err).0, OVER_ENTITLEMENT);
    assert_eq!(payments(&mut c, &id).await.len(), 3);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn a_named_school_year_decides_which_entitlement_a_payment_uses() {
    let (svc, mut c) = start().await;
    let id = create_student(&mut c, 3).await;
    let full = policy().living_allowance.primary_day_fen;
    let last = last_school_year().start.year();
    c.record_subsidy(allowance("y-1", &id, full, today()))
        .await
        .unwrap();
    // Arrears for last school year, paid today: counted towards last year, so accepted.
    let mut arrears = for_school_year(allowance("y-2", &id, full, today()), last);
    c.record_subsidy(arrears.clone()).await.unwrap();
    // A second payment for last year is refused, though paid in this one.
    arrears.request_id = "y-3".into();
    let err = c.record_subsidy(arrears.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(rule_of(&err).0, OVER_ENTITLEMENT);
    assert!(
        err.message().contains(&format!("school year {last}")),
        "{}",
        err.message()
    );
    // A school year that has not begun cannot be paid for: a bad field, nothing written.
    let not_begun = this_school_year().start.year() + 1;
    let err = c
        .record_subsidy(for_school_year(arrears, not_begun))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = err
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["subsidy.school_year"]);
    assert_eq!(
        school_years(&mut c, &id).await,
        [this_school_year().start.year(), last]
    );
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn racing_full_payments_pay_the_year_once() {
    let (svc, mut c) = start().await;
    let id = create_student(&mut c, 4).await;
    let full = policy().living_allowance.primary_day_fen;
    let day = last_school_year().start + Days::new(20);
    let calls = (0..6).map(|n| {
        let mut c = c.clone();
        let pay = allowance(&format!("race-{n}"), &id, full, day);
        async move { c.record_subsidy(pay).await.map(|r| r.into_inner()) }
    });
    let results = futures::future::join_all(calls).await;
    let accepted = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(accepted, 1, "{results:?}");
    // The others either saw the first payment (the rule) or lost the race for the
    // student's row (ABORTED, to be retried); none was written.
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        match err.code() {
            Code::FailedPrecondition => assert_eq!(rule_of(err).0, OVER_ENTITLEMENT),
            Code::Aborted => {}
            other => panic!("unexpected {other:?}: {err:?}"),
        }
    }
    let stored = payments(&mut c, &id).await;
    assert_eq!(stored.iter().map(|s| s.amount_fen).sum::<i64>(), full);
    // The refused and aborted payments left no trace in the rollups either.
    assert_eq!(svc.hosted.db().verify_rollups().await.unwrap(), []);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn payments_stored_without_a_school_year_count_by_their_date() {
    use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, EntityTrait};
    use xk_education::store::entities::subsidy;

    let (svc, mut c) = start().await;
    let id = create_student(&mut c, 5).await;
    let full = policy().living_allowance.primary_day_fen;
    let last = last_school_year();
    // A full allowance stored before payments carried a school year (column NULL).
    let db = xk_runtime::Db::connect(&svc.database.url, 1).await.unwrap();
    subsidy::Entity::insert(subsidy::ActiveModel {
        id: NotSet,
        resident_id: Set(id.clone()),
        programme: Set(SubsidyProgramme::LivingAllowance as i32),
        amount_fen: Set(full),
        paid_on: Set(last.end),
        days: Set(0),
        school_year: Set(None),
    })
    .exec_without_returning(db.conn())
    .await
    .unwrap();
    db.close().await.unwrap();
    // Read back with the school year of its date.
    assert_eq!(school_years(&mut c, &id).await, [last.start.year()]);
    // It fills last school year's entitlement, whether the year is named or derived.
    let err = c
        .record_subsidy(allowance("old-1", &id, 1, last.start))
        .await
        .unwrap_err();
    assert_eq!(rule_of(&err).0, OVER_ENTITLEMENT, "{err:?}");
    let named = for_school_year(allowance("old-2", &id, 1, today()), last.start.year());
    let err = c.record_subsidy(named).await.unwrap_err();
    assert_eq!(rule_of(&err).0, OVER_ENTITLEMENT, "{err:?}");
    // It does not touch this school year's.
    c.record_subsidy(allowance("new-1", &id, full, this_school_year().start))
        .await
        .unwrap();
    assert_eq!(payments(&mut c, &id).await.len(), 2);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn a_school_year_before_the_policy_book_is_invalid_argument_naming_its_field() {
    let (svc, mut c) = start().await;
    let id = create_student(&mut c, 6).await;
    let full = policy().living_allowance.primary_day_fen;
    let first = xk_education::domain::policy::embedded().first_year();
    let bad_fields = |s: &tonic::Status| -> Vec<String> {
        s.get_details_bad_request()
            .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
            .unwrap_or_default()
    };
    // Named: the school year before the book's first.
    let named = for_school_year(allowance("early-1", &id, full, today()), first - 1);
    let err = c.record_subsidy(named).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(bad_fields(&err), ["subsidy.school_year"]);
    // Derived: a payment dated in that school year.
    let day = NaiveDate::from_ymd_opt(first, 6, 1).unwrap();
    let err = c
        .record_subsidy(allowance("early-2", &id, full, day))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(bad_fields(&err), ["subsidy.paid_on"]);
    assert!(
        err.message().contains(&first.to_string()),
        "{}",
        err.message()
    );
    // The book's first school year is paid like any other; nothing else was written.
    let covered = for_school_year(allowance("early-3", &id, full, today()), first);
    c.record_subsidy(covered).await.unwrap();
    assert_eq!(school_years(&mut c, &id).await, [first]);
    svc.stop().await.unwrap();
}

//! The education service over real gRPC: a service on port 0 with a fresh database
//! (SQLite, or PostgreSQL with XK_TEST_DATABASE=postgres), called through the generated
//! client with bearer tokens. Fixtures live in this file.

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
use xk_education::domain::policy::{Policy, PolicyBook};
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
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

fn policy() -> Policy {
    xk_education::policy::policy_on(PolicyBook::embedded(), today()).clone()
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

fn visit(hours: i64) -> Option<Visit> {
    Some(Visit {
        date: d(today()),
        teacher: "王老师".into(),
        hours,
    })
}

#[tokio::test]
async fn guarantee_is_computed_by_the_service_per_status() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let p = policy();
    use StudentStatus as S;
    let mut expect = Vec::new();
    for (n, status, guaranteed) in [
        (1, S::InCounty, true),
        (2, S::OutsideCounty, false),
        (3, S::OutsideProvince, false),
        (4, S::SpecialSchool, true),
        (5, S::InclusiveClass, true),
        (6, S::HomeTeaching, false),
        (7, S::DroppedOut, false),
        (8, S::NeverEnrolled, false),
    ] {
        let s = create(&mut c, &format!("c{n}"), student(n, V1, status))
            .await
            .unwrap();
        assert_eq!(
            s.guaranteed, guaranteed,
            "{status:?}: {}",
            s.guarantee_reason
        );
        expect.push(s);
    }
    // A deferral in effect and an exemption with its approval are guaranteed.
    let mut s = student(9, V1, S::Deferral);
    s.grade = 0;
    s.deferral = Some(Deferral {
        approved_on: d(days_ago(10)),
        expires_on: d(days_ago(10)
            .checked_add_months(Months::new(p.deferral_max_months))
            .unwrap()),
        approval_ref: "谷教缓〔2019〕9号".into(),
    });
    assert!(create(&mut c, "c9", s).await.unwrap().guaranteed);
    let mut s = student(10, V1, S::Exemption);
    s.exemption = Some(Exemption {
        approved_on: d(days_ago(3)),
        approval_ref: "谷教免〔2019〕1号".into(),
        reason: "重度残疾".into(),
    });
    assert!(create(&mut c, "c10", s).await.unwrap().guaranteed);

    // Outside the county: a letter alone is not enough, its reply is.
    let out = &expect[1].resident_id;
    let r = c
        .send_letter(SendLetterRequest {
            request_id: "l1".into(),
            resident_id: out.clone(),
            letter: Some(Letter {
                number: "谷教函〔2019〕001".into(),
                sent_on: d(days_ago(5)),
                recipient: "襄阳市樊城区教育局".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let st = r.student.unwrap();
    assert!(!st.guaranteed);
    assert_eq!(st.guarantee_reason, "elsewhere_unconfirmed");
    let r = c
        .record_letter_reply(RecordLetterReplyRequest {
            request_id: "l1r".into(),
            number: "谷教函〔2019〕001".into(),
            reply_on: d(today()),
            proof_ref: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.student.unwrap().guaranteed);

    // Home teaching: guaranteed once a visit is logged.
    let home = &expect[5].resident_id;
    let r = c
        .record_visit(RecordVisitRequest {
            request_id: "v1".into(),
            resident_id: home.clone(),
            visit: visit(3),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.student.unwrap().guaranteed);
    assert_eq!((r.school_year_visits, r.school_year_hours), (1, 3));

    // Dropped out: a case, which closes only once the child is back.
    let drop = expect[6].resident_id.clone();
    let case = c
        .open_case(OpenCaseRequest {
            request_id: "o1".into(),
            resident_id: drop.clone(),
            opened_on: d(days_ago(20)),
        })
        .await
        .unwrap()
        .into_inner()
        .return_case
        .unwrap();
    assert_eq!(case.state, CaseState::Open as i32);
    let case = c
        .add_follow_up(AddFollowUpRequest {
            request_id: "f1".into(),
            case_id: case.case_id.clone(),
            follow_up: Some(FollowUp {
                date: d(days_ago(10)),
                by: "李老师".into(),
                note: "家访，家长同意返校".into(),
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .return_case
        .unwrap();
    assert_eq!(case.state, CaseState::FollowingUp as i32);
    let err = c
        .close_case(CloseCaseRequest {
            request_id: "x1".into(),
            case_id: case.case_id.clone(),
            closed_on: d(today()),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    // Back in school: update with the etag (a stale one is ABORTED).
    let cur = get(&mut c, &drop).await.student.unwrap();
    assert!(cur.open_case);
    let mut back = cur.clone();
    back.status = S::InCounty as i32;
    back.etag = "999".into();
    let err = c
        .update_student(UpdateStudentRequest {
            request_id: "u0".into(),
            student: Some(back.clone()),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    back.etag = cur.etag.clone();
    let updated = c
        .update_student(UpdateStudentRequest {
            request_id: "u1".into(),
            student: Some(back),
        })
        .await
        .unwrap()
        .into_inner()
        .student
        .unwrap();
    assert!(updated.guaranteed && updated.open_case);
    assert_ne!(updated.etag, cur.etag);
    let closed = c
        .close_case(CloseCaseRequest {
            request_id: "x2".into(),
            case_id: case.case_id.clone(),
            closed_on: d(today()),
        })
        .await
        .unwrap()
        .into_inner()
        .return_case
        .unwrap();
    assert_eq!(closed.state, CaseState::Closed as i32);
    let got = get(&mut c, &drop).await;
    assert!(!got.student.unwrap().open_case);
    assert_eq!(got.cases.len(), 1);

    // The exceptions: only the never-enrolled child (no case) is left.
    let ex = c
        .list_exceptions(ListExceptionsRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let got: Vec<(i32, &str)> = ex
        .exceptions
        .iter()
        .map(|e| (e.kind, e.resident_id.as_str()))
        .collect();
    let kind = ExceptionKind::NotGuaranteedNoCase as i32;
    let mut want = vec![
        (kind, expect[2].resident_id.as_str()),
        (kind, expect[7].resident_id.as_str()),
    ];
    want.sort();
    assert_eq!(got, want, "outside province without letter, never enrolled");
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn bad_requests_name_the_field_and_write_nothing() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let p = policy();
    // Out of scope: 20 years old at the cut-off.
    let mut s = student(1, V1, StudentStatus::InCounty);
    s.resident_id = child_id("420625", 1, 20);
    let err = create(&mut c, "a1", s).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(precondition_subject(&err), "student.resident_id");
    // A deferral longer than the maximum.
    let mut s = student(2, V1, StudentStatus::Deferral);
    s.grade = 0;
    let approved = days_ago(5);
    s.deferral = Some(Deferral {
        approved_on: d(approved),
        expires_on: d(approved
            .checked_add_months(Months::new(p.deferral_max_months + 1))
            .unwrap()),
        approval_ref: "谷教缓〔2019〕2号".into(),
    });
    let err = create(&mut c, "a2", s).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(precondition_subject(&err), "student.deferral.expires_on");
    // A deferral without its approval reference: malformed.
    let mut s = student(3, V1, StudentStatus::Deferral);
    s.deferral = Some(Deferral {
        approved_on: d(approved),
        expires_on: d(today()),
        approval_ref: String::new(),
    });
    let err = create(&mut c, "a3", s).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&err), ["student.deferral.approval_ref"]);
    // A bad resident id and a bad village code, both named.
    let mut s = student(4, V1, StudentStatus::InCounty);
    s.resident_id = "340524198001010013".into();
    s.village_code = "42062510020".into();
    let err = create(&mut c, "a4", s).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        bad_fields(&err),
        ["student.resident_id", "student.village_code"]
    );
    // A visit for a child not in home teaching; negative hours.
    let ok = create(&mut c, "a5", student(5, V1, StudentStatus::InCounty))
        .await
        .unwrap();
    let err = c
        .record_visit(RecordVisitRequest {
            request_id: "a6".into(),
            resident_id: ok.resident_id.clone(),
            visit: visit(3),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(precondition_subject(&err), "resident_id");
    let home = create(&mut c, "a7", student(7, V1, StudentStatus::HomeTeaching))
        .await
        .unwrap();
    let err = c
        .record_visit(RecordVisitRequest {
            request_id: "a8".into(),
            resident_id: home.resident_id.clone(),
            visit: visit(-2),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&err), ["visit.hours"]);
    // A negative subsidy.
    let err = c
        .record_subsidy(RecordSubsidyRequest {
            request_id: "a9".into(),
            resident_id: ok.resident_id.clone(),
            subsidy: Some(Subsidy {
                programme: SubsidyProgramme::LivingAllowance as i32,
                amount_fen: -1,
                paid_on: d(today()),
                days: 0,
                school_year: 0,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&err), ["subsidy.amount_fen"]);
    // Nothing of the refused requests was written.
    assert_eq!(count(&mut c).await, 2);
    let g = get(&mut c, &ok.resident_id).await;
    assert!(g.visits.is_empty() && g.subsidies.is_empty());
    assert!(get(&mut c, &home.resident_id).await.visits.is_empty());
    // A refused request id is not burnt: the same id works for a good request.
    c.record_visit(RecordVisitRequest {
        request_id: "a8".into(),
        resident_id: home.resident_id.clone(),
        visit: visit(3),
    })
    .await
    .unwrap();
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn retried_writes_return_the_first_answer_and_write_once() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let mut s = student(1, V1, StudentStatus::InCounty);
    s.incoming = true;
    s.resident_id = child_id("420606", 1, 10);
    let first = create(&mut c, "same", s.clone()).await.unwrap();
    let again = create(&mut c, "same", s.clone()).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(count(&mut c).await, 1);
    let err = create(&mut c, "same", student(2, V1, StudentStatus::InCounty))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    let err = create(&mut c, "fresh", s).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert!(
        err.message().contains("student.resident_id"),
        "{}",
        err.message()
    );
    let pay = RecordSubsidyRequest {
        request_id: "pay-1".into(),
        resident_id: first.resident_id.clone(),
        subsidy: Some(Subsidy {
            programme: SubsidyProgramme::LivingAllowance as i32,
            amount_fen: policy().living_allowance.primary_day_fen,
            paid_on: d(today()),
            days: 0,
            school_year: 0,
        }),
    };
    let a = c.record_subsidy(pay.clone()).await.unwrap().into_inner();
    let b = c.record_subsidy(pay).await.unwrap().into_inner();
    assert_eq!(a, b);
    assert_eq!(a.payments, 1);
    assert_eq!(get(&mut c, &first.resident_id).await.subsidies.len(), 1);
    svc.stop().await.unwrap();
}

fn batch(rid: &str, students: Vec<Student>) -> ImportStudentsRequest {
    ImportStudentsRequest {
        request_id: rid.into(),
        students,
    }
}

#[tokio::test]
async fn import_rejects_a_bad_batch_whole_and_replays_committed_ones() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let good: Vec<Student> = (0..3)
        .map(|n| student(n, V1, StudentStatus::InCounty))
        .collect();
    let mut second: Vec<Student> = (3..6)
        .map(|n| student(n, V2, StudentStatus::OutsideCounty))
        .collect();
    let fixed = second.clone();
    second[1].resident_id = child_id("420625", 4, 25); // out of scope
    second[2].village_code = "4206251".into(); // malformed
    let err = c
        .import_students(futures::stream::iter(vec![
            batch("b0", good.clone()),
            batch("b1", second),
        ]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    // Every bad record of the batch is named, the broken rule with the malformed field.
    assert_eq!(
        bad_fields(&err),
        [
            "batch[1].students[1].resident_id",
            "batch[1].students[2].village_code"
        ]
    );
    assert_eq!(
        count(&mut c).await,
        3,
        "batch 0 committed, batch 1 not at all"
    );
    // Only the rule broken: FAILED_PRECONDITION naming the record's field.
    let mut rule = fixed.clone();
    rule[1].resident_id = child_id("420625", 4, 25);
    let err = c
        .import_students(futures::stream::iter(vec![batch("b1", rule)]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(
        precondition_subject(&err),
        "batch[0].students[1].resident_id"
    );
    assert_eq!(count(&mut c).await, 3);
    // Resend everything with the same ids: batch 0 is replayed, batch 1 committed.
    let r = c
        .import_students(futures::stream::iter(vec![
            batch("b0", good),
            batch("b1", fixed),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (r.batches_committed, r.batches_replayed, r.students_imported),
        (1, 1, 3)
    );
    assert_eq!(count(&mut c).await, 6);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn only_the_bureau_writes_and_the_aggregator_reads() {
    let svc = start().await;
    let mut other = client(&svc, Principal::Bureau(Bureau::PovertyOffice)).await;
    let err = create(&mut other, "p1", student(1, V1, StudentStatus::InCounty))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut agg = client(&svc, Principal::Aggregator).await;
    let err = create(&mut agg, "p2", student(1, V1, StudentStatus::InCounty))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut admin = client(&svc, Principal::Admin).await;
    create(&mut admin, "p3", student(1, V1, StudentStatus::InCounty))
        .await
        .unwrap();
    assert_eq!(count(&mut agg).await, 1);
    let s = agg
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s.total.unwrap().students, 1);
    let err = other
        .list_students(ListStudentsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    svc.stop().await.unwrap();
}

/// Villages of the seed, spread over the county's townships.
const SEED_VILLAGES: [&str; 6] = [
    "420625100201",
    "420625101203",
    "420625102205",
    "420625104210",
    "420625108220",
    "420625200230",
];

#[tokio::test]
async fn seed_figures_load_through_the_rpcs_and_come_back_from_the_summary() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let p = policy();
    let village = |n: u32| SEED_VILLAGES[n as usize % SEED_VILLAGES.len()];
    // 97 taught at home, 5 placed nearby, 1,088 outside the county, 230 incoming.
    let mut all = Vec::new();
    let home: Vec<Student> = (0..97)
        .map(|n| {
            let mut s = student(n, village(n), StudentStatus::HomeTeaching);
            s.school.clear();
            s
        })
        .collect();
    let nearby: Vec<Student> = (97..102)
        .map(|n| student(n, village(n), StudentStatus::InCounty))
        .collect();
    let outside: Vec<Student> = (102..1190)
        .map(|n| {
            let st = if n % 7 == 0 {
                StudentStatus::OutsideProvince
            } else {
                StudentStatus::OutsideCounty
            };
            student(n, village(n), st)
        })
        .collect();
    let incoming: Vec<Student> = (0..230)
        .map(|n| {
            let mut s = student(n, village(n), StudentStatus::InCounty);
            s.resident_id = child_id("420606", n, 7 + n % 8);
            s.household_id = format!("XC{n:06}");
            s.incoming = true;
            s.grade = (1 + n % 9) as i32;
            s.boarding = n % 2 == 0;
            s
        })
        .collect();
    all.extend(home.iter().cloned());
    all.extend(nearby.iter().cloned());
    all.extend(outside.iter().cloned());
    all.extend(incoming.iter().cloned());
    let batches: Vec<ImportStudentsRequest> = all
        .chunks(500)
        .enumerate()
        .map(|(i, ch)| batch(&format!("seed-{i}"), ch.to_vec()))
        .collect();
    let r = c
        .import_students(futures::stream::iter(batches))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.students_imported, 1420);

    // Every outside student gets a letter; two in three have replied; some letters were
    // sent long enough ago to be overdue without a reply.
    let mut reqs = Vec::new();
    let mut confirmed = 0;
    let mut overdue = 0;
    for (i, s) in outside.iter().enumerate() {
        let old = i % 50 == 0;
        let replied = i % 3 != 0;
        confirmed += i64::from(replied);
        overdue += i64::from(old && !replied);
        let sent = if old {
            days_ago(u64::from(p.letter_reply_days) + 15)
        } else {
            days_ago(5)
        };
        reqs.push((
            SendLetterRequest {
                request_id: format!("letter-{i}"),
                resident_id: s.resident_id.clone(),
                letter: Some(Letter {
                    number: format!("谷教函〔2019〕{i:04}"),
                    sent_on: d(sent),
                    recipient: "接收地教育局".into(),
                    ..Default::default()
                }),
            },
            replied.then(|| RecordLetterReplyRequest {
                request_id: format!("reply-{i}"),
                number: format!("谷教函〔2019〕{i:04}"),
                reply_on: d(today()),
                proof_ref: String::new(),
            }),
        ));
    }
    let cc = c.clone();
    futures::stream::iter(reqs)
        .for_each_concurrent(8, |(send, reply)| {
            let mut c = cc.clone();
            async move {
                c.send_letter(send).await.unwrap();
                if let Some(r) = reply {
                    c.record_letter_reply(r).await.unwrap();
                }
            }
        })
        .await;
    // One visit for each child taught at home.
    futures::stream::iter(home.iter().enumerate())
        .for_each_concurrent(8, |(i, s)| {
            let mut c = cc.clone();
            async move {
                c.record_visit(RecordVisitRequest {
                    request_id: format!("visit-{i}"),
                    resident_id: s.resident_id.clone(),
                    visit: visit(i64::from(p.home_teaching.hours_per_visit)),
                })
                .await
                .unwrap();
            }
        })
        .await;
    // The living allowance for every incoming student, at the policy's amount.
    let mut incoming_fen = 0;
    let mut pays = Vec::new();
    for (i, s) in incoming.iter().enumerate() {
        let stage = stage_of_grade(s.grade as u8, &p).unwrap_or(Stage::Primary);
        let amount = living_allowance(stage, s.boarding, &p);
        incoming_fen += amount;
        pays.push(RecordSubsidyRequest {
            request_id: format!("pay-{i}"),
            resident_id: s.resident_id.clone(),
            subsidy: Some(Subsidy {
                programme: SubsidyProgramme::LivingAllowance as i32,
                amount_fen: amount,
                paid_on: d(today()),
                days: 0,
                school_year: 0,
            }),
        });
    }
    futures::stream::iter(pays)
        .for_each_concurrent(8, |r| {
            let mut c = cc.clone();
            async move {
                c.record_subsidy(r).await.unwrap();
            }
        })
        .await;
    // The survey campaign: 102 unable to attend for physical reasons, 5 + 97.
    let findings = vec![
        SurveyFinding {
            region_code: SEED_VILLAGES[0].into(),
            children_surveyed: 3000,
            unable_to_attend_physical: 60,
            placed_nearby: 3,
            taught_at_home: 57,
        },
        SurveyFinding {
            region_code: SEED_VILLAGES[1].into(),
            children_surveyed: 2500,
            unable_to_attend_physical: 42,
            placed_nearby: 2,
            taught_at_home: 40,
        },
    ];
    c.record_survey(RecordSurveyRequest {
        request_id: "survey-2019".into(),
        survey: Some(Survey {
            survey_id: "2019-控辍保学大排查".into(),
            name: "2019年控辍保学大排查".into(),
            conducted_on: d(days_ago(30)),
            findings,
        }),
    })
    .await
    .unwrap();

    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Township as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let t = s.total.unwrap();
    assert_eq!(
        (
            t.survey_unable_to_attend_physical,
            t.survey_placed_nearby,
            t.survey_taught_at_home,
            t.survey_children_surveyed
        ),
        (102, 5, 97, 5500)
    );
    assert_eq!(t.home_teaching, 97);
    assert_eq!(t.in_county, 5 + 230);
    assert_eq!(t.outside_county + t.outside_province, 1088);
    assert_eq!(
        t.outside_province,
        outside
            .iter()
            .filter(|s| s.status == StudentStatus::OutsideProvince as i32)
            .count() as i64
    );
    assert_eq!(t.outside_with_letter, 1088);
    assert_eq!(t.letters_sent, 1088);
    assert_eq!(t.letters_confirmed, confirmed);
    assert_eq!(t.letters_overdue, overdue);
    assert_eq!(t.incoming_students, 230);
    assert_eq!(t.incoming_with_subsidy, 230);
    assert_eq!(t.incoming_subsidy_fen, incoming_fen);
    assert_eq!(t.subsidy_fen, incoming_fen);
    assert_eq!(t.students, 1420);
    assert_eq!(t.guaranteed, 97 + 5 + confirmed + 230);
    assert_eq!(t.not_guaranteed, 1088 - confirmed);
    assert_eq!(t.not_guaranteed_without_case, 1088 - confirmed);
    assert_eq!(s.survey_id, "2019-控辍保学大排查");
    // Groups are townships in code order and add up to the total.
    let codes: Vec<&str> = s.groups.iter().map(|g| g.region_code.as_str()).collect();
    let mut want: Vec<&str> = SEED_VILLAGES.iter().map(|v| &v[..9]).collect();
    want.sort();
    assert_eq!(codes, want);
    assert_eq!(s.groups.iter().map(|g| g.students).sum::<i64>(), 1420);
    // By village, one township.
    let v = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625100".into(),
            group_by: RegionLevel::Village as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.groups.len(), 1);
    assert_eq!(v.groups[0].region_code, SEED_VILLAGES[0]);
    assert_eq!(v.total.unwrap().survey_unable_to_attend_physical, 60);

    // ListExceptions pages through the not-guaranteed students and the overdue letters.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_exceptions(ListExceptionsRequest {
                region_prefix: "420625".into(),
                page_size: 100,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.exceptions);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let by_kind = |k: ExceptionKind| seen.iter().filter(|e| e.kind == k as i32).count() as i64;
    assert_eq!(
        by_kind(ExceptionKind::NotGuaranteedNoCase),
        1088 - confirmed
    );
    assert_eq!(by_kind(ExceptionKind::LetterOverdue), overdue);
    assert_eq!(by_kind(ExceptionKind::HomeTeachingShortfall), 0);
    // A year on, each home-taught child's school year ended short of the minimum hours.
    let next_year = today()
        .with_year(today().year() + 1)
        .unwrap_or(today() + Days::new(366));
    let short = c
        .list_exceptions(ListExceptionsRequest {
            region_prefix: "420625".into(),
            as_of: d(next_year),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .exceptions;
    let shortfalls: Vec<_> = short
        .iter()
        .filter(|e| e.kind == ExceptionKind::HomeTeachingShortfall as i32)
        .collect();
    assert_eq!(shortfalls.len(), 97);
    let per_visit = i64::from(p.home_teaching.hours_per_visit);
    let min = i64::from(p.home_teaching.min_hours_per_school_year);
    assert!(
        shortfalls
            .iter()
            .all(|e| e.missing_hours == min - per_visit)
    );
    svc.stop().await.unwrap();
}

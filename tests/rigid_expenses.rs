//! The rigid-expenses trigger of DOMAIN.md §3 across services (SQLite, or PostgreSQL with
//! XK_TEST_DATABASE=postgres): medical payments (health), schooling expenses (education,
//! RecordSchoolingExpense) and disaster losses (registry, RecordDisasterExpense) of a year,
//! against last year's household income. Two households whose medical payments alone are
//! below last year's income: all three parts one fen above it is listed with every part
//! in the reason; exactly at it is not. Also the two new writes' contract: idempotent by
//! request id, audited, a second figure replaces the first, bad input named by field, an
//! unknown household NOT_FOUND, and the paged, region-filtered reads.

mod common;

use std::time::Duration;

use tonic::Code;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use xiaokang::testing::{Bearer, TestSuite};
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::{AtRiskHousehold, ListAtRiskHouseholdsRequest, RiskKind};
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::education::v1::{
    ListSchoolingExpensesRequest, RecordSchoolingExpenseRequest, SchoolingExpense,
};
use xk_contracts::pb::health::v1 as health;
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::registry::v1::{
    ArchiveStatus, ImportHouseholdsRequest, Income, ListDisasterExpensesRequest,
    RecordDisasterExpenseRequest,
};
use xk_runtime::{Bureau, Principal};

/// The village of both households, and another village with nothing recorded.
const VILLAGE: &str = "420625100201";
const OTHER_VILLAGE: &str = "420625101201";
/// The year judged.
const YEAR: i32 = 2020;
/// Last year's per-capita income; two members, so the household's is twice this.
const LAST_YEARS_PER_CAPITA: i64 = 300_000;
const LAST_YEARS_INCOME: i64 = 2 * LAST_YEARS_PER_CAPITA;
/// Each household's medical payment: below last year's income on its own.
const MEDICAL: i64 = 400_000;
/// Each household's schooling cost.
const SCHOOLING: i64 = 150_000;
/// Disaster losses that bring the three parts to exactly last year's income.
const DISASTER_AT: i64 = LAST_YEARS_INCOME - MEDICAL - SCHOOLING;

type Agg = AggregatorServiceClient<InterceptedService<Channel, Bearer>>;

/// The at-risk households of the village in YEAR, every signal available.
async fn at_risk(agg: &mut Agg) -> Vec<AtRiskHousehold> {
    let mut req = tonic::Request::new(ListAtRiskHouseholdsRequest {
        region_prefix: VILLAGE.into(),
        year: YEAR,
        ..Default::default()
    });
    req.set_timeout(Duration::from_secs(20));
    let mut s = agg.list_at_risk_households(req).await.unwrap().into_inner();
    let mut out = Vec::new();
    while let Some(m) = s.message().await.unwrap() {
        assert!(m.unavailable.is_empty(), "{m:?}");
        out.extend(m.households);
    }
    out
}

/// Which database of the suite belongs to `name`.
fn database_url(suite: &TestSuite, name: &str) -> String {
    let i = xiaokang::suite::SERVICES
        .iter()
        .position(|s| s.name == name)
        .unwrap();
    suite.databases[i].url.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn medical_schooling_and_disaster_together_above_last_years_income_are_flagged() {
    let suite = TestSuite::start().await.unwrap();
    let office = Principal::Bureau(Bureau::PovertyOffice);
    let mut registry =
        common::client_with_url(&suite.url("registry"), Some(&suite.tokens[&office])).await;
    let mut education = EducationServiceClient::with_interceptor(
        suite.channel("education").await.unwrap(),
        suite.bearer(Principal::Bureau(Bureau::Education)),
    );
    let mut health = HealthInsuranceServiceClient::with_interceptor(
        suite.channel("health").await.unwrap(),
        suite.bearer(Principal::Bureau(Bureau::MedicalSecurity)),
    );

    // HH000001 will be one fen above, HH000002 exactly at last year's income.
    let households: Vec<_> = [1, 2]
        .into_iter()
        .map(|n| {
            let mut h = common::household(n, VILLAGE, 2, ArchiveStatus::Exited);
            h.incomes = vec![
                Income {
                    year: YEAR - 1,
                    per_capita_net_income_fen: LAST_YEARS_PER_CAPITA,
                },
                // Above the 2020 monitoring line and not a fall: no income trigger.
                Income {
                    year: YEAR,
                    per_capita_net_income_fen: 700_000,
                },
            ];
            h
        })
        .collect();
    registry
        .import_households(tokio_stream::iter(vec![ImportHouseholdsRequest {
            request_id: "rigid-households".into(),
            households: households.clone(),
        }]))
        .await
        .unwrap();

    // Medical: the head of each household pays MEDICAL out of policy.
    health
        .upsert_institution(health::UpsertInstitutionRequest {
            request_id: "inst-1".into(),
            institution: Some(health::Institution {
                code: "H001".into(),
                name: "谷城县人民医院".into(),
                level: health::InstitutionLevel::County as i32,
                in_county: true,
                one_stop: true,
                treat_first_pay_later: true,
            }),
        })
        .await
        .unwrap();
    for h in &households {
        let head = h.members[0].resident_id.clone();
        health
            .enrol(health::EnrolRequest {
                request_id: format!("enrol-{}", h.household_id),
                enrolment: Some(health::Enrolment {
                    resident_id: head.clone(),
                    household_id: h.household_id.clone(),
                    village_code: VILLAGE.into(),
                    coverage_year: YEAR,
                    registered_poor: true,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
        let settled = health
            .settle_case(health::SettleCaseRequest {
                request_id: format!("case-{}", h.household_id),
                hospital_case: Some(health::HospitalCase {
                    resident_id: head,
                    institution_code: "H001".into(),
                    admission_date: Some(common::date(YEAR, 3, 1)),
                    discharge_date: Some(common::date(YEAR, 3, 6)),
                    total_fen: MEDICAL,
                    out_of_policy_fen: MEDICAL,
                    chronic_outpatient: false,
                    bill_number: format!("BILL-{}", h.household_id),
                }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            settled.record.unwrap().layers.unwrap().personal_total_fen,
            MEDICAL
        );
    }

    let mut agg = AggregatorServiceClient::with_interceptor(
        suite.channel("aggregator").await.unwrap(),
        suite.bearer(Principal::Aggregator),
    );
    // Medical alone is below last year's income: nobody is listed.
    assert!(at_risk(&mut agg).await.is_empty());

    // Schooling: a student of HH000001, and HH000002 as a whole.
    let student = households[0].members[1].resident_id.clone();
    let schooling = |request_id: &str, household: &str, resident: &str, fen: i64| {
        RecordSchoolingExpenseRequest {
            request_id: request_id.into(),
            expense: Some(SchoolingExpense {
                household_id: household.into(),
                village_code: VILLAGE.into(),
                resident_id: resident.into(),
                year: YEAR,
                out_of_pocket_fen: fen,
            }),
        }
    };
    // A first figure, replaced by the bureau's corrected one; a retry of the correction
    // replays its answer.
    let first = education
        .record_schooling_expense(schooling("school-1a", "HH000001", &student, 1))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.household_year_total_fen, 1);
    for _ in 0..2 {
        let r = education
            .record_schooling_expense(schooling("school-1b", "HH000001", &student, SCHOOLING))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.household_year_total_fen, SCHOOLING);
        assert_eq!(r.expense.unwrap().resident_id, student);
    }
    education
        .record_schooling_expense(schooling("school-2", "HH000002", "", SCHOOLING))
        .await
        .unwrap();

    // Disaster losses: HH000002 exactly to the income, HH000001 one fen more.
    let disaster = |request_id: &str, household: &str, fen: i64| RecordDisasterExpenseRequest {
        request_id: request_id.into(),
        household_id: household.into(),
        year: YEAR,
        amount_fen: fen,
    };
    for (rid, household, fen) in [
        ("loss-1", "HH000001", DISASTER_AT + 1),
        ("loss-2", "HH000002", 7),
        ("loss-2b", "HH000002", DISASTER_AT),
    ] {
        let r = registry
            .record_disaster_expense(disaster(rid, household, fen))
            .await
            .unwrap()
            .into_inner()
            .expense
            .unwrap();
        assert_eq!((r.village_code.as_str(), r.amount_fen), (VILLAGE, fen));
    }
    // The same request id with another body is refused; the replay writes nothing.
    let e = registry
        .record_disaster_expense(disaster("loss-1", "HH000001", 1))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists, "{e:?}");

    let listed = at_risk(&mut agg).await;
    let ids: Vec<&str> = listed.iter().map(|h| h.household_id.as_str()).collect();
    assert_eq!(ids, ["HH000001"], "{listed:?}");
    let reasons = &listed[0].reasons;
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert_eq!(reasons[0].kind, RiskKind::MedicalExpensesAboveIncome as i32);
    let detail = &reasons[0].detail;
    for figure in [
        format!("rigid expenses of {} fen in {YEAR}", LAST_YEARS_INCOME + 1),
        format!("medical {MEDICAL} fen"),
        format!("schooling {SCHOOLING} fen"),
        format!("disaster {} fen", DISASTER_AT + 1),
        format!("household income of {LAST_YEARS_INCOME} fen"),
    ] {
        assert!(detail.contains(&figure), "{figure}: {detail}");
    }
    assert!(!detail.contains(&student), "{detail}");

    // The reads the walk uses: one village, paged, in household order.
    let page = registry
        .list_disaster_expenses(ListDisasterExpensesRequest {
            year: YEAR,
            region_prefix: VILLAGE.into(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.expenses.len(), 1);
    assert_eq!(page.expenses[0].household_id, "HH000001");
    let rest = registry
        .list_disaster_expenses(ListDisasterExpensesRequest {
            year: YEAR,
            region_prefix: VILLAGE.into(),
            page_size: 1,
            page_token: page.next_page_token.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rest.expenses
            .iter()
            .map(|e| (e.household_id.as_str(), e.amount_fen))
            .collect::<Vec<_>>(),
        [("HH000002", DISASTER_AT)]
    );
    assert!(rest.next_page_token.is_empty());
    let school_page = |prefix: &str, year: i32, token: &str| ListSchoolingExpensesRequest {
        year,
        region_prefix: prefix.into(),
        page_size: 1,
        page_token: token.into(),
    };
    let first_page = education
        .list_schooling_expenses(school_page("420625100", YEAR, ""))
        .await
        .unwrap()
        .into_inner();
    let second_page = education
        .list_schooling_expenses(school_page("420625100", YEAR, &first_page.next_page_token))
        .await
        .unwrap()
        .into_inner();
    let all: Vec<(String, String, i64)> = first_page
        .expenses
        .iter()
        .chain(&second_page.expenses)
        .map(|e| {
            (
                e.household_id.clone(),
                e.resident_id.clone(),
                e.out_of_pocket_fen,
            )
        })
        .collect();
    assert_eq!(
        all,
        [
            ("HH000001".to_string(), student.clone(), SCHOOLING),
            ("HH000002".to_string(), String::new(), SCHOOLING),
        ]
    );
    assert!(second_page.next_page_token.is_empty());
    for (prefix, year) in [(OTHER_VILLAGE, YEAR), (VILLAGE, YEAR - 1)] {
        let none = education
            .list_schooling_expenses(school_page(prefix, year, ""))
            .await
            .unwrap()
            .into_inner();
        assert!(none.expenses.is_empty(), "{prefix} {year}");
    }
    // A page token of another filter is refused.
    let e = education
        .list_schooling_expenses(school_page("420625", YEAR, &first_page.next_page_token))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(common::violated_fields(&e), ["page_token"]);

    // Bad input is named by field; an unknown household is NOT_FOUND; none of it writes.
    let registry_db = database_url(&suite, "registry");
    let education_db = database_url(&suite, "education");
    let audit_before = (
        common::count_rows(&registry_db, "audit_log").await,
        common::count_rows(&education_db, "audit_log").await,
    );
    // Registry: 1 import batch + 3 disaster figures; education: 3 schooling figures (the
    // replay and the refused reuse are not audited again).
    assert_eq!(audit_before, (4, 3));
    for (req, field) in [
        (disaster("bad-1", "HH000001", -1), "amount_fen"),
        (
            RecordDisasterExpenseRequest {
                year: 1999,
                ..disaster("bad-2", "HH000001", 1)
            },
            "year",
        ),
        (disaster("bad-3", "HH 1", 1), "household_id"),
    ] {
        let e = registry.record_disaster_expense(req).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        assert_eq!(common::violated_fields(&e), [field]);
    }
    let e = registry
        .record_disaster_expense(disaster("bad-4", "HH999999", 1))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    let mut bad_village = schooling("bad-5", "HH000001", "", 1);
    bad_village.expense.as_mut().unwrap().village_code = "42062510020".into();
    for (req, field) in [
        (
            schooling("bad-6", "HH000001", "", -1),
            "expense.out_of_pocket_fen",
        ),
        (
            schooling("bad-7", "HH000001", "11010519491231002Y", 1),
            "expense.resident_id",
        ),
        (bad_village, "expense.village_code"),
    ] {
        let e = education.record_schooling_expense(req).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        assert_eq!(common::violated_fields(&e), [field]);
    }
    assert_eq!(
        (
            common::count_rows(&registry_db, "audit_log").await,
            common::count_rows(&education_db, "audit_log").await,
        ),
        audit_before
    );
    assert_eq!(
        common::count_rows(&registry_db, "disaster_expenses").await,
        2
    );
    assert_eq!(
        common::count_rows(&education_db, "schooling_expenses").await,
        2
    );

    // Only the owning bureau writes: the aggregator may read, not record.
    let mut as_aggregator = common::client_with_url(
        &suite.url("registry"),
        Some(&suite.tokens[&Principal::Aggregator]),
    )
    .await;
    let e = as_aggregator
        .record_disaster_expense(disaster("agg-1", "HH000001", 1))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    assert!(
        as_aggregator
            .list_disaster_expenses(ListDisasterExpensesRequest {
                year: YEAR,
                region_prefix: VILLAGE.into(),
                ..Default::default()
            })
            .await
            .is_ok()
    );
    suite.stop().await.unwrap();
}

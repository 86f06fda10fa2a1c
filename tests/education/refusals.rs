//! Requests the service refuses: malformed fields named (INVALID_ARGUMENT), broken rules
//! with their ids (FAILED_PRECONDITION), neither written; retries answered once; writes
//! only from the bureau.

use super::*;

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
    assert_eq!(rule_id(&err), "NOT_COMPULSORY_AGE");
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
    assert_eq!(rule_id(&err), "DEFERRAL_TOO_LONG");
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
    assert_eq!(rule_id(&err), "NOT_HOME_TEACHING");
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

#[tokio::test]
async fn each_broken_rule_answers_with_its_own_id() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let in_county = create(&mut c, "r1", student(1, V1, StudentStatus::InCounty))
        .await
        .unwrap();
    let id = in_county.resident_id.clone();
    let letter = |rid: &str, number: &str| SendLetterRequest {
        request_id: rid.into(),
        resident_id: id.clone(),
        letter: Some(Letter {
            number: number.into(),
            sent_on: d(days_ago(5)),
            recipient: "襄阳市樊城区教育局".into(),
            ..Default::default()
        }),
    };
    let err = c
        .send_letter(letter("r2", "谷教函〔2019〕777"))
        .await
        .unwrap_err();
    assert_eq!(rule_id(&err), "NOT_OUTSIDE_COUNTY", "{err:?}");
    let open = OpenCaseRequest {
        request_id: "r3".into(),
        resident_id: id.clone(),
        opened_on: d(today()),
    };
    let err = c.open_case(open).await.unwrap_err();
    assert_eq!(rule_id(&err), "NOT_OUT_OF_SCHOOL", "{err:?}");
    // A payment of more than the year's allowance, in one go.
    let over = RecordSubsidyRequest {
        request_id: "r4".into(),
        resident_id: id.clone(),
        subsidy: Some(Subsidy {
            programme: SubsidyProgramme::LivingAllowance as i32,
            amount_fen: policy().living_allowance.primary_day_fen + 1,
            paid_on: d(today()),
            days: 0,
            school_year: 0,
        }),
    };
    let err = c.record_subsidy(over).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(rule_id(&err), "PAYMENT_OVER_ENTITLEMENT");
    assert_eq!(precondition_subject(&err), "subsidy.amount_fen");
    // A second case while one is open.
    let out = create(&mut c, "r5", student(2, V1, StudentStatus::DroppedOut))
        .await
        .unwrap();
    let open = |rid: &str| OpenCaseRequest {
        request_id: rid.into(),
        resident_id: out.resident_id.clone(),
        opened_on: d(today()),
    };
    c.open_case(open("r6")).await.unwrap();
    let err = c.open_case(open("r7")).await.unwrap_err();
    assert_eq!(rule_id(&err), "CASE_ALREADY_OPEN", "{err:?}");
    // None of the refusals wrote anything.
    let got = get(&mut c, &id).await;
    assert!(got.letters.is_empty() && got.subsidies.is_empty() && got.cases.is_empty());
    assert_eq!(get(&mut c, &out.resident_id).await.cases.len(), 1);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn a_day_before_the_policy_book_is_invalid_argument_naming_its_field() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let home = create(&mut c, "b1", student(1, V1, StudentStatus::HomeTeaching))
        .await
        .unwrap();
    // The built-in book starts with the school year 2013/14: its eve has no policy.
    let first = xk_education::domain::policy::embedded().first_year();
    let eve = NaiveDate::from_ymd_opt(first, 8, 31).unwrap();
    let early = |rid: &str, on: NaiveDate| RecordVisitRequest {
        request_id: rid.into(),
        resident_id: home.resident_id.clone(),
        visit: Some(Visit {
            date: d(on),
            teacher: "王老师".into(),
            hours: 3,
        }),
    };
    let err = c.record_visit(early("b2", eve)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(bad_fields(&err), ["visit.date"]);
    assert!(get(&mut c, &home.resident_id).await.visits.is_empty());
    // The book's first day is judged like any other.
    let r = c
        .record_visit(early("b3", eve.succ_opt().unwrap()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        r.school_year_visits, 0,
        "a visit of 2013/14 is not this year's"
    );
    assert_eq!(get(&mut c, &home.resident_id).await.visits.len(), 1);
    // Reads judged at a day before the book name it too.
    let err = c
        .list_exceptions(ListExceptionsRequest {
            region_prefix: "420625".into(),
            as_of: d(eve),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(bad_fields(&err), ["as_of"]);
    let err = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            as_of: d(eve),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["as_of"]);
    svc.stop().await.unwrap();
}

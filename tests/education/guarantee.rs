//! The guarantee the service computes and stores for each status, and how letters, visits
//! and an update move it; a return-to-school case closes only once the child is back.

use super::*;

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
    assert_eq!(rule_id(&err), "NOT_GUARANTEED");
    assert_eq!(precondition_subject(&err), "case_id");
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

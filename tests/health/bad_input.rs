//! Bad input: INVALID_ARGUMENT naming the field, FAILED_PRECONDITION with its rule id,
//! and nothing written either way.

use tonic::Code;
use xk_contracts::pb::health::v1::*;
use xk_health::domain::rules;

use super::support::*;

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let (svc, mut c) = with_patient(1).await;
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
    assert_eq!(precondition_rule(&err), rules::UNKNOWN_INSTITUTION);
    assert_eq!(precondition_subject(&err), "hospital_case.institution_code");
    let mut stranger = ok.clone();
    stranger.resident_id = person_id(2);
    let err = settle(&mut c, "stranger", stranger).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_rule(&err), rules::NOT_ENROLLED);
    assert_eq!(precondition_subject(&err), "hospital_case.resident_id");
    assert!(
        !err.message().contains(&person_id(2)),
        "ids are masked: {}",
        err.message()
    );

    // A year before the policy book's first (2019) has no policy: INVALID_ARGUMENT
    // naming the field that carries the year, not a judgement by later rules.
    let mut early = ok.clone();
    early.admission_date = Some(date(2018, 12, 1));
    early.discharge_date = Some(date(2018, 12, 6));
    let err = settle(&mut c, "early", early).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["hospital_case.discharge_date"]);
    assert!(
        err.message().contains("starts in 2019"),
        "{}",
        err.message()
    );
    let mut early = enrolment(3, V1, true);
    early.coverage_year = 2018;
    let err = enrol(&mut c, "e-early", early).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["enrolment.coverage_year"]);

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

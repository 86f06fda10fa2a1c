//! Appraisals, renovations, the exception list and the summary.

use tonic::Code;
use xk_contracts::pb::housing::v1::*;

use super::*;

use xk_contracts::pb::common::v1::RegionLevel;

#[tokio::test]
async fn appraisals_open_renovations_and_exceptions_page() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    // Two relocated households not moved in, one moved in without employment.
    create(&mut c, "c1", accepted(1, V1, CENTRAL, 2))
        .await
        .unwrap();
    create(&mut c, "c2", accepted(2, V2, CENTRAL, 2))
        .await
        .unwrap();
    let mut jobless = done(3, V1, 2, 40);
    jobless.employed_members = 0;
    create(&mut c, "c3", jobless).await.unwrap();
    // Appraisals: A, C, D in V1/V2.
    for (n, g, v) in [(10, Grade::A, V1), (11, Grade::C, V1), (12, Grade::D, V2)] {
        let a = c
            .record_appraisal(RecordAppraisalRequest {
                request_id: format!("a{n}"),
                appraisal: Some(Appraisal {
                    household_id: format!("HH{n:06}"),
                    village_code: v.into(),
                    grade: g as i32,
                    appraised_on: Some(date(2019, 4, 1)),
                    appraiser: "谷城县住建局鉴定组".into(),
                    renovation_completed_on: None,
                }),
            })
            .await
            .unwrap()
            .into_inner()
            .appraisal
            .unwrap();
        assert_eq!(a.grade, g as i32);
    }
    // A relocated household is not appraised.
    let err = c
        .record_appraisal(RecordAppraisalRequest {
            request_id: "a1".into(),
            appraisal: Some(Appraisal {
                household_id: "HH000001".into(),
                village_code: V1.into(),
                grade: Grade::C as i32,
                appraised_on: Some(date(2019, 4, 1)),
                appraiser: "x".into(),
                renovation_completed_on: None,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    // A safe house needs no renovation; a dangerous one cannot finish before its appraisal.
    let err = c
        .complete_renovation(CompleteRenovationRequest {
            request_id: "r10".into(),
            household_id: "HH000010".into(),
            completed_on: Some(date(2019, 8, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(precondition_subjects(&err), ["completed_on"]);
    let err = c
        .complete_renovation(CompleteRenovationRequest {
            request_id: "r11a".into(),
            household_id: "HH000011".into(),
            completed_on: Some(date(2019, 3, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);

    // Every exception, two per page: 3 relocated households, then 2 dangerous houses.
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_exceptions(ListExceptionsRequest {
                region_prefix: "420625".into(),
                page_size: 2,
                page_token: token.clone(),
                as_of: Some(date(2020, 6, 30)),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.exceptions.len() <= 2);
        all.extend(page.exceptions);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let got: Vec<(String, Vec<i32>)> = all.into_iter().map(|e| (e.household_id, e.kinds)).collect();
    use ExceptionKind as K;
    assert_eq!(
        got,
        [
            ("HH000001".to_string(), vec![K::NotMovedIn as i32]),
            ("HH000002".to_string(), vec![K::NotMovedIn as i32]),
            ("HH000003".to_string(), vec![K::NoEmployment as i32]),
            (
                "HH000011".to_string(),
                vec![K::DangerousNotRenovated as i32]
            ),
            (
                "HH000012".to_string(),
                vec![K::DangerousNotRenovated as i32]
            ),
        ]
    );

    c.complete_renovation(CompleteRenovationRequest {
        request_id: "r11".into(),
        household_id: "HH000011".into(),
        completed_on: Some(date(2019, 8, 1)),
    })
    .await
    .unwrap();
    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Township as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let t = s.total.unwrap();
    assert_eq!((t.relocated_households, t.relocated_people), (3, 6));
    assert_eq!((t.moved_in_households, t.demolished_households), (1, 1));
    assert_eq!(
        (t.with_labour_households, t.with_employment_households),
        (3, 2)
    );
    assert_eq!(
        (t.appraised_a, t.appraised_b, t.appraised_c, t.appraised_d),
        (1, 0, 1, 1)
    );
    assert_eq!(t.dangerous_not_renovated, 1, "D still open, C renovated");
    let by_township: Vec<_> = s
        .groups
        .iter()
        .map(|g| {
            (
                g.region_code.as_str(),
                g.relocated_households,
                g.dangerous_not_renovated,
            )
        })
        .collect();
    assert_eq!(by_township, [("420625100", 2, 0), ("420625101", 1, 1)]);
    svc.stop().await.unwrap();
}

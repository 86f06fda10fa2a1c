//! Every rule id clients see, raised where its rule is broken (the table at the top of
//! housing.proto), and the batch year no policy covers.

use tonic::Code;
use xk_contracts::pb::housing::v1::*;

use super::*;

/// The one (rule id, subject) pair of a refused request.
fn rule(err: &tonic::Status) -> (String, String) {
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let rules = precondition_rules(err);
    assert_eq!(rules.len(), 1, "{rules:?}");
    rules.into_iter().next().unwrap_or_default()
}

fn pair(id: &str, subject: &str) -> (String, String) {
    (id.to_string(), subject.to_string())
}

fn appraisal(n: u32, grade: Grade, on: Date) -> RecordAppraisalRequest {
    RecordAppraisalRequest {
        request_id: format!("a{n}-{}-{}", on.month, on.day),
        appraisal: Some(Appraisal {
            household_id: format!("HH{n:06}"),
            village_code: V1.into(),
            grade: grade as i32,
            appraised_on: Some(on),
            appraiser: "谷城县住建局鉴定组".into(),
            renovation_completed_on: None,
        }),
    }
}

fn renovation(rid: &str, n: u32, on: Date) -> CompleteRenovationRequest {
    CompleteRenovationRequest {
        request_id: rid.into(),
        household_id: format!("HH{n:06}"),
        completed_on: Some(on),
    }
}

#[tokio::test]
async fn each_rule_breach_carries_its_own_rule_id() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;

    // The household record's own rules.
    let mut over = accepted(1, V1, CENTRAL, 2);
    over.housing.as_mut().unwrap().area_centi_m2 = 5_001;
    let err = create(&mut c, "c1", over).await.unwrap_err();
    assert_eq!(
        rule(&err),
        pair("AREA_RED_LINE", "relocation.housing.area_centi_m2")
    );
    let mut indebted = accepted(1, V1, CENTRAL, 2);
    indebted.housing.as_mut().unwrap().debt_fen = 1_000_000;
    let err = create(&mut c, "c2", indebted).await.unwrap_err();
    assert_eq!(rule(&err), pair("DEBT_CAP", "relocation.housing.debt_fen"));
    let mut reclaimed = accepted(1, V1, CENTRAL, 2);
    reclaimed.old_house.as_mut().unwrap().reclaimed_centi_mu = 40;
    let err = create(&mut c, "c3", reclaimed).await.unwrap_err();
    assert_eq!(
        rule(&err),
        pair(
            "RECLAIMED_BEFORE_DEMOLITION",
            "relocation.old_house.reclaimed_centi_mu"
        )
    );
    let mut exempt_but_demolished = done(1, V1, 2, 0);
    exempt_but_demolished
        .milestones
        .as_mut()
        .unwrap()
        .reclamation_accepted = None;
    exempt_but_demolished.old_house = Some(OldHouse {
        demolition_exempt_reason: "传统村落保护建筑".into(),
        ..Default::default()
    });
    let err = create(&mut c, "c4", exempt_but_demolished)
        .await
        .unwrap_err();
    assert_eq!(
        rule(&err),
        pair("MILESTONE_ORDER", "relocation.milestones.demolished")
    );
    let err = create(&mut c, "c5", accepted(1, V1, "S-NONE", 2))
        .await
        .unwrap_err();
    assert_eq!(rule(&err), pair("SITE", "relocation.site_id"));
    assert_eq!(
        count_relocations(&mut c).await,
        0,
        "no refused create wrote"
    );

    // The milestone RPCs' own rules, on a household moved in with an exempt old house.
    let mut exempt = accepted(2, V1, CENTRAL, 2);
    exempt.old_house = Some(OldHouse {
        demolition_exempt_reason: "传统村落保护建筑".into(),
        ..Default::default()
    });
    create(&mut c, "c6", exempt).await.unwrap();
    c.record_move_in(move_in("m6", "HH000002", Some(date(2018, 2, 1)), None))
        .await
        .unwrap();
    let before = get(&mut c, "HH000002").await;
    let err = c
        .record_demolition(RecordDemolitionRequest {
            request_id: "d6".into(),
            household_id: "HH000002".into(),
            demolished_on: Some(date(2018, 6, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(
        rule(&err),
        pair("DEMOLITION_EXEMPT", "old_house.demolition_exempt_reason")
    );
    let err = c
        .add_support_measure(AddSupportMeasureRequest {
            request_id: "s6".into(),
            household_id: "HH000002".into(),
            measure: Some(SupportMeasure {
                kind: SupportMeasureKind::Training as i32,
                started_on: Some(date(2018, 5, 1)),
                ended_on: Some(date(2018, 4, 1)),
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(rule(&err), pair("SUPPORT_PERIOD", "support[0].ended_on"));
    assert_eq!(get(&mut c, "HH000002").await, before, "nothing changed");

    // Sites with households resettled there.
    let err = c
        .delete_site(DeleteSiteRequest {
            request_id: "x1".into(),
            site_id: CENTRAL.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(rule(&err), pair("SITE", "site_id"));

    // Appraisals and renovations.
    let err = c
        .record_appraisal(appraisal(2, Grade::C, date(2019, 4, 1)))
        .await
        .unwrap_err();
    assert_eq!(rule(&err), pair("APPRAISAL", "appraisal.household_id"));
    c.record_appraisal(appraisal(10, Grade::D, date(2019, 4, 1)))
        .await
        .unwrap();
    c.record_appraisal(appraisal(11, Grade::B, date(2019, 4, 1)))
        .await
        .unwrap();
    let err = c
        .record_appraisal(appraisal(10, Grade::C, date(2019, 3, 1)))
        .await
        .unwrap_err();
    assert_eq!(rule(&err), pair("APPRAISAL", "appraisal.appraised_on"));
    let err = c
        .complete_renovation(renovation("r1", 10, date(2019, 3, 1)))
        .await
        .unwrap_err();
    assert_eq!(
        rule(&err),
        pair("RENOVATION_BEFORE_APPRAISAL", "completed_on")
    );
    let err = c
        .complete_renovation(renovation("r2", 11, date(2019, 8, 1)))
        .await
        .unwrap_err();
    assert_eq!(rule(&err), pair("RENOVATION_NOT_NEEDED", "completed_on"));
    c.complete_renovation(renovation("r3", 10, date(2019, 8, 1)))
        .await
        .unwrap();
    let err = c
        .complete_renovation(renovation("r4", 10, date(2019, 9, 1)))
        .await
        .unwrap_err();
    assert_eq!(rule(&err), pair("RENOVATION_COMPLETED", "completed_on"));
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn a_batch_year_before_the_policy_book_is_invalid_argument_naming_it() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create_sites(&mut c).await;
    // The built-in book starts in 2016, the first year of the programme.
    let mut early = accepted(1, V1, CENTRAL, 2);
    early.batch_year = 2015;
    let err = create(&mut c, "c1", early.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["relocation.batch_year"]);
    let mut batch = batch("i1", 1..3);
    batch.relocations[1].batch_year = 2015;
    let err = c
        .import_relocations(futures::stream::iter(vec![batch]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&err),
        ["batch[0].relocations[1].batch_year"]
    );
    assert_eq!(count_relocations(&mut c).await, 0);
    early.batch_year = 2016;
    create(&mut c, "c2", early).await.unwrap();
    svc.stop().await.unwrap();
}

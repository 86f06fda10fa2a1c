//! Grading and the current status: history, exceptions, the summary, unmeasured values.

use super::*;

#[tokio::test]
async fn grading_current_status_history_and_exceptions() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    create_scheme(&mut c, SCHEME, &[V1]).await;

    let r = record(
        &mut c,
        "a1",
        safe("HH000001", V1, 3, SCHEME, date(2019, 6, 1)),
    )
    .await
    .unwrap();
    let g = grading(r.assessment.as_ref().unwrap());
    assert_eq!(
        g.verdict,
        Verdict::Safe as i32,
        "every indicator at its 达标 edge"
    );
    assert_eq!(
        [g.quantity, g.quality, g.convenience, g.supply_guarantee],
        [Grade::Met as i32; 4]
    );
    assert!(g.failing.is_empty());
    assert_eq!(g.policy_year, 2018);
    assert!(r.became_current);
    assert_eq!(r.assessment.as_ref().unwrap().seq, 1);
    assert_eq!(
        r.assessment.as_ref().unwrap().area,
        AreaType::WaterRich as i32
    );

    // An older assessment one litre under the 基本达标 edge: 不安全, but history only.
    let mut older = basic("HH000001", V1, 3, date(2019, 3, 1));
    older.litres_per_person_day = Some(34);
    let r = record(&mut c, "a2", older).await.unwrap();
    let g = grading(r.assessment.as_ref().unwrap());
    assert_eq!(g.verdict, Verdict::Unsafe as i32);
    assert_eq!(g.quantity, Grade::NotMet as i32);
    assert_eq!(g.failing, [Indicator::Quantity as i32]);
    assert!(!r.became_current);

    // The same litres in a water-short area are 基本达标 (20 <= 34 < 40).
    let mut short = basic("HH000002", V2, 2, date(2019, 6, 1));
    short.litres_per_person_day = Some(34);
    short.area = AreaType::WaterShort as i32;
    let r = record(&mut c, "a3", short).await.unwrap();
    assert_eq!(
        grading(r.assessment.as_ref().unwrap()).verdict,
        Verdict::BasicallySafe as i32
    );

    // A newer seasonal check of household 2 finds a shortage (37 outage days).
    let mut dry = basic("HH000002", V2, 2, date(2019, 8, 20));
    dry.seasonal_check = true;
    dry.outage_days_last_12_months = Some(37);
    let r = record(&mut c, "a4", dry).await.unwrap();
    let g = grading(r.assessment.as_ref().unwrap());
    assert_eq!(g.supply_guarantee, Grade::NotMet as i32);
    assert!(r.became_current);

    let w = c
        .get_household_water(GetHouseholdWaterRequest {
            household_id: "HH000001".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(w.current.as_ref().unwrap().seq, 1, "the latest by date");
    let seqs: Vec<i64> = w.history.iter().map(|a| a.seq).collect();
    assert_eq!(seqs, [1, 2], "newest first");
    assert!(w.latest_seasonal_check.is_none());

    let unsafe_ = c
        .list_exceptions(ListExceptionsRequest {
            kind: ExceptionKind::Unsafe as i32,
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = unsafe_
        .exceptions
        .iter()
        .map(|e| e.household_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["HH000002"],
        "household 1's unsafe assessment is history"
    );
    let shortage = c
        .list_exceptions(ListExceptionsRequest {
            kind: ExceptionKind::SeasonalShortage as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(shortage.exceptions.len(), 1);
    assert!(
        shortage.exceptions[0]
            .assessment
            .as_ref()
            .unwrap()
            .seasonal_check
    );
    let never = c
        .list_exceptions(ListExceptionsRequest {
            kind: ExceptionKind::NeverAssessed as i32,
            household_ids: vec!["HH000003".into(), "HH000001".into(), "HH000009".into()],
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(never.exceptions[0].household_id, "HH000003");
    assert!(!never.next_page_token.is_empty());

    let s = summarize(&mut c, "420625", RegionLevel::Township).await;
    let t = s.total.unwrap();
    assert_eq!((t.households, t.people), (2, 5));
    assert_eq!((t.safe_households, t.safe_people), (1, 3));
    assert_eq!((t.unsafe_households, t.unsafe_people), (1, 2));
    assert_eq!(t.supply_guarantee_failed_households, 1);
    assert_eq!(t.quantity_failed_households, 0);
    assert_eq!(
        (t.seasonal_checked_households, t.seasonal_shortage_people),
        (1, 2)
    );
    let groups: Vec<&str> = s.groups.iter().map(|g| g.region_code.as_str()).collect();
    assert_eq!(groups, ["420625100", "420625101"]);
    svc.stop().await.unwrap();
}

/// The stored measurement columns of one assessment, read straight from the database.
async fn stored_measurements(svc: &TestService, household: &str) -> Vec<Option<i64>> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = xk_runtime::Db::connect(&svc.database.url, 1).await.unwrap();
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(
            db.backend(),
            format!(
                "SELECT litres_per_person_day, fetch_round_trip_minutes, horizontal_distance_m, \
                 vertical_distance_m, outage_days_last_12_months FROM assessments \
                 WHERE household_id = '{household}'"
            ),
        ))
        .await
        .unwrap()
        .expect("one stored assessment");
    let columns = [
        "litres_per_person_day",
        "fetch_round_trip_minutes",
        "horizontal_distance_m",
        "vertical_distance_m",
        "outage_days_last_12_months",
    ];
    let values = columns
        .iter()
        .map(|c| row.try_get::<Option<i64>>("", c).unwrap())
        .collect();
    db.close().await.unwrap();
    values
}

#[tokio::test]
async fn an_unmeasured_distance_is_not_within_800_m_but_a_measured_one_is() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    // A scattered well, not piped in, a 30-minute round trip (over both time bounds), no
    // vertical distance: only the horizontal distance can make convenience 基本达标.
    let fetching = |household: &str, horizontal: Option<i64>| Assessment {
        fetch_round_trip_minutes: Some(30),
        horizontal_distance_m: horizontal,
        vertical_distance_m: None,
        ..basic(household, V1, 3, date(2019, 6, 1))
    };

    let unset = record(&mut c, "d1", fetching("HH000001", None))
        .await
        .unwrap()
        .assessment
        .unwrap();
    let g = grading(&unset);
    assert_eq!(
        g.convenience,
        Grade::NotMet as i32,
        "not measured is not ≤ 800 m"
    );
    assert_eq!(g.verdict, Verdict::Unsafe as i32);
    assert_eq!(g.failing, [Indicator::Convenience as i32]);
    assert_eq!(
        unset.horizontal_distance_m, None,
        "returned as not measured"
    );

    let at_edge = record(&mut c, "d2", fetching("HH000002", Some(800)))
        .await
        .unwrap()
        .assessment
        .unwrap();
    let g = grading(&at_edge);
    assert_eq!(
        g.convenience,
        Grade::BasicallyMet as i32,
        "an explicit 800 m"
    );
    assert_eq!(g.verdict, Verdict::BasicallySafe as i32);
    assert_eq!(at_edge.horizontal_distance_m, Some(800));

    // Other criteria still grade without any distance: a measured round trip …
    let mut quick = fetching("HH000003", None);
    quick.fetch_round_trip_minutes = Some(20);
    let g = grading(
        &record(&mut c, "d3", quick)
            .await
            .unwrap()
            .assessment
            .unwrap(),
    );
    assert_eq!(g.convenience, Grade::BasicallyMet as i32);
    // … or water piped in, with nothing about fetching measured.
    let mut piped = fetching("HH000004", None);
    piped.piped_in = true;
    piped.fetch_round_trip_minutes = None;
    let g = grading(
        &record(&mut c, "d4", piped)
            .await
            .unwrap()
            .assessment
            .unwrap(),
    );
    assert_eq!(g.convenience, Grade::Met as i32);

    // The store keeps NULL for what was not measured, and a measured 0 as 0.
    let mut zero_outage = fetching("HH000005", Some(0));
    zero_outage.outage_days_last_12_months = Some(0);
    record(&mut c, "d5", zero_outage).await.unwrap();
    assert_eq!(
        stored_measurements(&svc, "HH000001").await,
        [Some(35), Some(30), None, None, Some(36)]
    );
    assert_eq!(
        stored_measurements(&svc, "HH000005").await,
        [Some(35), Some(30), Some(0), None, Some(0)]
    );
    // The summary counts the unmeasured household as failing convenience.
    let t = summarize(&mut c, "420625", RegionLevel::Township)
        .await
        .total
        .unwrap();
    assert_eq!((t.households, t.convenience_failed_households), (5, 1));
    svc.stop().await.unwrap();
}

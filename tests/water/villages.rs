//! The villages' configured area types decide the thresholds.

use super::*;

#[tokio::test]
async fn the_village_configuration_decides_the_area_and_its_thresholds() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    create_scheme(&mut c, SCHEME, &[V1, V2]).await;
    c.set_village_area(SetVillageAreaRequest {
        request_id: "area-v2".into(),
        village_area: Some(VillageArea {
            village_code: V2.into(),
            area: AreaType::WaterShort as i32,
        }),
    })
    .await
    .unwrap();
    // 45 litres a person a day: below the water-rich 60 but above the water-short 40.
    let mut rich = safe("HH-A", V1, 3, SCHEME, date(2020, 5, 1));
    rich.litres_per_person_day = Some(45);
    let mut short = safe("HH-B", V2, 3, SCHEME, date(2020, 5, 1));
    short.litres_per_person_day = Some(45);
    let a = record(&mut c, "area-a", rich)
        .await
        .unwrap()
        .assessment
        .unwrap();
    let b = record(&mut c, "area-b", short.clone())
        .await
        .unwrap()
        .assessment
        .unwrap();
    assert_eq!(
        grading(&a).quantity,
        Grade::BasicallyMet as i32,
        "policy default: water-rich"
    );
    assert_eq!(
        grading(&b).quantity,
        Grade::Met as i32,
        "configured water-short village"
    );
    assert_eq!(b.area, AreaType::WaterShort as i32);

    // A request that claims another area than the village's configuration is refused.
    short.household_id = "HH-C".into();
    short.area = AreaType::WaterRich as i32;
    let err = record(&mut c, "area-c", short).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(named_fields(&err), ["assessment.area"]);
    assert_eq!(rule_ids(&err), ["VILLAGE_AREA_CONFLICT"]);
    let missing = c
        .get_household_water(GetHouseholdWaterRequest {
            household_id: "HH-C".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "nothing was written");

    let listed = c
        .list_village_areas(ListVillageAreasRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.village_areas.len(), 1);
    assert_eq!(listed.village_areas[0].village_code, V2);

    // Only the water bureau configures villages.
    let mut agg = client(&svc, Principal::Aggregator).await;
    let denied = agg
        .set_village_area(SetVillageAreaRequest {
            request_id: "area-agg".into(),
            village_area: Some(VillageArea {
                village_code: V1.into(),
                area: AreaType::WaterShort as i32,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    svc.stop().await.unwrap();
}

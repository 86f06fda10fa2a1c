//! The rules over the wire: exit, monitoring and member removal, each breach
//! FAILED_PRECONDITION with its rule id; villages and the summary's village counts.

use tonic::Code;
use xk_contracts::pb::registry::v1::*;

use crate::common::*;
use crate::{V1, V2, V3, rule_ids, start};

#[tokio::test]
async fn exit_monitoring_and_removal_follow_the_rules() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    create(&mut c, "x0", household(1, V1, 3, ArchiveStatus::Poor))
        .await
        .unwrap();
    let exit = |year| RecordExitRequest {
        request_id: format!("exit-{year}"),
        household_id: "HH000001".into(),
        exit_year: year,
        exited_on: Some(date(2019, 12, 1)),
    };
    let err = c.record_exit(exit(2019)).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "no income recorded");
    assert_eq!(rule_ids(&err), ["NO_INCOME_FOR_EXIT_YEAR"]);
    // A year the validation accepts, before the household was identified: the rule's
    // answer, not a missing policy.
    let err = c.record_exit(exit(2005)).await.unwrap_err();
    assert_eq!(rule_ids(&err), ["EXIT_YEAR_OUT_OF_ORDER"], "{err:?}");
    // An income year before the records (2000) or after this year is refused on its field.
    for year in [1999, 2100] {
        let err = c
            .record_income(RecordIncomeRequest {
                request_id: format!("inc-{year}"),
                household_id: "HH000001".into(),
                income: Some(Income {
                    year,
                    per_capita_net_income_fen: 500_000,
                }),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&err), ["income.year"]);
        assert!(err.message().contains(&format!("got {year}")), "{err:?}");
    }
    c.record_income(RecordIncomeRequest {
        request_id: "inc".into(),
        household_id: "HH000001".into(),
        income: Some(Income {
            year: 2019,
            per_capita_net_income_fen: 500_000,
        }),
    })
    .await
    .unwrap();
    let h = c
        .record_exit(exit(2019))
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    assert_eq!(
        (h.status, h.exited_year),
        (ArchiveStatus::Exited as i32, 2019)
    );
    let h = c
        .record_monitoring(RecordMonitoringRequest {
            request_id: "mon".into(),
            household_id: "HH000001".into(),
            category: MonitoringCategory::UnstableExited as i32,
            identified_on: Some(date(2020, 3, 1)),
        })
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    assert!(h.monitoring.is_some());
    let err = c
        .advance_monitoring(AdvanceMonitoringRequest {
            request_id: "adv-bad".into(),
            household_id: "HH000001".into(),
            stage: MonitoringStage::RiskEliminated as i32,
            on: Some(date(2020, 4, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(rule_ids(&err), ["STAGE_OUT_OF_ORDER"]);
    let child = person_id(1, 2);
    let h = c
        .remove_member(RemoveMemberRequest {
            request_id: "rm".into(),
            household_id: "HH000001".into(),
            resident_id: child,
            reason: RemovalReason::MovedAway as i32,
            removed_on: Some(date(2020, 5, 1)),
        })
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    assert_eq!(
        h.members.iter().filter(|m| m.removed_on.is_none()).count(),
        2
    );
    let err = c
        .remove_member(RemoveMemberRequest {
            request_id: "rm-head".into(),
            household_id: "HH000001".into(),
            resident_id: person_id(1, 0),
            reason: RemovalReason::Death as i32,
            removed_on: Some(date(2020, 5, 2)),
        })
        .await
        .unwrap_err();
    assert_eq!(rule_ids(&err), ["HEAD_WITH_MEMBERS"], "{err:?}");
    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            year: 2019,
            as_of: Some(date(2020, 3, 10)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .total
        .unwrap();
    assert_eq!(
        (s.exited_in_year_households, s.exited_in_year_people),
        (1, 2)
    );
    assert_eq!(
        (s.unstable_exited_households, s.unstable_exited_people),
        (1, 2)
    );
    assert_eq!((s.baseline_people, s.baseline_removed_people), (3, 1));
    assert_eq!(s.monitoring_alerts, 0, "only 9 days at 'identified'");
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn villages_count_by_kind_and_income() {
    let svc = start().await;
    let mut c = client(&svc, OFFICE).await;
    let villages = [
        (V1, true, 6_000_000),
        (V2, true, 4_000_000),
        ("420625100202", false, 0),
        (V3, false, 0),
    ];
    for (i, (code, poor, income)) in villages.into_iter().enumerate() {
        c.upsert_village(UpsertVillageRequest {
            request_id: format!("v{i}"),
            village: Some(Village {
                village_code: code.into(),
                name: "盛𡐓村".into(),
                poor_village: poor,
                collective_income_fen: income,
                collective_income_year: 2019,
            }),
        })
        .await
        .unwrap();
    }
    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            year: 2019,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .total
        .unwrap();
    assert_eq!(
        (
            s.villages,
            s.communities,
            s.poor_villages,
            s.poor_villages_income_met
        ),
        (3, 1, 2, 1)
    );
    let listed = c
        .list_villages(ListVillagesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.villages.len(), 4);
    assert_eq!(
        listed.villages[0].name, "盛𡐓村",
        "supplementary-plane characters survive the round trip"
    );
    svc.stop().await.unwrap();
}

//! Health's SummarizeByRegion with `latest_enrolled_year` (what the aggregator's
//! `latest_year_with_data` and `xiaokang report`'s default year rest on): the latest
//! coverage year, not after the one asked, with anyone under the prefix enrolled.

use chrono::NaiveDate;
use xiaokang::testing::TestService;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::health::v1::*;
use xk_contracts::types::ResidentId;
use xk_runtime::{Bureau, Principal};

/// A village of 城关镇 (420625100); nobody is enrolled in 石花镇 (420625101).
const VILLAGE: &str = "420625100201";

fn enrolment(n: u32, coverage_year: i32) -> Enrolment {
    let birth = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Duration::days(n.into());
    Enrolment {
        resident_id: ResidentId::build("420625", birth, 101).as_str().to_string(),
        household_id: format!("HH{n:06}"),
        village_code: VILLAGE.into(),
        coverage_year,
        registered_poor: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_latest_enrolled_year_is_found_under_the_prefix_and_not_after_the_bound() {
    let svc = TestService::start(xk_health::SPEC).await.unwrap();
    let mut bureau = HealthInsuranceServiceClient::with_interceptor(
        svc.channel().await.unwrap(),
        svc.bearer(Principal::Bureau(Bureau::MedicalSecurity)),
    );
    // Three people in 2019, two of them again in 2021.
    for (n, year) in [(1, 2019), (2, 2019), (3, 2019), (1, 2021), (2, 2021)] {
        bureau
            .enrol(EnrolRequest {
                request_id: format!("enrol-{n}-{year}"),
                enrolment: Some(enrolment(n, year)),
            })
            .await
            .unwrap();
    }
    let mut agg = HealthInsuranceServiceClient::with_interceptor(
        svc.channel().await.unwrap(),
        svc.bearer(Principal::Aggregator),
    );
    let mut ask = async |prefix: &str, coverage_year: i32, latest: bool| {
        let r = agg
            .summarize_by_region(SummarizeByRegionRequest {
                region_prefix: prefix.into(),
                group_by: RegionLevel::Township as i32,
                coverage_year,
                latest_enrolled_year: latest,
            })
            .await
            .unwrap()
            .into_inner();
        (r.coverage_year, r.total.unwrap().insured_people)
    };
    // Latest: 2021 is the latest year up to 2026, 2019 the latest up to 2020.
    assert_eq!(ask("420625", 2026, true).await, (2021, 2));
    assert_eq!(ask("420625", 2020, true).await, (2019, 3));
    assert_eq!(ask("420625100201", 2021, true).await, (2021, 2));
    // Nobody enrolled under the prefix up to the bound: the year asked, with nothing.
    assert_eq!(ask("420625101", 2026, true).await, (2026, 0));
    // Not asked: the year given, even when nobody is enrolled in it.
    assert_eq!(ask("420625", 2026, false).await, (2026, 0));
    assert_eq!(ask("420625", 2019, false).await, (2019, 3));
    svc.stop().await.unwrap();
}

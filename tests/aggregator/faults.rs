//! Services down, silent or replicated: each failure costs only its own section, and never
//! more than the caller's deadline.

use std::time::{Duration, Instant};

use chrono::Datelike;
use tokio::net::TcpListener;
use tonic::Code;
use xiaokang::testing::test_tokens;
use xk_aggregator::Upstream;
use xk_contracts::pb::aggregator::v1::*;
use xk_runtime::Principal;

use crate::county::{County, check_full_summary, load};
use crate::support::{
    agg, dead_address, start_aggregator, start_aggregator_with, state, summary, today,
};

#[tokio::test]
async fn each_service_down_in_turn_marks_only_its_section() {
    let county = County::start().await;
    let expected = load(&county).await;
    let names = ["registry", "education", "health", "housing", "water"];
    for (i, name) in names.iter().enumerate() {
        let mut urls = county.urls();
        urls[i] = dead_address().await;
        let aggregator = start_aggregator(urls, Duration::from_secs(5)).await;
        let mut c = agg(&aggregator, Principal::Aggregator).await;
        let deadline = Duration::from_secs(2);
        let started = Instant::now();
        let s = summary(&mut c, "420625", Some(deadline)).await;
        assert!(
            started.elapsed() < deadline,
            "{name}: {:?}",
            started.elapsed()
        );
        assert!(!s.complete, "{name}");
        let statuses = [
            &s.registry.as_ref().unwrap().status,
            &s.education.as_ref().unwrap().status,
            &s.health.as_ref().unwrap().status,
            &s.housing.as_ref().unwrap().status,
            &s.water.as_ref().unwrap().status,
        ];
        for (j, st) in statuses.iter().enumerate() {
            let (st, code) = state(st);
            if i == j {
                assert_eq!(st, SectionState::Unavailable, "{name}");
                assert!(
                    matches!(code, Code::Unavailable | Code::DeadlineExceeded),
                    "{name}: {code:?}"
                );
            } else {
                assert_eq!(
                    st,
                    SectionState::Available,
                    "{name} down, {} should be up",
                    names[j]
                );
            }
        }
        let x = s.exceptions_total.as_ref().unwrap();
        // The figures of the services still up are the full county's.
        let up = |k: usize| i != k;
        assert_eq!(
            x.children_out_of_school_without_case,
            up(1).then_some(1),
            "{name}"
        );
        assert_eq!(
            x.uninsured_registered_people,
            (up(0) && up(2)).then_some(4),
            "{name}"
        );
        assert_eq!(x.relocated_not_moved_in_households, up(3).then_some(1));
        assert_eq!(x.unsafe_water_people, up(4).then_some(4));
        if up(0) {
            let rt = s.registry.as_ref().unwrap().total.clone().unwrap();
            assert_eq!(rt.archive_people, 12);
        }
        aggregator.stop().await.unwrap();
    }
    // And with everything up the same county is whole.
    let aggregator = start_aggregator(county.urls(), Duration::from_secs(5)).await;
    let mut c = agg(&aggregator, Principal::Aggregator).await;
    check_full_summary(&summary(&mut c, "420625", None).await, &expected);
    aggregator.stop().await.unwrap();
    county.stop().await;
}

#[tokio::test]
async fn a_service_that_never_answers_costs_at_most_the_deadline() {
    let county = County::start().await;
    // Accepts TCP connections (the kernel's backlog) but never speaks HTTP/2.
    let black_hole = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut urls = county.urls();
    urls[2] = format!("http://{}", black_hole.local_addr().unwrap());
    // Default deadline short too: a caller without a deadline is bounded as well.
    let aggregator = start_aggregator(urls, Duration::from_millis(800)).await;
    let mut c = agg(&aggregator, Principal::Aggregator).await;
    for deadline in [Some(Duration::from_millis(500)), None] {
        let started = Instant::now();
        let s = summary(&mut c, "420625", deadline).await;
        let took = started.elapsed();
        let limit = deadline.unwrap_or(Duration::from_millis(800));
        assert!(took < limit, "took {took:?}, deadline {limit:?}");
        let (st, code) = state(&s.health.as_ref().unwrap().status);
        assert_eq!(st, SectionState::Unavailable);
        assert_eq!(
            code,
            Code::DeadlineExceeded,
            "a black hole runs out the clock"
        );
        assert_eq!(
            state(&s.registry.as_ref().unwrap().status).0,
            SectionState::Available
        );
        assert_eq!(
            state(&s.water.as_ref().unwrap().status).0,
            SectionState::Available
        );
    }
    // The current year's default when the caller sends none.
    let r = c
        .get_summary(GetSummaryRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap();
    assert_eq!(r.year, today().year());
    drop(black_hole);
    aggregator.stop().await.unwrap();
    county.stop().await;
}

#[tokio::test]
async fn several_endpoints_per_service_are_balanced_past_a_dead_one() {
    let county = County::start().await;
    let expected = load(&county).await;
    let [r, e, h, o, w] = county.urls();
    let token = test_tokens().1[&Principal::Aggregator].clone();
    let mut upstream = Upstream::single([r.clone(), e, h, o, w], token);
    // Two replicas of the registry, one of them dead; two live "replicas" of water.
    upstream.registry = vec![dead_address().await, r];
    upstream.water = vec![upstream.water[0].clone(), upstream.water[0].clone()];
    let aggregator = start_aggregator_with(upstream).await;
    let mut c = agg(&aggregator, Principal::Aggregator).await;
    for _ in 0..3 {
        let s = summary(&mut c, "420625", Some(Duration::from_secs(3))).await;
        check_full_summary(&s, &expected);
    }
    aggregator.stop().await.unwrap();
    county.stop().await;
}

//! The walk over the small county: exact, in village then household order, batched and
//! resumable; the same answer over upstream pages of one record; a guarantee service down
//! leaves only its signals unavailable, the registry down fails the call.

use std::time::{Duration, Instant};

use tonic::Code;
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::registry;
use xk_runtime::{Bureau, Principal};

use crate::common;
use crate::county::*;
use crate::fixtures::{expected, fixtures};
use crate::load::load;
use crate::stream::{households, kinds, req, stream};

#[tokio::test]
async fn at_risk_households_are_exact_ordered_batched_and_resumable() {
    let c = County::start().await;
    let fx = fixtures();
    load(&c, &fx).await;
    let mut agg = c.agg(Principal::Aggregator).await;

    // The whole county: exactly the households the test computes, with their reasons.
    let msgs = stream(
        &mut agg,
        req("420625", 0, ""),
        Some(Duration::from_secs(20)),
    )
    .await
    .unwrap();
    let last = msgs.last().unwrap();
    assert!(last.done);
    assert!(msgs[..msgs.len() - 1].iter().all(|m| !m.done));
    assert!(msgs.iter().all(|m| m.unavailable.is_empty()), "{msgs:?}");
    assert!(
        msgs.iter()
            .all(|m| m.year == YEAR && m.monitoring_line_fen == LINE)
    );
    let all = households(&msgs);
    let want = expected(&fx, "420625", true, true);
    assert_eq!(kinds(&all), want);
    // Sanity of the fixture: every trigger fires somewhere, and some households are clear.
    let fired: std::collections::BTreeSet<RiskKind> =
        want.iter().flat_map(|(_, k)| k.clone()).collect();
    assert_eq!(fired.len(), 7, "{fired:?}");
    assert!(want.len() < fx.len());
    // Village order, then household order.
    let keys: Vec<(String, String)> = all
        .iter()
        .map(|h| (h.village_code.clone(), h.household_id.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    // Details carry figures, never a whole resident id.
    let h2 = all.iter().find(|h| h.household_id == "HH000002").unwrap();
    assert!(
        h2.reasons[0].detail.contains(&(LINE - 1).to_string()),
        "{h2:?}"
    );
    assert_eq!(h2.status, registry::v1::ArchiveStatus::Poor as i32);
    for f in &fx {
        for m in f.household().members {
            for h in &all {
                for r in &h.reasons {
                    assert!(!r.detail.contains(&m.resident_id), "{}", r.detail);
                }
            }
        }
    }

    // A township and a village.
    for prefix in ["420625101", V2] {
        let msgs = stream(&mut agg, req(prefix, 0, ""), None).await.unwrap();
        assert_eq!(
            kinds(&households(&msgs)),
            expected(&fx, prefix, true, true),
            "{prefix}"
        );
    }

    // Batches of one household (smaller than any village): the same households, in the
    // same order, at most one per message.
    let ones = stream(&mut agg, req("420625", 1, ""), None).await.unwrap();
    assert!(ones.iter().all(|m| m.households.len() <= 1));
    assert!(ones.len() > want.len());
    assert_eq!(kinds(&households(&ones)), want);
    // Resume after the second household (mid-village): the rest, exactly.
    let with_two: Vec<&ListAtRiskHouseholdsResponse> =
        ones.iter().filter(|m| !m.households.is_empty()).collect();
    let token = with_two[1].resume_token.clone();
    let rest = stream(&mut agg, req("420625", 2, &token), None)
        .await
        .unwrap();
    assert_eq!(kinds(&households(&rest)), want[2..].to_vec());
    // Resume after the last: nothing more, but a final message.
    let end = stream(&mut agg, req("420625", 0, &last.resume_token), None)
        .await
        .unwrap();
    assert!(households(&end).is_empty());
    assert!(end.last().unwrap().done);

    // Bad input: INVALID_ARGUMENT naming the field; a token of another filter is refused.
    for (r, field) in [
        (req("42062", 0, ""), "region_prefix"),
        (req("abcdef", 0, ""), "region_prefix"),
        (req("", 0, ""), "region_prefix"),
        (req("420625", -1, ""), "batch_size"),
        (req("420625", 0, "garbage"), "resume_token"),
        (req("420625101", 0, &token), "resume_token"),
        (
            ListAtRiskHouseholdsRequest {
                year: 1999,
                ..req("420625", 0, "")
            },
            "year",
        ),
    ] {
        let e = stream(&mut agg, r, None).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
        assert!(
            common::violated_fields(&e).contains(&field.to_string()),
            "{field}: {e:?}"
        );
    }
    // A bureau may not read across services.
    let mut bureau = c.agg(Principal::Bureau(Bureau::PovertyOffice)).await;
    let e = stream(&mut bureau, req("420625", 0, ""), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    c.stop().await;
}

/// Upstream pages of one record: every village's households, cases, students and
/// exceptions come over several pages, and the answer is the same.
#[tokio::test]
async fn upstream_pages_smaller_than_a_village_give_the_same_answer() {
    let c = County::start_paging(1).await;
    let fx = fixtures();
    load(&c, &fx).await;
    let mut agg = c.agg(Principal::Aggregator).await;
    let msgs = stream(
        &mut agg,
        req("420625", 2, ""),
        Some(Duration::from_secs(20)),
    )
    .await
    .unwrap();
    assert!(msgs.iter().all(|m| m.unavailable.is_empty()), "{msgs:?}");
    assert!(msgs.iter().all(|m| m.households.len() <= 2));
    assert_eq!(
        kinds(&households(&msgs)),
        expected(&fx, "420625", true, true)
    );
    c.stop().await;
}

#[tokio::test]
async fn a_service_down_leaves_its_signals_unavailable_and_the_registry_fails_the_call() {
    let mut c = County::start().await;
    let fx = fixtures();
    load(&c, &fx).await;
    let mut agg = c.agg(Principal::Aggregator).await;

    // Water and health stop: their triggers are listed unavailable (with the code), every
    // other trigger is still served, within the caller's deadline.
    c.water.take().unwrap().stop().await.unwrap();
    c.health.take().unwrap().stop().await.unwrap();
    let deadline = Duration::from_secs(10);
    let t = Instant::now();
    let msgs = stream(&mut agg, req("420625", 0, ""), Some(deadline))
        .await
        .unwrap();
    assert!(t.elapsed() < deadline, "{:?}", t.elapsed());
    assert!(msgs.last().unwrap().done);
    assert_eq!(
        kinds(&households(&msgs)),
        expected(&fx, "420625", false, false)
    );
    let last = msgs.last().unwrap();
    let unavailable: Vec<(RiskKind, Code)> = last
        .unavailable
        .iter()
        .map(|u| {
            let s = u.status.clone().unwrap();
            assert_eq!(s.state, SectionState::Unavailable as i32);
            (RiskKind::try_from(u.kind).unwrap(), Code::from_i32(s.code))
        })
        .collect();
    assert_eq!(
        unavailable,
        [
            (RiskKind::MedicalExpensesAboveIncome, Code::Unavailable),
            (RiskKind::LargeMedicalPayment, Code::Unavailable),
            (RiskKind::UnsafeWater, Code::Unavailable),
        ]
    );
    assert!(
        last.unavailable[2]
            .status
            .as_ref()
            .unwrap()
            .message
            .starts_with("water: ")
    );

    // The registry is the spine: without it the call fails UNAVAILABLE.
    c.registry.take().unwrap().stop().await.unwrap();
    let e = stream(&mut agg, req("420625", 0, ""), Some(deadline))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unavailable, "{e:?}");
    assert!(e.message().starts_with("registry: "), "{e:?}");
    c.stop().await;
}

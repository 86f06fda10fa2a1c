//! The registry under kills: imports, creates and incomes; then every acknowledged
//! household is there once and whole, and the summary agrees.

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use xiaokang::testing::Bearer;
use xk_contracts::pb::registry::v1 as reg;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;

use super::audit::check_one_row_per_request_id;
use super::harness::{check_rollups, setup, stop};
use super::writes::{Op, Tally, run_with_kills};
use super::{ROUNDS, TOKEN, VILLAGE, common, kills};

/// The registry workload: rounds of one import (3 batches) + creates + incomes.
pub(crate) fn registry_ops(rng: &mut StdRng) -> (Vec<Op>, BTreeMap<String, reg::Household>) {
    let mut ops = Vec::new();
    let mut want: BTreeMap<String, reg::Household> = BTreeMap::new();
    let mut n = 0u32;
    let mut incomes_per_household: BTreeMap<String, i32> = BTreeMap::new();
    let make = |n: u32, size: usize| common::household(n, VILLAGE, size, reg::ArchiveStatus::Poor);
    for round in 0..ROUNDS {
        let mut batches = Vec::new();
        for b in 0..3 {
            let households: Vec<_> = (0..40)
                .map(|_| {
                    n += 1;
                    make(n, rng.random_range(1..=4))
                })
                .collect();
            for h in &households {
                want.insert(h.household_id.clone(), h.clone());
            }
            batches.push(reg::ImportHouseholdsRequest {
                request_id: format!("imp-{round}-{b}"),
                households,
            });
        }
        ops.push(Op::ImportHouseholds(batches));
        for k in 0..4 {
            n += 1;
            let h = make(n, rng.random_range(1..=4));
            want.insert(h.household_id.clone(), h.clone());
            ops.push(Op::CreateHousehold(reg::CreateHouseholdRequest {
                request_id: format!("create-{round}-{k}"),
                household: Some(h),
            }));
        }
        for k in 0..4 {
            // A household already written, a year it has no income for yet.
            let id = format!("HH{:06}", rng.random_range(1..=n));
            let used = incomes_per_household.entry(id.clone()).or_insert(0);
            if *used >= 5 {
                continue;
            }
            let year = 2015 + *used;
            *used += 1;
            let income = reg::Income {
                year,
                per_capita_net_income_fen: rng.random_range(300_000..900_000),
            };
            want.get_mut(&id).unwrap().incomes.push(income);
            ops.push(Op::RecordIncome(reg::RecordIncomeRequest {
                request_id: format!("income-{round}-{k}"),
                household_id: id,
                income: Some(income),
            }));
        }
    }
    (ops, want)
}

/// Every household of the registry, by ExportHouseholds.
pub(crate) async fn export_all(url: &str) -> Vec<reg::Household> {
    use futures::StreamExt;
    let ch = xiaokang::client::channel(url).unwrap();
    let mut c = RegistryServiceClient::with_interceptor(ch, Bearer(Some(TOKEN.into())));
    let mut s = c
        .export_households(reg::ExportHouseholdsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Some(page) = s.next().await {
        out.extend(page.unwrap().households);
    }
    out
}

/// Runs the registry under kills and checks what it holds.
pub(crate) async fn registry_under_kills(seed: u64) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let (ops, want) = registry_ops(&mut rng);
    let (_dir, log, db) = setup("crash-registry").await;
    let (server, tally) = run_with_kills(
        xk_registry::SPEC,
        &db.url,
        &log,
        &ops,
        kills(),
        &mut rng,
        seed,
    )
    .await;

    let got = export_all(&server.url).await;
    let ids: Vec<&str> = got.iter().map(|h| h.household_id.as_str()).collect();
    let distinct: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        ids.len(),
        "seed {seed}: duplicated households"
    );
    assert_eq!(
        distinct,
        want.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        "seed {seed}: every acknowledged household, nothing else"
    );
    for h in &got {
        let w = &want[&h.household_id];
        let members = |h: &reg::Household| {
            h.members
                .iter()
                .map(|m| m.resident_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            members(h),
            members(w),
            "seed {seed}: {} members",
            h.household_id
        );
        let mut years: Vec<(i32, i64)> = h
            .incomes
            .iter()
            .map(|i| (i.year, i.per_capita_net_income_fen))
            .collect();
        years.sort();
        let mut want_years: Vec<(i32, i64)> = w
            .incomes
            .iter()
            .map(|i| (i.year, i.per_capita_net_income_fen))
            .collect();
        want_years.sort();
        assert_eq!(years, want_years, "seed {seed}: {} incomes", h.household_id);
        let registered = h
            .timeline
            .iter()
            .filter(|e| e.kind == reg::EventKind::Registered as i32)
            .count();
        assert_eq!(registered, 1, "seed {seed}: {} timeline", h.household_id);
        assert!(!h.etag.is_empty(), "seed {seed}: {} etag", h.household_id);
    }
    // Derived figures (SQL GROUP BY over the rows) agree with the records.
    let ch = xiaokang::client::channel(&server.url).unwrap();
    let mut c = RegistryServiceClient::with_interceptor(ch, Bearer(Some(TOKEN.into())));
    let total = c
        .summarize_by_region(reg::SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .total
        .unwrap();
    let people: usize = want.values().map(|h| h.members.len()).sum();
    assert_eq!(
        (total.archive_households, total.archive_people),
        (want.len() as i64, people as i64),
        "seed {seed}: summary"
    );
    stop(server).await;
    check_rollups("registry", &db.url, seed).await;
    check_one_row_per_request_id(&db.url, &ops, seed).await;
    db.drop_now().await.unwrap();
    eprintln!(
        "registry: {} households / {people} people / {} incomes",
        want.len(),
        want.values().map(|h| h.incomes.len()).sum::<usize>()
    );
    tally
}

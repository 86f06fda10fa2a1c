//! A county-sized walk, timed.

use std::time::Instant;

use xk_contracts::pb::registry;
use xk_runtime::{Bureau, Principal};

use crate::common;
use crate::county::*;
use crate::stream::req;

/// A county-sized walk (19,140 households in 290 villages, every tenth below the line),
/// timed: `cargo test --release --test at_risk -- --ignored --nocapture`. The guarantee
/// services are empty, so this measures the walk's own cost: seven upstream reads per
/// village plus the registry's households.
#[tokio::test]
#[ignore]
async fn measure_a_county_sized_walk() {
    use registry::v1::ArchiveStatus as A;
    let c = County::start().await;
    let reg = c.registry.as_ref().unwrap();
    let mut rc = registry::v1::registry_service_client::RegistryServiceClient::with_interceptor(
        reg.channel().await.unwrap(),
        reg.bearer(Principal::Bureau(Bureau::PovertyOffice)),
    );
    let (villages, per_village) = (290u32, 66u32);
    let mut all = Vec::new();
    for v in 0..villages {
        let village = format!("420625{:03}{:03}", 100 + v / 30, 200 + v % 30);
        for i in 0..per_village {
            let n = v * per_village + i + 1;
            let mut h = common::household(n, &village, 2 + (n % 2) as usize, A::Exited);
            h.incomes = vec![registry::v1::Income {
                year: YEAR,
                per_capita_net_income_fen: if n % 10 == 0 { LINE - 1 } else { LINE * 2 },
            }];
            all.push(h);
        }
    }
    let total = all.len();
    let t = Instant::now();
    let batches: Vec<registry::v1::ImportHouseholdsRequest> = all
        .chunks(2000)
        .enumerate()
        .map(|(i, b)| registry::v1::ImportHouseholdsRequest {
            request_id: format!("big-{i}"),
            households: b.to_vec(),
        })
        .collect();
    drop(all);
    rc.import_households(tokio_stream::iter(batches))
        .await
        .unwrap();
    eprintln!("imported {total} households in {:?}", t.elapsed());

    let mut agg = c.agg(Principal::Aggregator).await;
    let t = Instant::now();
    let mut s = agg
        .list_at_risk_households(req("420625", 0, ""))
        .await
        .unwrap()
        .into_inner();
    let mut first = None;
    let (mut msgs, mut listed) = (0, 0);
    while let Some(m) = s.message().await.unwrap() {
        first.get_or_insert(t.elapsed());
        msgs += 1;
        listed += m.households.len();
    }
    let took = t.elapsed();
    assert_eq!(listed, total / 10);
    eprintln!(
        "walked {villages} villages / {total} households: {listed} at risk in {msgs} messages; first message after {:?}, all after {took:?} ({:.0} households/s)",
        first.unwrap(),
        total as f64 / took.as_secs_f64()
    );
    c.stop().await;
}

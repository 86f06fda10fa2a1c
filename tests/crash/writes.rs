//! The writes the test sends, and the loop that sends them while the process is killed
//! and restarted, retrying each unacknowledged write with the same request_ids.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;
use tonic::transport::Channel;
use xiaokang::testing::Bearer;
use xk_contracts::pb::registry::v1 as reg;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::water::v1 as wat;
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_runtime::ServiceSpec;

use super::harness::{Server, start_server};
use super::{KILL_AFTER_MS, TOKEN};

/// One write as the test sends it; a retry sends the very same value.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    /// ImportHouseholds: a client stream of batches, each with its own request_id.
    ImportHouseholds(Vec<reg::ImportHouseholdsRequest>),
    /// CreateHousehold.
    CreateHousehold(reg::CreateHouseholdRequest),
    /// RecordIncome.
    RecordIncome(reg::RecordIncomeRequest),
    /// ImportAssessments: a client stream of batches.
    ImportAssessments(Vec<wat::ImportAssessmentsRequest>),
    /// RecordAssessment.
    RecordAssessment(wat::RecordAssessmentRequest),
}

impl Op {
    /// Every request_id the op carries (one per batch for imports).
    pub(crate) fn request_ids(&self) -> Vec<String> {
        match self {
            Op::ImportHouseholds(b) => b.iter().map(|b| b.request_id.clone()).collect(),
            Op::ImportAssessments(b) => b.iter().map(|b| b.request_id.clone()).collect(),
            Op::CreateHousehold(r) => vec![r.request_id.clone()],
            Op::RecordIncome(r) => vec![r.request_id.clone()],
            Op::RecordAssessment(r) => vec![r.request_id.clone()],
        }
    }
}

/// Sends one op; `Ok` is the acknowledgement, with how many import batches the server
/// answered as replays (committed by an attempt whose answer the kill swallowed).
pub(crate) async fn send(ch: Channel, op: &Op) -> Result<usize, tonic::Status> {
    let mut replayed = 0;
    let bearer = Bearer(Some(TOKEN.to_string()));
    let deadline = Duration::from_secs(30);
    match op {
        Op::ImportHouseholds(batches) => {
            let mut c = RegistryServiceClient::with_interceptor(ch, bearer);
            let mut req = tonic::Request::new(tokio_stream::iter(batches.clone()));
            req.set_timeout(deadline);
            let r = c.import_households(req).await?.into_inner();
            // Committed now or by an earlier, unacknowledged attempt: never both, never lost.
            assert_eq!(
                (r.batches_committed + r.batches_replayed) as usize,
                batches.len(),
                "every batch accounted for: {r:?}"
            );
            replayed = r.batches_replayed as usize;
        }
        Op::CreateHousehold(r) => {
            let mut c = RegistryServiceClient::with_interceptor(ch, bearer);
            let got = c.create_household(r.clone()).await?.into_inner();
            let h = got.household.expect("the created household");
            assert_eq!(h.members.len(), r.household.as_ref().unwrap().members.len());
        }
        Op::RecordIncome(r) => {
            let mut c = RegistryServiceClient::with_interceptor(ch, bearer);
            let got = c.record_income(r.clone()).await?.into_inner();
            let h = got.household.expect("the household");
            let year = r.income.as_ref().unwrap().year;
            assert_eq!(h.incomes.iter().filter(|i| i.year == year).count(), 1);
        }
        Op::ImportAssessments(batches) => {
            let mut c = WaterServiceClient::with_interceptor(ch, bearer);
            let mut req = tonic::Request::new(tokio_stream::iter(batches.clone()));
            req.set_timeout(deadline);
            let r = c.import_assessments(req).await?.into_inner();
            assert_eq!(
                (r.batches_committed + r.batches_replayed) as usize,
                batches.len(),
                "every batch accounted for: {r:?}"
            );
            replayed = r.batches_replayed as usize;
        }
        Op::RecordAssessment(r) => {
            let mut c = WaterServiceClient::with_interceptor(ch, bearer);
            c.record_assessment(r.clone()).await?;
        }
    }
    Ok(replayed)
}

/// What one run did (printed; the lead quotes it).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// SIGKILLs sent.
    pub(crate) kills: usize,
    /// Ops acknowledged (each exactly once, at the end of its attempts).
    acked_ops: usize,
    /// request_ids acknowledged (a batch of an import counts once).
    acked_request_ids: usize,
    /// Attempts that failed because the process died under them, then retried.
    retries: usize,
    /// Import batches a retry found already committed (answered as replays).
    replayed_batches: usize,
}

/// Sends `ops` in order while killing the process `kills` times at seeded moments;
/// every op is retried with the same request_ids until acknowledged. Returns the last
/// incarnation (alive) and what happened.
pub(crate) async fn run_with_kills(
    spec: ServiceSpec,
    db_url: &str,
    log: &Path,
    ops: &[Op],
    kills: usize,
    rng: &mut StdRng,
    seed: u64,
) -> (Server, Tally) {
    let mut tally = Tally::default();
    let next_kill = |rng: &mut StdRng, done: usize| {
        (done < kills).then(|| Duration::from_millis(rng.random_range(KILL_AFTER_MS)))
    };
    let mut server = start_server(spec, db_url, log, next_kill(rng, 0)).await;
    let mut i = 0;
    while i < ops.len() || server.killer.is_some() {
        if i == ops.len() {
            // Ops ran out before the kill: take the remaining kills on an idle process.
            let killer = server.killer.take().unwrap();
            killer.await.unwrap();
            tally.kills += 1;
            server = start_server(spec, db_url, log, next_kill(rng, tally.kills)).await;
            continue;
        }
        let ch = xiaokang::client::channel(&server.url).unwrap();
        match send(ch, &ops[i]).await {
            Ok(replayed) => {
                tally.replayed_batches += replayed;
                tally.acked_ops += 1;
                tally.acked_request_ids += ops[i].request_ids().len();
                i += 1;
            }
            Err(status) => {
                assert!(
                    server.killed.load(Ordering::SeqCst),
                    "seed {seed}: op {i} failed while the process was alive: {status:?}\nop: {:?}",
                    ops[i].request_ids()
                );
                let killer = server.killer.take().expect("a killed process had a killer");
                killer.await.unwrap();
                tally.kills += 1;
                tally.retries += 1;
                server = start_server(spec, db_url, log, next_kill(rng, tally.kills)).await;
            }
        }
    }
    (server, tally)
}

//! The cost of the metrics layer: GetHousehold against two registry servers on the same
//! database and settings, one of them with `metrics: false`, so the two rates differ only
//! by the layer (tracing, with no exporter, is in both).
//!
//! The two are measured in short interleaved rounds (on, off, then off, on, …) and the
//! figure is the median of the rounds' on/off ratios: on a shared 2-core machine the
//! throughput drifts by more than the 5% being measured between two back-to-back 5-second
//! runs, while the drift within one round pair is small and the median ignores the round
//! a neighbour's burst spoiled.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use xk_contracts::pb::registry::v1::GetHouseholdRequest;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_runtime::ServeSettings;

use super::measure::{Latency, channels, drive};
use crate::testing::{Bearer, test_tokens};

/// Round pairs of the interleaved comparison: enough for a median that one disturbed
/// round cannot move, few enough that each round still lasts a second.
pub(super) const ROUNDS: u64 = 5;

/// GetHousehold with the metrics layer on and off, measured in interleaved rounds.
pub struct MetricsOverhead {
    /// Every round with the layer on, merged.
    pub on: Latency,
    /// Every round with the layer off, merged.
    pub off: Latency,
    /// Each round pair's on/off rate ratio, in round order.
    pub ratios: Vec<f64>,
}

impl MetricsOverhead {
    /// The median round ratio: the figure the goal (≥ 0.95) is judged on.
    pub fn median_ratio(&self) -> f64 {
        median(&self.ratios)
    }
}

/// The middle value (the mean of the two middle ones for an even count); NaN when empty.
pub(super) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// GetHousehold over `ids` at `concurrency`, for about `seconds` on each side, against
/// the server at `metered_url` (metrics on) and a second server without the metrics layer
/// on the database at `database_url` (already imported), in [`ROUNDS`] interleaved rounds.
pub(super) async fn compare(
    metered_url: &str,
    database_url: &str,
    settings: &ServeSettings,
    bearer: Bearer,
    ids: Arc<Vec<String>>,
    (concurrency, connections, seconds): (usize, usize, u64),
) -> anyhow::Result<MetricsOverhead> {
    let settings = ServeSettings {
        metrics: false,
        ..settings.clone()
    };
    // The tokens are the same fixed test tokens the first server was given.
    let (table, _) = test_tokens();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let hosted =
        crate::suite::host(xk_registry::SPEC, database_url, &settings, table, listener).await?;
    let bare_url = hosted.url();
    xk_runtime::server::wait_until_serving(
        &bare_url,
        xk_registry::SPEC.grpc_name,
        Duration::from_secs(10),
    )
    .await?;
    let on_clients = clients(metered_url, connections, &bearer).await?;
    let off_clients = clients(&bare_url, connections, &bearer).await?;
    // The metered server has already served `seconds` of GetHousehold (and its pool's
    // SQLite page caches are warm); the new one starts cold, and without this its first
    // rounds ran 1.6-1.9x slower, which read as a metrics layer costing nothing.
    let _untimed = get(&off_clients, &ids, concurrency, seconds).await;
    let round_secs = (seconds / ROUNDS).max(1);
    let mut on: Option<Latency> = None;
    let mut off: Option<Latency> = None;
    let mut ratios = Vec::new();
    for round in 0..ROUNDS {
        // Alternate which side goes first, so a steady drift favours neither.
        let (on_round, off_round) = if round % 2 == 0 {
            let a = get(&on_clients, &ids, concurrency, round_secs).await;
            (a, get(&off_clients, &ids, concurrency, round_secs).await)
        } else {
            let b = get(&off_clients, &ids, concurrency, round_secs).await;
            (get(&on_clients, &ids, concurrency, round_secs).await, b)
        };
        ratios.push(on_round.rps() / off_round.rps());
        merge_into(&mut on, on_round);
        merge_into(&mut off, off_round);
    }
    hosted.shutdown().await?;
    let (Some(on), Some(off)) = (on, off) else {
        anyhow::bail!("the metrics comparison ran no round");
    };
    Ok(MetricsOverhead { on, off, ratios })
}

/// A registry client that sends the benchmark's bearer token.
type Client = RegistryServiceClient<InterceptedService<Channel, Bearer>>;

/// `connections` registry clients of `url` that send `bearer`.
async fn clients(
    url: &str,
    connections: usize,
    bearer: &Bearer,
) -> anyhow::Result<Arc<Vec<Client>>> {
    Ok(Arc::new(
        channels(url, connections)
            .await?
            .into_iter()
            .map(|c| RegistryServiceClient::with_interceptor(c, bearer.clone()))
            .collect(),
    ))
}

/// One round of GetHousehold through `clients`.
async fn get(
    clients: &Arc<Vec<Client>>,
    ids: &Arc<Vec<String>>,
    concurrency: usize,
    seconds: u64,
) -> Latency {
    let clients = clients.clone();
    let ids = ids.clone();
    let call = move |t: usize, i: u64| {
        let mut c = clients[t % clients.len()].clone();
        let id = ids[(i as usize) % ids.len()].clone();
        async move {
            c.get_household(GetHouseholdRequest { household_id: id })
                .await
                .is_ok()
        }
    };
    drive(concurrency, seconds, call).await
}

/// Adds `round` to the running total in `total`.
fn merge_into(total: &mut Option<Latency>, round: Latency) {
    match total {
        Some(t) => t.merge(round),
        None => *total = Some(round),
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_takes_the_middle_and_ignores_one_outlier() {
        assert_eq!(median(&[0.9, 0.2, 1.0]), 0.9);
        assert_eq!(median(&[0.97, 0.96, 0.5, 0.98, 0.95]), 0.96);
        assert!((median(&[1.0, 0.9, 0.8, 0.7]) - 0.85).abs() < 1e-12);
        assert!(median(&[]).is_nan());
    }
}

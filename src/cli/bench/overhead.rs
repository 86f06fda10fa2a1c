//! The cost of the metrics layer: GetHousehold against a second registry server on the
//! same database and settings with `metrics: false`, so the two rates differ only by the
//! layer (tracing, with no exporter, is in both).

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use xk_contracts::pb::registry::v1::GetHouseholdRequest;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_runtime::ServeSettings;

use super::measure::{Latency, channels, drive};
use crate::testing::{Bearer, test_tokens};

/// GetHousehold over `ids` at `concurrency` for `seconds`, served without the metrics
/// layer from the database at `database_url` (already imported).
pub(super) async fn get_without_metrics(
    database_url: &str,
    settings: &ServeSettings,
    bearer: Bearer,
    ids: Arc<Vec<String>>,
    (concurrency, connections, seconds): (usize, usize, u64),
) -> anyhow::Result<Latency> {
    let settings = ServeSettings {
        metrics: false,
        ..settings.clone()
    };
    // The tokens are the same fixed test tokens the first server was given.
    let (table, _) = test_tokens();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let hosted =
        crate::suite::host(xk_registry::SPEC, database_url, &settings, table, listener).await?;
    let url = hosted.url();
    xk_runtime::server::wait_until_serving(
        &url,
        xk_registry::SPEC.grpc_name,
        Duration::from_secs(10),
    )
    .await?;
    let clients: Arc<Vec<_>> = Arc::new(
        channels(&url, connections)
            .await?
            .into_iter()
            .map(|c| RegistryServiceClient::with_interceptor(c, bearer.clone()))
            .collect(),
    );
    let get = move |t: usize, i: u64| {
        let mut c = clients[t % clients.len()].clone();
        let id = ids[(i as usize) % ids.len()].clone();
        async move {
            c.get_household(GetHouseholdRequest { household_id: id })
                .await
                .is_ok()
        }
    };
    let result = drive(concurrency, seconds, get).await;
    hosted.shutdown().await?;
    Ok(result)
}

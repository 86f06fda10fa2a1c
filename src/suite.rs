//! How each service of the suite is hosted. Adding a service means adding it to
//! [`crate::catalog::SERVICES`] and to [`routes_for`].

use std::sync::Arc;

use anyhow::Context;
use tonic::service::Routes;
use xk_runtime::{
    Db, HostedService, Listeners, ServeSettings, ServiceSpec, TokenTable, start_service,
};

pub use crate::catalog::{AGGREGATOR, SERVICES, spec};

/// Migrates the database and builds the routes of the named service.
pub async fn routes_for(
    spec: ServiceSpec,
    db: Db,
    settings: &ServeSettings,
) -> anyhow::Result<Routes> {
    match spec.name {
        "registry" => xk_registry::routes(db, settings).await,
        "education" => xk_education::routes(db, settings).await,
        "housing" => xk_housing::routes(db, settings).await,
        "water" => xk_water::routes(db, settings).await,
        "health" => xk_health::routes(db, settings).await,
        other => anyhow::bail!("no service named {other}"),
    }
}

/// The tables of service `name` that a PostgreSQL database may partition by county
/// (empty for housing, whose tables stay small: one row per relocated or appraised
/// household).
pub fn partitionable(name: &str) -> &'static [xk_runtime::partition::Partitionable] {
    match name {
        "registry" => xk_registry::store::PARTITIONABLE,
        "health" => xk_health::store::PARTITIONABLE,
        "education" => xk_education::store::PARTITIONABLE,
        "water" => xk_water::store::PARTITIONABLE,
        _ => &[],
    }
}

/// Migrates only (for `xiaokang migrate`): runs the service's migrator through its routes
/// constructor, which migrates first and builds nothing that runs.
pub async fn migrate(spec: ServiceSpec, db: Db, settings: &ServeSettings) -> anyhow::Result<()> {
    routes_for(spec, db, settings).await.map(|_| ())
}

/// Connects, migrates and starts one service on `listeners` (a bare gRPC listener
/// converts).
pub async fn host(
    spec: ServiceSpec,
    database_url: &str,
    settings: &ServeSettings,
    tokens: Arc<TokenTable>,
    listeners: impl Into<Listeners>,
) -> anyhow::Result<HostedService> {
    let mut db = Db::connect_as(database_url, settings.db_pool, settings.durability())
        .await?
        .with_query_metrics(spec.name)
        .with_group_commit(settings.group_commit)
        .with_rollup_merge(xk_runtime::rollup::MergeTiming {
            gather: std::time::Duration::from_millis(settings.rollup_merge_ms),
            idle_look: std::time::Duration::from_millis(settings.rollup_idle_merge_ms),
            vacuum_every: std::time::Duration::from_millis(settings.rollup_vacuum_ms),
            scopes_per_merge: settings.rollup_merge_scopes,
        });
    if !settings.migrate {
        db = db.check_migrations_only();
    }
    if !settings.rollups {
        db = db.without_rollups();
    }
    let routes = routes_for(spec, db.clone(), settings).await?;
    let hosted = start_service(spec, routes, db, settings, tokens, listeners).await?;
    if let Some(refresh) = gauges_for(spec, settings)? {
        hosted.refresh_gauges_every(
            std::time::Duration::from_millis(settings.gauge_interval_ms),
            refresh,
        );
    }
    Ok(hosted)
}

/// The business gauges a service exports on `/metrics`, if it has any.
fn gauges_for(
    spec: ServiceSpec,
    settings: &ServeSettings,
) -> anyhow::Result<Option<xk_runtime::server::GaugeRefresh>> {
    Ok(match spec.name {
        "registry" => Some(Arc::new(xk_registry::store::gauges::refresh)),
        "water" => Some(Arc::new(xk_water::store::gauges::refresh)),
        "education" => Some(Arc::new(xk_education::gauges::refresh)),
        "housing" => Some(Arc::new(xk_housing::store::gauges::refresh)),
        // The cap is policy: the gauge reads the same book the service settles with.
        "health" => Some(xk_health::store::gauges::refresher(xk_health::policy_book(
            settings,
        )?)),
        _ => None,
    })
}

/// Connects, migrates and starts the aggregator on `listeners`, calling the services in
/// `upstream`.
pub async fn host_aggregator(
    database_url: &str,
    settings: &ServeSettings,
    tokens: Arc<TokenTable>,
    listeners: impl Into<Listeners>,
    upstream: xk_aggregator::Upstream,
) -> anyhow::Result<HostedService> {
    let mut db = Db::connect(database_url, settings.db_pool)
        .await?
        .with_query_metrics(AGGREGATOR.name)
        .with_group_commit(settings.group_commit);
    if !settings.migrate {
        db = db.check_migrations_only();
    }
    let routes = xk_aggregator::routes(db.clone(), settings, upstream).await?;
    start_service(AGGREGATOR, routes, db, settings, tokens, listeners).await
}

/// The whole suite running in this process: the five services, then the aggregator.
pub struct RunningSuite {
    /// Every hosted service, the aggregator last.
    pub hosted: Vec<HostedService>,
}

impl RunningSuite {
    /// The URL (`http://addr`) of a service by name.
    pub fn url(&self, name: &str) -> Option<String> {
        self.hosted
            .iter()
            .find(|h| h.spec.name == name)
            .map(|h| h.url())
    }

    /// Every service's URL, for clients.
    pub fn addrs(&self) -> crate::client::SuiteAddrs {
        crate::client::SuiteAddrs {
            urls: self.hosted.iter().map(|h| (h.spec.name, h.url())).collect(),
        }
    }

    /// Graceful shutdown, the aggregator first so it never calls a stopped service.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        for h in self.hosted.into_iter().rev() {
            h.shutdown().await?;
        }
        Ok(())
    }
}

/// Binds one service's gRPC listener and, when it gets one, its admin listener.
async fn bind_listeners(
    spec: &ServiceSpec,
    bind: std::net::IpAddr,
    port: &Port,
    settings: &ServeSettings,
) -> anyhow::Result<Listeners> {
    use std::net::SocketAddr;
    let (grpc_port, admin) = match port {
        Port::Default => (
            spec.default_port,
            Some(SocketAddr::new(bind, admin_port(spec))),
        ),
        Port::Any => (0, settings.admin_listen.map(|_| SocketAddr::new(bind, 0))),
    };
    Listeners::bind(spec.name, SocketAddr::new(bind, grpc_port), admin).await
}

/// The admin port `xiaokang up` gives a service: its gRPC port + 1000.
pub fn admin_port(spec: &ServiceSpec) -> u16 {
    spec.default_port.saturating_add(1000)
}

/// Where one service of a [`start_all`] suite listens.
pub enum Port {
    /// The service's default port (`xiaokang up`).
    Default,
    /// Any free port (tests, `demo` beside a running suite).
    Any,
}

/// Starts the five services and the aggregator in this process, each on `bind` and its
/// own database (`database_url(name)`), each waited for until SERVING; the aggregator
/// calls the others with `aggregator_token`.
///
/// Admin listeners: with [`Port::Default`] each service gets one on its gRPC port + 1000
/// (registry 50051 -> 51051); with [`Port::Any`] each gets one on a free port when
/// `settings.admin_listen` is set (tests), none otherwise.
///
/// Every port is bound before the first service starts (see [`Listeners`]): a port taken
/// stops the suite before anything serves, and no connection made while the services
/// come up can be handed a port that a later one needs.
pub async fn start_all(
    database_url: impl Fn(&str) -> String,
    bind: std::net::IpAddr,
    port: Port,
    settings: &ServeSettings,
    tokens: Arc<TokenTable>,
    aggregator_token: String,
) -> anyhow::Result<RunningSuite> {
    use std::time::Duration;
    let mut listeners = Vec::new();
    for spec in SERVICES.iter().chain([&AGGREGATOR]) {
        listeners.push(bind_listeners(spec, bind, &port, settings).await?);
    }
    let aggregator_listeners = listeners.pop().context("the aggregator's listeners")?;
    let settings = ServeSettings {
        admin_listen: None,
        ..settings.clone()
    };
    let mut hosted = Vec::new();
    for (spec, listeners) in SERVICES.iter().zip(listeners) {
        let h = host(
            *spec,
            &database_url(spec.name),
            &settings,
            tokens.clone(),
            listeners,
        )
        .await?;
        xk_runtime::server::wait_until_serving(&h.url(), spec.grpc_name, Duration::from_secs(10))
            .await?;
        hosted.push(h);
    }
    let suite = RunningSuite { hosted };
    let url_of = |name: &str| {
        suite
            .url(name)
            .with_context(|| format!("{name} was not started"))
    };
    let upstream = xk_aggregator::Upstream::single(
        [
            url_of("registry")?,
            url_of("education")?,
            url_of("health")?,
            url_of("housing")?,
            url_of("water")?,
        ],
        aggregator_token,
    );
    let mut hosted = suite.hosted;
    let h = host_aggregator(
        &database_url(AGGREGATOR.name),
        &settings,
        tokens,
        aggregator_listeners,
        upstream,
    )
    .await?;
    xk_runtime::server::wait_until_serving(&h.url(), AGGREGATOR.grpc_name, Duration::from_secs(10))
        .await?;
    hosted.push(h);
    Ok(RunningSuite { hosted })
}

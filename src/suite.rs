//! The services of the suite and how each is hosted. Adding a service means adding it to
//! [`SERVICES`] and to [`routes_for`].

use std::sync::Arc;

use tokio::net::TcpListener;
use tonic::service::Routes;
use xk_runtime::{Db, HostedService, ServeSettings, ServiceSpec, TokenTable, start_service};

/// Every domain service this build can host, in start order. The aggregator is not in
/// this list: it needs the others' addresses, so it is hosted by [`host_aggregator`],
/// last.
pub const SERVICES: &[ServiceSpec] = &[
    xk_registry::SPEC,
    xk_education::SPEC,
    xk_housing::SPEC,
    xk_water::SPEC,
    xk_health::SPEC,
];

/// The spec of a service by its short name.
pub fn spec(name: &str) -> Option<ServiceSpec> {
    SERVICES.iter().copied().find(|s| s.name == name)
}

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

/// Migrates only (for `xiaokang migrate`): runs the service's migrator through its routes
/// constructor, which migrates first and builds nothing that runs.
pub async fn migrate(spec: ServiceSpec, db: Db, settings: &ServeSettings) -> anyhow::Result<()> {
    routes_for(spec, db, settings).await.map(|_| ())
}

/// Connects, migrates and starts one service on `listener`.
pub async fn host(
    spec: ServiceSpec,
    database_url: &str,
    settings: &ServeSettings,
    tokens: Arc<TokenTable>,
    listener: TcpListener,
) -> anyhow::Result<HostedService> {
    let mut db = Db::connect(database_url, settings.db_pool).await?;
    if !settings.migrate {
        db = db.check_migrations_only();
    }
    let routes = routes_for(spec, db.clone(), settings).await?;
    start_service(spec, routes, db, settings, tokens, listener).await
}

/// The aggregator's spec (hosted apart from [`SERVICES`]: it needs their addresses).
pub const AGGREGATOR: ServiceSpec = xk_aggregator::SPEC;

/// Connects, migrates and starts the aggregator on `listener`, calling the services in
/// `upstream`.
pub async fn host_aggregator(
    database_url: &str,
    settings: &ServeSettings,
    tokens: Arc<TokenTable>,
    listener: TcpListener,
    upstream: xk_aggregator::Upstream,
) -> anyhow::Result<HostedService> {
    let mut db = Db::connect(database_url, settings.db_pool).await?;
    if !settings.migrate {
        db = db.check_migrations_only();
    }
    let routes = xk_aggregator::routes(db.clone(), settings, upstream).await?;
    start_service(AGGREGATOR, routes, db, settings, tokens, listener).await
}

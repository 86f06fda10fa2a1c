//! Hosting one service: its routes plus health and reflection, behind the layer stack,
//! on a listener, with graceful shutdown.
//!
//! Shutdown order (SIGTERM, Ctrl-C, or [`HostedService::shutdown`]): health flips to
//! NOT_SERVING and `/readyz` to 503 so balancers stop sending; the listener stops accepting; in-flight calls
//! finish; the database pool closes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower::ServiceBuilder;

use crate::admin::Readiness;
use crate::auth::{ServiceSpec, TokenTable};
use crate::budget::{Budgets, CallLayer};
use crate::connections::{self, ConnectionRegistry};
use crate::db::Db;
use crate::layers::{AuthLayer, DeadlineLayer, TraceLayer};
use crate::metrics::RpcMetricsLayer;
use crate::retry::RetryConflictLayer;
use crate::settings::ServeSettings;
use crate::shed::{QueueStatus, ShedLayer};

/// Counts a service's business figures and sets its gauges (one query, run on an
/// interval by [`HostedService::refresh_gauges_every`]).
pub type GaugeRefresh =
    Arc<dyn Fn(Db) -> futures::future::BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// The sockets a service is served on, bound before it starts.
///
/// `xiaokang up` binds every service's ports before it starts the first one: once a
/// service serves, clients (its own readiness checks, an operator's probe) open outgoing
/// connections, and the kernel may hand one of them a local port that a later service
/// was about to bind. A bound port is never handed out.
pub struct Listeners {
    /// The gRPC listener.
    pub grpc: TcpListener,
    /// The admin listener (probes, metrics), already bound; when `None` the service binds
    /// `ServeSettings::admin_listen` itself, if that is set.
    pub admin: Option<TcpListener>,
}

impl Listeners {
    /// Binds `service`'s gRPC listener on `grpc` and, when given, its admin listener on
    /// `admin`; an error names the service and the address.
    pub async fn bind(
        service: &str,
        grpc: SocketAddr,
        admin: Option<SocketAddr>,
    ) -> anyhow::Result<Listeners> {
        use anyhow::Context;
        let grpc = TcpListener::bind(grpc)
            .await
            .with_context(|| format!("binding {service} on {grpc}"))?;
        let admin = match admin {
            Some(addr) => Some(crate::admin::bind(addr, service).await?),
            None => None,
        };
        Ok(Listeners { grpc, admin })
    }
}

impl From<TcpListener> for Listeners {
    fn from(grpc: TcpListener) -> Self {
        Listeners { grpc, admin: None }
    }
}

/// A running service.
pub struct HostedService {
    /// Which service.
    pub spec: ServiceSpec,
    /// Where it listens (the real port when bound to port 0).
    pub addr: SocketAddr,
    /// Where its admin listener (probes, metrics) listens, if it has one.
    pub admin_addr: Option<SocketAddr>,
    /// What `/readyz` answers from.
    readiness: Arc<Readiness>,
    /// The admin listener's task, stopped last.
    admin: Option<JoinHandle<()>>,
    /// Flips health before stopping.
    health: HealthReporter,
    /// Tells the server and the health watcher to stop.
    stop: watch::Sender<bool>,
    /// The server task.
    join: JoinHandle<Result<(), tonic::transport::Error>>,
    /// Closed after the server has stopped.
    db: Db,
    /// How long in-flight calls may take to finish on shutdown.
    grace: Duration,
    /// Whether it serves TLS.
    tls: bool,
    /// Its write and read queues, to see how full they are.
    queues: QueueStatus,
}

impl HostedService {
    /// The service's database (tests verify its rollups through it).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// `http://addr`, for clients (`https://` when serving TLS).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Its write and read queues ([`crate::shed`]): how many calls each holds.
    pub fn queues(&self) -> &QueueStatus {
        &self.queues
    }

    /// Runs `refresh` now and then every `interval` until shutdown; a failed round is
    /// logged and the previous values stay.
    pub fn refresh_gauges_every(&self, interval: Duration, refresh: GaugeRefresh) {
        let db = self.db.clone();
        let service = self.spec.name;
        let mut stop = self.stop.subscribe();
        let interval = interval.max(Duration::from_millis(100));
        tokio::spawn(async move {
            loop {
                if let Err(e) = refresh(db.clone()).await {
                    tracing::warn!(service, error = %e, "business gauges not refreshed");
                }
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => break,
                    _ = tokio::time::sleep(interval) => {}
                }
            }
        });
    }

    /// Graceful shutdown: NOT_SERVING, stop accepting, finish in-flight calls (cutting
    /// those still open after the grace period, such as health watches), close the
    /// database.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.readiness.begin_shutdown();
        set_all(&self.health, self.spec, ServingStatus::NotServing).await;
        let _ = self.stop.send(true);
        match tokio::time::timeout(self.grace, &mut self.join).await {
            Ok(joined) => joined??,
            Err(_) => {
                tracing::warn!(
                    service = self.spec.name,
                    "calls still open after the grace period: cut"
                );
                self.join.abort();
            }
        }
        self.db.close().await?;
        if let Some(admin) = self.admin.take() {
            admin.abort();
        }
        tracing::info!(service = self.spec.name, "stopped");
        Ok(())
    }
}

pub(crate) async fn set_all(health: &HealthReporter, spec: ServiceSpec, status: ServingStatus) {
    health.set_service_status("", status).await;
    health.set_service_status(spec.grpc_name, status).await;
}

/// Starts serving `routes` for `spec` on `listeners` (a bare gRPC listener converts).
/// The database must be migrated.
pub async fn start_service(
    spec: ServiceSpec,
    routes: Routes,
    db: Db,
    settings: &ServeSettings,
    tokens: Arc<TokenTable>,
    listeners: impl Into<Listeners>,
) -> anyhow::Result<HostedService> {
    let Listeners {
        grpc: listener,
        admin: admin_listener,
    } = listeners.into();
    let addr = listener.local_addr()?;
    let (health, health_service) = tonic_health::server::health_reporter();
    set_all(&health, spec, ServingStatus::Serving).await;

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(xk_contracts::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(xk_contracts::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    let routes = routes
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);

    let budgets = Budgets::from_settings(settings);
    let connections = ConnectionRegistry::new(budgets.connection_bytes);
    let (write_queue, read_queue) = settings.queue_bounds();
    let shed = ShedLayer::new(
        spec,
        settings.concurrency_limit,
        write_queue,
        read_queue,
        settings.metrics,
    );
    let queues = shed.status();
    let layers = ServiceBuilder::new()
        .layer(RpcMetricsLayer::new(spec, settings.metrics))
        .layer(CallLayer::new(connections.clone(), budgets))
        .layer(TraceLayer::new(spec.name))
        .layer(AuthLayer::new(tokens, spec))
        .layer(DeadlineLayer::new(settings.max_call()))
        .layer(shed)
        .layer(RetryConflictLayer::new(
            settings.conflict_retries,
            settings.max_message_bytes,
        )?)
        .into_inner();

    let (stop, stop_rx) = watch::channel(false);
    let incoming = connections::incoming(
        listener,
        settings.connection_limits(),
        connections,
        spec.name,
    );
    let mut server_stop = stop_rx.clone();
    let keepalive = settings.http2_keepalive();
    let mut builder = Server::builder()
        .http2_keepalive_interval(keepalive.map(|(interval, _)| interval))
        .http2_keepalive_timeout(keepalive.map(|(_, timeout)| timeout));
    if let Some(tls) = settings.server_tls()? {
        builder = builder.tls_config(tls)?;
    }
    let router = builder.layer(layers).add_routes(routes);
    let join = tokio::spawn(async move {
        router
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = server_stop.wait_for(|s| *s).await;
            })
            .await
    });

    let readiness = Arc::new(Readiness::default());
    crate::admin::watch_database(
        spec,
        db.clone(),
        health.clone(),
        readiness.clone(),
        Duration::from_millis(settings.health_interval_ms.max(100)),
        stop_rx,
    );
    let admin_listener = match (admin_listener, settings.admin_listen) {
        (Some(bound), _) => Some(bound),
        (None, Some(admin_addr)) => Some(crate::admin::bind(admin_addr, spec.name).await?),
        (None, None) => None,
    };
    let (admin, admin_addr) = match admin_listener {
        Some(listener) => {
            let admin_addr = listener.local_addr()?;
            let task = crate::admin::serve(listener, spec.name, db.clone(), readiness.clone());
            tracing::info!(service = spec.name, %admin_addr, "admin listener (probes, metrics)");
            (Some(task), Some(admin_addr))
        }
        None => (None, None),
    };

    tracing::info!(service = spec.name, %addr, "serving");
    Ok(HostedService {
        spec,
        addr,
        admin_addr,
        readiness,
        admin,
        health,
        stop,
        join,
        db,
        grace: Duration::from_millis(settings.shutdown_grace_ms),
        tls: settings.tls_cert.is_some(),
        queues,
    })
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown signal received");
}

/// Waits until the gRPC health service at `url` answers SERVING for `service` (or overall
/// for ""), polling with a short backoff; for tests and `xiaokang health`.
pub async fn wait_until_serving(url: &str, service: &str, timeout: Duration) -> anyhow::Result<()> {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = Duration::from_millis(5);
    loop {
        let attempt = async {
            let channel = tonic::transport::Endpoint::from_shared(url.to_string())?
                .connect()
                .await?;
            let resp = HealthClient::new(channel)
                .check(HealthCheckRequest {
                    service: service.to_string(),
                })
                .await?;
            anyhow::Ok(resp.into_inner().status)
        };
        match attempt.await {
            Ok(s)
                if s == tonic_health::pb::health_check_response::ServingStatus::Serving as i32 =>
            {
                return Ok(());
            }
            other => {
                if tokio::time::Instant::now() >= deadline {
                    anyhow::bail!("{url} {service:?} not serving after {timeout:?}: {other:?}");
                }
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(200));
    }
}

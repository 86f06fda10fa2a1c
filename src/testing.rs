//! Starting real services for tests and benchmarks: port 0, a fresh database, known tokens.
//!
//! `XK_TEST_DATABASE=postgres` (with `XK_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432`) runs the same tests against PostgreSQL: each
//! service gets a newly created database that is dropped when the [`TestService`] is
//! dropped... or at the latest on the next run's start (names carry a per-run prefix).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::{Channel, Endpoint};
use xk_runtime::{HostedService, Principal, ServeSettings, ServiceSpec, TokenTable};

/// Which database the tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestDb {
    /// A SQLite file in a temporary folder.
    Sqlite,
    /// A fresh database on the local PostgreSQL.
    Postgres,
}

impl TestDb {
    /// From `XK_TEST_DATABASE` (`sqlite`, the default, or `postgres`).
    pub fn from_env() -> TestDb {
        match std::env::var("XK_TEST_DATABASE").as_deref() {
            Ok("postgres") | Ok("postgresql") => TestDb::Postgres,
            _ => TestDb::Sqlite,
        }
    }
}

fn pg_base() -> String {
    std::env::var("XK_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The URL of database `name` on the test server: `XK_TEST_PG_URL` with `/name` put before
/// its query (`?sslmode=…` stays where it was).
pub fn pg_url(name: &str) -> String {
    let base = pg_base();
    let (server, query) = match base.split_once('?') {
        Some((server, query)) => (server.to_string(), format!("?{query}")),
        None => (base, String::new()),
    };
    format!("{}/{name}{query}", server.trim_end_matches('/'))
}

/// `url` with its `sslmode` set to `mode` (any earlier `sslmode` removed).
pub fn with_sslmode(url: &str, mode: &str) -> String {
    let (server, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("sslmode="))
        .collect();
    let sslmode = format!("sslmode={mode}");
    params.push(&sslmode);
    format!("{server}?{}", params.join("&"))
}

/// A database created for one test.
pub struct TestDatabase {
    /// The URL services connect to.
    pub url: String,
    /// Keeps the SQLite folder alive.
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database to drop afterwards.
    pg_name: Option<String>,
}

impl TestDatabase {
    /// Creates an empty database of the kind `XK_TEST_DATABASE` selects.
    pub async fn create(label: &str) -> anyhow::Result<TestDatabase> {
        Self::create_as(TestDb::from_env(), label).await
    }

    /// Creates an empty database of the given kind.
    pub async fn create_as(kind: TestDb, label: &str) -> anyhow::Result<TestDatabase> {
        match kind {
            TestDb::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}/{label}.db", dir.path().display());
                Ok(TestDatabase {
                    url,
                    _dir: Some(dir),
                    pg_name: None,
                })
            }
            TestDb::Postgres => {
                let name = format!(
                    "xk_test_{label}_{}",
                    &xk_runtime::auth::random_token()[..12]
                );
                let admin = sea_orm::Database::connect(pg_url("postgres")).await?;
                use sea_orm::ConnectionTrait;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await?;
                admin.close().await?;
                Ok(TestDatabase {
                    url: pg_url(&name),
                    _dir: None,
                    pg_name: Some(name),
                })
            }
        }
    }

    /// Drops a PostgreSQL database (call after the service has shut down).
    pub async fn drop_now(mut self) -> anyhow::Result<()> {
        if let Some(name) = self.pg_name.take() {
            let admin = sea_orm::Database::connect(pg_url("postgres")).await?;
            use sea_orm::ConnectionTrait;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await?;
            admin.close().await?;
        }
        Ok(())
    }
}

/// The tokens tests use: a fixed, known token per principal.
pub fn test_tokens() -> (Arc<TokenTable>, HashMap<Principal, String>) {
    let mut table = TokenTable::default();
    let mut map = HashMap::new();
    for p in Principal::ALL {
        let token = format!("test-token-for-{}", p.name());
        table.insert(p, &token);
        map.insert(p, token);
    }
    (Arc::new(table), map)
}

/// A service started for a test.
pub struct TestService {
    /// The running service.
    pub hosted: HostedService,
    /// Its database.
    pub database: TestDatabase,
    /// Token per principal.
    pub tokens: HashMap<Principal, String>,
}

pub use crate::client::Bearer;

impl TestService {
    /// Starts `spec` on 127.0.0.1:0 over a fresh database and waits until it is SERVING.
    pub async fn start(spec: ServiceSpec) -> anyhow::Result<TestService> {
        Self::start_with(spec, ServeSettings::default()).await
    }

    /// As [`TestService::start`], with settings.
    pub async fn start_with(
        spec: ServiceSpec,
        settings: ServeSettings,
    ) -> anyhow::Result<TestService> {
        let svc = Self::start_unchecked(spec, settings).await?;
        xk_runtime::server::wait_until_serving(
            &svc.hosted.url(),
            spec.grpc_name,
            Duration::from_secs(10),
        )
        .await?;
        Ok(svc)
    }

    /// As [`TestService::start_with`] without waiting for plaintext health (for TLS
    /// servers, which the caller checks over TLS itself).
    pub async fn start_unchecked(
        spec: ServiceSpec,
        settings: ServeSettings,
    ) -> anyhow::Result<TestService> {
        let database = TestDatabase::create(spec.name).await?;
        let (table, tokens) = test_tokens();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let hosted = crate::suite::host(spec, &database.url, &settings, table, listener).await?;
        Ok(TestService {
            hosted,
            database,
            tokens,
        })
    }

    /// Starts the aggregator on 127.0.0.1:0 over a fresh database, calling the services
    /// in `upstream`, and waits until it is SERVING.
    pub async fn start_aggregator(
        upstream: xk_aggregator::Upstream,
    ) -> anyhow::Result<TestService> {
        let database = TestDatabase::create(crate::suite::AGGREGATOR.name).await?;
        let (table, tokens) = test_tokens();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let hosted = crate::suite::host_aggregator(
            &database.url,
            &ServeSettings::default(),
            table,
            listener,
            upstream,
        )
        .await?;
        xk_runtime::server::wait_until_serving(
            &hosted.url(),
            crate::suite::AGGREGATOR.grpc_name,
            Duration::from_secs(10),
        )
        .await?;
        Ok(TestService {
            hosted,
            database,
            tokens,
        })
    }

    /// Another instance of this service on 127.0.0.1:0 over the same database, with
    /// `settings` (another `--policy-file`, say), waited for until SERVING. The caller
    /// shuts it down; the database stays this service's.
    pub async fn replica(&self, settings: ServeSettings) -> anyhow::Result<HostedService> {
        serving(self.hosted.spec, &self.database.url, &settings).await
    }

    /// Stops the service, runs `meanwhile` on its database URL (a migration, say), and
    /// serves the same database again with `settings`, waited for until SERVING.
    pub async fn restart(
        self,
        settings: &ServeSettings,
        meanwhile: impl AsyncFnOnce(&str),
    ) -> anyhow::Result<TestService> {
        let TestService {
            hosted,
            database,
            tokens,
        } = self;
        let spec = hosted.spec;
        hosted.shutdown().await?;
        meanwhile(&database.url).await;
        let hosted = serving(spec, &database.url, settings).await?;
        Ok(TestService {
            hosted,
            database,
            tokens,
        })
    }

    /// Stops the service, partitions `tables` of its database by county (PostgreSQL:
    /// `xiaokang migrate NAME --partition-by-county`, counties from the rows), and serves
    /// it again with the default settings; returns what the partitioning did.
    pub async fn partitioned(
        self,
        tables: &[xk_runtime::partition::Partitionable],
    ) -> anyhow::Result<(TestService, xk_runtime::partition::Partitioning)> {
        let mut done = Err(anyhow::anyhow!("the service did not stop"));
        let svc = self
            .restart(&ServeSettings::default(), async |url| {
                done = async {
                    let conn = xk_runtime::Db::connect(url, 1).await?;
                    let done = xk_runtime::partition::by_county(conn.conn(), tables, &[]).await;
                    conn.close().await?;
                    Ok(done?)
                }
                .await;
            })
            .await?;
        Ok((svc, done?))
    }

    /// A channel to the service.
    pub async fn channel(&self) -> anyhow::Result<Channel> {
        Ok(Endpoint::from_shared(self.hosted.url())?.connect().await?)
    }

    /// The bearer interceptor of a principal.
    pub fn bearer(&self, p: Principal) -> Bearer {
        Bearer(Some(self.tokens[&p].clone()))
    }

    /// Graceful shutdown, then drop the database.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.hosted.shutdown().await?;
        self.database.drop_now().await
    }
}

/// `spec` hosted on 127.0.0.1:0 over the existing database `url` with the test tokens,
/// waited for until SERVING.
async fn serving(
    spec: ServiceSpec,
    url: &str,
    settings: &ServeSettings,
) -> anyhow::Result<HostedService> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let hosted = crate::suite::host(spec, url, settings, test_tokens().0, listener).await?;
    xk_runtime::server::wait_until_serving(&hosted.url(), spec.grpc_name, Duration::from_secs(10))
        .await?;
    Ok(hosted)
}

/// The suite's services by name, in start order (the aggregator last): the order of a
/// [`TestSuite`]'s databases.
fn suite_names() -> impl Iterator<Item = &'static str> {
    crate::suite::SERVICES
        .iter()
        .chain(std::iter::once(&crate::suite::AGGREGATOR))
        .map(|s| s.name)
}

/// The whole suite for a test: the five services and the aggregator in this process on
/// port 0, each over its own fresh database, with the test tokens.
pub struct TestSuite {
    /// The running services, the aggregator last.
    pub suite: crate::suite::RunningSuite,
    /// One database per service (dropped after shutdown).
    pub databases: Vec<TestDatabase>,
    /// Token per principal.
    pub tokens: HashMap<Principal, String>,
}

impl TestSuite {
    /// Starts every service with default settings over databases of the
    /// `XK_TEST_DATABASE` kind.
    pub async fn start() -> anyhow::Result<TestSuite> {
        Self::start_with(ServeSettings::default()).await
    }

    /// As [`TestSuite::start`], with settings for every service.
    pub async fn start_with(settings: ServeSettings) -> anyhow::Result<TestSuite> {
        Self::start_as(TestDb::from_env(), settings).await
    }

    /// As [`TestSuite::start_with`], on the given kind of database (benchmarks).
    pub async fn start_as(kind: TestDb, settings: ServeSettings) -> anyhow::Result<TestSuite> {
        let mut databases = Vec::new();
        for name in suite_names() {
            databases.push(TestDatabase::create_as(kind, name).await?);
        }
        Self::start_over(databases, &settings).await
    }

    /// Stops every service gracefully and starts them again over the same databases with
    /// `settings` (a bulk load's second start: see `ServeSettings::bulk_load`).
    pub async fn restart(self, settings: ServeSettings) -> anyhow::Result<TestSuite> {
        self.suite.shutdown().await?;
        Self::start_over(self.databases, &settings).await
    }

    /// Starts the suite over `databases`, one per service in suite order.
    async fn start_over(
        databases: Vec<TestDatabase>,
        settings: &ServeSettings,
    ) -> anyhow::Result<TestSuite> {
        let urls: HashMap<String, String> = suite_names()
            .zip(&databases)
            .map(|(name, db)| (name.to_string(), db.url.clone()))
            .collect();
        let (table, tokens) = test_tokens();
        let suite = crate::suite::start_all(
            |name| urls.get(name).cloned().unwrap_or_default(),
            std::net::IpAddr::from([127, 0, 0, 1]),
            crate::suite::Port::Any,
            settings,
            table,
            tokens[&Principal::Aggregator].clone(),
        )
        .await?;
        Ok(TestSuite {
            suite,
            databases,
            tokens,
        })
    }

    /// The admin listener of a service by name (started with `admin_listen` set).
    pub fn admin_addr(&self, name: &str) -> Option<std::net::SocketAddr> {
        self.suite
            .hosted
            .iter()
            .find(|h| h.spec.name == name)
            .and_then(|h| h.admin_addr)
    }

    /// The URL of a service by name (`registry`, …, `aggregator`).
    pub fn url(&self, name: &str) -> String {
        self.suite.url(name).unwrap_or_default()
    }

    /// A channel to a service by name.
    pub async fn channel(&self, name: &str) -> anyhow::Result<Channel> {
        Ok(Endpoint::from_shared(self.url(name))?.connect().await?)
    }

    /// The bearer interceptor of a principal.
    pub fn bearer(&self, p: Principal) -> Bearer {
        Bearer(Some(self.tokens[&p].clone()))
    }

    /// Graceful shutdown of every service, then drop the databases.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.suite.shutdown().await?;
        for db in self.databases {
            db.drop_now().await?;
        }
        Ok(())
    }
}

/// The relations the current transaction of `conn` (PostgreSQL) holds a lock on, by
/// name: what a test of partition pruning reads to see which partitions a statement
/// touched (a read takes ACCESS SHARE on each partition it scans, and keeps it until the
/// transaction ends).
pub async fn locked_relations<C: sea_orm::ConnectionTrait>(
    conn: &C,
) -> anyhow::Result<Vec<String>> {
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT CAST(CAST(relation AS regclass) AS TEXT) FROM pg_locks \
             WHERE pid = pg_backend_pid() AND locktype = 'relation' ORDER BY 1",
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?)
}

/// Settings with an admin listener on a free loopback port, as tests start services.
pub fn settings_with_admin() -> ServeSettings {
    ServeSettings {
        admin_listen: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
        ..ServeSettings::default()
    }
}

/// `GET path` on an admin listener: the status code and the body.
pub async fn admin_get(addr: std::net::SocketAddr, path: &str) -> anyhow::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("no end of headers in {response:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no status in {head:?}"))?;
    Ok((status, body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::with_sslmode;

    #[test]
    fn sslmode_is_set_once_and_other_parameters_stay() {
        assert_eq!(
            with_sslmode("postgres://u@h:5432/db", "require"),
            "postgres://u@h:5432/db?sslmode=require"
        );
        assert_eq!(
            with_sslmode(
                "postgres://u@h/db?sslmode=prefer&application_name=x",
                "disable"
            ),
            "postgres://u@h/db?application_name=x&sslmode=disable"
        );
    }
}

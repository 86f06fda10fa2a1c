//! Typed settings for serving one service, from flags and `XK_*` environment variables.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default largest message: gRPC's own default.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Default request-byte budget of a service (see `request_budget_bytes`).
pub const DEFAULT_REQUEST_BUDGET_BYTES: usize = 64 * 1024 * 1024;
/// Default request-byte budget of one connection: two largest messages with their 5-byte
/// gRPC frame headers, so one connection may carry two large calls at once.
pub const DEFAULT_CONNECTION_BUDGET_BYTES: usize = 2 * (DEFAULT_MAX_MESSAGE_BYTES + 5);

/// How one service is served. Every field is a flag and an `XK_*` variable, so the same
/// binary is configured the same way under `xiaokang serve`, docker-compose or a test.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeSettings {
    /// Address to listen on; port 0 picks a free port (tests).
    #[arg(long, env = "XK_LISTEN")]
    pub listen: Option<std::net::SocketAddr>,
    /// Database URL: `sqlite://path/file.db` (created if missing) or `postgres://…`.
    #[arg(long, env = "XK_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A file holding the database URL (e.g. a container secret at
    /// `/run/secrets/registry-database-url`), read at start instead of `database_url`, so
    /// the password is not in the process environment; trailing line breaks are trimmed.
    #[arg(long, env = "XK_DATABASE_URL_FILE")]
    pub database_url_file: Option<PathBuf>,
    /// The file of bearer tokens (TOML: principal = "token"); see `auth`.
    #[arg(long, env = "XK_TOKENS_FILE")]
    pub tokens_file: Option<PathBuf>,
    /// A policy file (TOML) replacing the service's built-in policy defaults.
    #[arg(long, env = "XK_POLICY_FILE")]
    pub policy_file: Option<PathBuf>,
    /// Longest a call may run on the server, whatever deadline the client sends.
    #[arg(long, env = "XK_MAX_CALL_MS", default_value_t = 30_000)]
    pub max_call_ms: u64,
    /// Calls admitted at once by this service, writes and reads together (health aside);
    /// more are refused at once with RESOURCE_EXHAUSTED. Above the two queue depths
    /// together, so by default the per-class queues decide; lower it to cap both at once.
    #[arg(long, env = "XK_CONCURRENCY_LIMIT", default_value_t = 256)]
    pub concurrency_limit: usize,
    /// Writes admitted at once (running or waiting to run); past it a write is refused at
    /// once with RESOURCE_EXHAUSTED. Twice the writes that run at once: a burst of that
    /// size waits its turn, past it overload is refused here, in microseconds, rather
    /// than after waiting the bound; a longer queue only makes callers wait.
    #[arg(long, env = "XK_WRITE_QUEUE_DEPTH", default_value_t = 128)]
    pub write_queue_depth: usize,
    /// Writes running at once; the others of the queue wait for one to end. 64: group
    /// commit puts the running writes in one transaction, so they share its commit (a
    /// batch of 64 commits as fast as one); the suite's own loaders send up to 48 writes at
    /// once, which an idle service must never refuse.
    #[arg(long, env = "XK_WRITE_CONCURRENCY", default_value_t = 64)]
    pub write_concurrency: usize,
    /// Reads admitted at once (running or waiting to run); past it a read is refused at
    /// once. Apart from writes, so a burst of writes cannot refuse reads.
    #[arg(long, env = "XK_READ_QUEUE_DEPTH", default_value_t = 512)]
    pub read_queue_depth: usize,
    /// Reads running at once: eight database connections (`XK_DB_POOL`) busy and the
    /// rest parsing, answering or, in the aggregator, waiting for other services.
    #[arg(long, env = "XK_READ_CONCURRENCY", default_value_t = 128)]
    pub read_concurrency: usize,
    /// Longest an admitted call waits for a running slot of its class before it is
    /// refused with RESOURCE_EXHAUSTED: a caller waits at most this plus the call's own
    /// work, never seconds behind the others. 40 ms, so that a call refused after waiting
    /// is still answered within the 50 ms a refusal may take.
    #[arg(long, env = "XK_QUEUE_WAIT_MS", default_value_t = 40)]
    pub queue_wait_ms: u64,
    /// Largest message accepted or sent, in bytes; larger ones get OUT_OF_RANGE /
    /// RESOURCE_EXHAUSTED from tonic. 4 MiB, gRPC's own default: the largest batch the
    /// suite's loaders send (1,000-2,000 households) is well under it.
    #[arg(long, env = "XK_MAX_MESSAGE_BYTES", default_value_t = DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,
    /// Request bytes all calls of this service may hold at once (announced message
    /// lengths, reserved before tonic buffers the message, held until the call ends);
    /// a call past it is refused with RESOURCE_EXHAUSTED. Sized to the 256 MB container:
    /// measured, 200 concurrent calls of ~4 MiB take a service from 26 to 85 MiB RSS
    /// (703 MiB without a budget), leaving room for the database pool and the responses.
    #[arg(long, env = "XK_REQUEST_BUDGET_BYTES", default_value_t = DEFAULT_REQUEST_BUDGET_BYTES)]
    pub request_budget_bytes: usize,
    /// Request bytes the calls of one connection may hold at once (HTTP/2 multiplexes
    /// many calls on a connection, so one client cannot take the whole service budget).
    #[arg(long, env = "XK_CONNECTION_BUDGET_BYTES", default_value_t = DEFAULT_CONNECTION_BUDGET_BYTES)]
    pub connection_budget_bytes: usize,
    /// Connections open at once; past it a new connection is accepted and closed at once
    /// (a client fails fast and can go elsewhere) with a rate-limited log line.
    #[arg(long, env = "XK_MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: usize,
    /// A new connection must start its first call within this (TCP accept to the first
    /// request's headers: TLS and HTTP/2 handshakes included), or it is closed.
    #[arg(long, env = "XK_HANDSHAKE_TIMEOUT_MS", default_value_t = 10_000)]
    pub handshake_timeout_ms: u64,
    /// A connection with no call in flight for this long is closed.
    #[arg(long, env = "XK_IDLE_TIMEOUT_MS", default_value_t = 300_000)]
    pub idle_timeout_ms: u64,
    /// HTTP/2 PING interval on every connection (0: off); a peer that does not answer
    /// within `keepalive_timeout_ms` is dropped, so dead peers do not hold calls.
    #[arg(long, env = "XK_KEEPALIVE_INTERVAL_MS", default_value_t = 60_000)]
    pub keepalive_interval_ms: u64,
    /// How long a keepalive PING may go unanswered.
    #[arg(long, env = "XK_KEEPALIVE_TIMEOUT_MS", default_value_t = 20_000)]
    pub keepalive_timeout_ms: u64,
    /// TCP keepalive idle time on accepted sockets (0: off), for peers that vanished
    /// without a FIN.
    #[arg(long, env = "XK_TCP_KEEPALIVE_MS", default_value_t = 60_000)]
    pub tcp_keepalive_ms: u64,
    /// Database pool size.
    #[arg(long, env = "XK_DB_POOL", default_value_t = 8)]
    pub db_pool: u32,
    /// On shutdown, how long in-flight calls may take to finish before they are cut
    /// (long-lived streams such as health watches never finish by themselves).
    #[arg(long, env = "XK_SHUTDOWN_GRACE_MS", default_value_t = 10_000)]
    pub shutdown_grace_ms: u64,
    /// Apply pending migrations at start (the embedded default). Replicas of a scaled
    /// deployment set it to false: `xiaokang migrate` runs once, and each replica only
    /// checks that the schema is exactly the one it knows.
    #[arg(long, env = "XK_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate: bool,
    /// Group commit: concurrent writes share one transaction and one commit, each
    /// acknowledged only after that commit (see `xk_runtime::group_commit`). False runs
    /// every write in a transaction of its own (for comparison).
    #[arg(long, env = "XK_GROUP_COMMIT", default_value_t = true, action = clap::ArgAction::Set)]
    pub group_commit: bool,
    /// Per-village running totals ([`crate::rollup`]): summaries for recent dates read
    /// villages instead of rows, and every write keeps the totals in its transaction. False
    /// answers every summary from the rows and keeps no totals (for comparison: the write
    /// cost of keeping them).
    #[arg(long, env = "XK_ROLLUPS", default_value_t = true, action = clap::ArgAction::Set)]
    pub rollups: bool,
    /// Open the database for a first bulk load into an empty database, not for service
    /// (see `xk_runtime::db::Durability::BulkLoad`): no syncs, and on SQLite no WAL. A
    /// crash during the load can lose or corrupt it. Load with rollups off, then start
    /// the service normally: it builds the rollups from the rows at start.
    #[arg(long, env = "XK_BULK_LOAD", default_value_t = false, action = clap::ArgAction::Set)]
    pub bulk_load: bool,
    /// Server certificate chain (PEM): serve TLS instead of plaintext.
    #[arg(long, env = "XK_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The server certificate's private key (PEM).
    #[arg(long, env = "XK_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// CA certificate (PEM) that client certificates must chain to: mutual TLS, as between
    /// the aggregator and the services. Needs `tls_cert`.
    #[arg(long, env = "XK_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// How often the health reporter checks that the database answers.
    #[arg(long, env = "XK_HEALTH_INTERVAL_MS", default_value_t = 2_000)]
    pub health_interval_ms: u64,
    /// How many times a unary call is run again when its transaction lost a race with a
    /// concurrent one (a serialization failure or deadlock) before the caller gets ABORTED;
    /// 0 turns retrying off.
    #[arg(long, env = "XK_CONFLICT_RETRIES", default_value_t = 3)]
    pub conflict_retries: u32,
    /// The admin listener (plain HTTP: `/livez`, `/readyz`, `/metrics`), apart from the
    /// gRPC port and its limits; unset: none. `xiaokang up` uses each gRPC port + 1000.
    #[arg(long, env = "XK_ADMIN_LISTEN")]
    pub admin_listen: Option<std::net::SocketAddr>,
    /// Measure calls for `/metrics` (false skips the metrics layer: the baseline of the
    /// overhead benchmark).
    #[arg(long, env = "XK_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,
    /// How often the service's business gauges (households by status, …) are counted
    /// again for `/metrics`: one aggregate query per interval, never one per scrape.
    #[arg(long, env = "XK_GAUGE_INTERVAL_MS", default_value_t = 30_000)]
    pub gauge_interval_ms: u64,
    /// PostgreSQL: how long after a write commits the rollup merger moves the pending
    /// deltas into the totals; the writes of that time share one merge. Summaries are right
    /// meanwhile (they add pending deltas in); longer means fewer merges and larger delta
    /// tables. At 100 ms the merges took the county import to 0.81–0.82 of its rate
    /// without rollups; at 1,000 ms, 0.88–0.89 (README, "Write cost of keeping the
    /// rollups").
    #[arg(long, env = "XK_ROLLUP_MERGE_MS", default_value_t = 1_000)]
    pub rollup_merge_ms: u64,
    /// PostgreSQL: how often the rollup merger looks for pending deltas while this replica
    /// writes nothing (left by other replicas, or by a process that stopped before its
    /// merge).
    #[arg(long, env = "XK_ROLLUP_IDLE_MERGE_MS", default_value_t = 5_000)]
    pub rollup_idle_merge_ms: u64,
    /// PostgreSQL: the most often the rollup merger vacuums the delta tables after merging
    /// writes. Each merge deletes the deltas it moved, and summaries read the delta tables
    /// whole, dead rows included, until a vacuum clears them: after a million-person import
    /// they held 200,000 dead rows and a county summary took 70 ms instead of 14.
    #[arg(long, env = "XK_ROLLUP_VACUUM_MS", default_value_t = 1_000)]
    pub rollup_vacuum_ms: u64,
    /// PostgreSQL: the most villages one rollup merge transaction locks (an advisory lock
    /// each, held until it commits); more pending are merged by further transactions.
    /// The server's shared lock table holds `max_locks_per_transaction` ×
    /// `max_connections` entries (6,400 by default): locking 30,000 villages at once
    /// failed with "out of shared memory".
    #[arg(long, env = "XK_ROLLUP_MERGE_SCOPES", default_value_t = crate::rollup::DEFAULT_SCOPES_PER_MERGE)]
    pub rollup_merge_scopes: usize,
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            listen: None,
            database_url: None,
            database_url_file: None,
            tokens_file: None,
            policy_file: None,
            max_call_ms: 30_000,
            concurrency_limit: 256,
            write_queue_depth: 128,
            write_concurrency: 64,
            read_queue_depth: 512,
            read_concurrency: 128,
            queue_wait_ms: 40,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            request_budget_bytes: DEFAULT_REQUEST_BUDGET_BYTES,
            connection_budget_bytes: DEFAULT_CONNECTION_BUDGET_BYTES,
            max_connections: 512,
            handshake_timeout_ms: 10_000,
            idle_timeout_ms: 300_000,
            keepalive_interval_ms: 60_000,
            keepalive_timeout_ms: 20_000,
            tcp_keepalive_ms: 60_000,
            db_pool: 8,
            shutdown_grace_ms: 10_000,
            migrate: true,
            group_commit: true,
            rollups: true,
            bulk_load: false,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            health_interval_ms: 2_000,
            conflict_retries: 3,
            admin_listen: None,
            metrics: true,
            gauge_interval_ms: 30_000,
            rollup_merge_ms: 1_000,
            rollup_idle_merge_ms: 5_000,
            rollup_vacuum_ms: 1_000,
            rollup_merge_scopes: crate::rollup::DEFAULT_SCOPES_PER_MERGE,
        }
    }
}

impl ServeSettings {
    /// The settings `xiaokang up` hosts every service with: the limits, queues, timeouts,
    /// pool and switches from the `XK_*` environment, read as `serve` reads them, without
    /// what names one service ([`ServeSettings::for_suite`]).
    pub fn from_env_for_suite() -> anyhow::Result<Self> {
        #[derive(clap::Parser)]
        struct EnvOnly {
            #[command(flatten)]
            serve: ServeSettings,
        }
        let parsed = <EnvOnly as clap::Parser>::try_parse_from(["xiaokang up"]).map_err(|e| {
            // clap's first line names the setting by its flag; the rest is CLI help.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default();
            anyhow::anyhow!(
                "an XK_* serving setting is not valid: {}",
                first.trim_start_matches("error: ")
            )
        })?;
        Ok(parsed.serve.for_suite())
    }

    /// These settings without what names one service: the listen and admin addresses, the
    /// database, the tokens and policy files and the TLS files. A suite host (`xiaokang
    /// up`) sets those per service, so one value from the environment must not reach all
    /// six.
    pub fn for_suite(self) -> Self {
        Self {
            listen: None,
            database_url: None,
            database_url_file: None,
            tokens_file: None,
            policy_file: None,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            admin_listen: None,
            ..self
        }
    }

    /// The server-side cap on a call's duration.
    pub fn max_call(&self) -> Duration {
        Duration::from_millis(self.max_call_ms)
    }

    /// The bounds of the write queue and of the read queue ([`crate::shed`]).
    pub fn queue_bounds(&self) -> (crate::shed::QueueBounds, crate::shed::QueueBounds) {
        let wait = Duration::from_millis(self.queue_wait_ms);
        let bounds = |depth, running| crate::shed::QueueBounds {
            depth,
            running,
            wait,
        };
        (
            bounds(self.write_queue_depth, self.write_concurrency),
            bounds(self.read_queue_depth, self.read_concurrency),
        )
    }

    /// These settings with every call limit at `calls`: the service-wide cap, both queue
    /// depths and both running bounds, so up to `calls` calls run at once whatever their
    /// class (benchmarks measure the service, not its shedding).
    pub fn with_call_limit(self, calls: usize) -> Self {
        Self {
            concurrency_limit: calls,
            write_queue_depth: calls,
            write_concurrency: calls,
            read_queue_depth: calls,
            read_concurrency: calls,
            ..self
        }
    }

    /// Limits on connections for the accept loop (`connections`).
    pub fn connection_limits(&self) -> crate::connections::ConnectionLimits {
        let millis = |ms: u64| (ms > 0).then(|| Duration::from_millis(ms));
        crate::connections::ConnectionLimits {
            max_connections: self.max_connections.max(1),
            handshake_timeout: Duration::from_millis(self.handshake_timeout_ms.max(1)),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms.max(1)),
            tcp_keepalive: millis(self.tcp_keepalive_ms),
        }
    }

    /// HTTP/2 keepalive PING interval and timeout, `None` when off.
    pub fn http2_keepalive(&self) -> Option<(Duration, Duration)> {
        (self.keepalive_interval_ms > 0).then(|| {
            (
                Duration::from_millis(self.keepalive_interval_ms),
                Duration::from_millis(self.keepalive_timeout_ms.max(1)),
            )
        })
    }

    /// The server TLS configuration, if a certificate is configured; with a client CA,
    /// clients must present a certificate signed by it (mutual TLS).
    pub fn server_tls(&self) -> anyhow::Result<Option<tonic::transport::ServerTlsConfig>> {
        use tonic::transport::{Certificate, Identity, ServerTlsConfig};
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let read = |p: &PathBuf| {
            std::fs::read(p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))
        };
        let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
        if let Some(ca) = &self.tls_client_ca {
            tls = tls.client_ca_root(Certificate::from_pem(read(ca)?));
        }
        Ok(Some(tls))
    }

    /// The policy file's text, if one is configured.
    pub fn policy_text(&self) -> anyhow::Result<Option<String>> {
        match &self.policy_file {
            None => Ok(None),
            Some(p) => Ok(Some(std::fs::read_to_string(p).map_err(|e| {
                anyhow::anyhow!("reading policy file {}: {e}", p.display())
            })?)),
        }
    }
}

impl ServeSettings {
    /// How the service opens its database ([`ServeSettings::bulk_load`]).
    pub fn durability(&self) -> crate::db::Durability {
        if self.bulk_load {
            crate::db::Durability::BulkLoad
        } else {
            crate::db::Durability::Full
        }
    }

    /// The database URL from `database_url` or `database_url_file` (an error if both are
    /// given or the file cannot be read); `None` when neither is.
    pub fn resolved_database_url(&self) -> anyhow::Result<Option<String>> {
        value_or_file(
            "XK_DATABASE_URL",
            self.database_url.as_deref(),
            self.database_url_file.as_deref(),
        )
    }
}

/// Reads a secret file as the `*_FILE` settings name it: the whole file, trailing line
/// breaks trimmed (`echo` and editors add one; no URL or token ends in one). An empty
/// secret is an error here rather than a confusing one later (a login that fails).
pub fn read_secret_file(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading secret file {}: {e}", path.display()))?;
    let value = text.trim_end_matches(['\n', '\r']);
    anyhow::ensure!(!value.is_empty(), "secret file {} is empty", path.display());
    Ok(value.to_string())
}

/// A setting given either as its value (`setting`, e.g. `XK_DATABASE_URL`) or as a file
/// holding it (`<setting>_FILE`), never both: two sources could disagree, and silently
/// preferring one hides a stale secret. An empty value or path counts as not given, as
/// compose's `${VAR:-}` leaves it. `None` when neither is given.
pub fn value_or_file(
    setting: &str,
    value: Option<&str>,
    file: Option<&Path>,
) -> anyhow::Result<Option<String>> {
    let value = value.filter(|v| !v.is_empty());
    let file = file.filter(|f| !f.as_os_str().is_empty());
    match (value, file) {
        (Some(_), Some(_)) => {
            anyhow::bail!("{setting} and {setting}_FILE are both set: give one of them")
        }
        (Some(v), None) => Ok(Some(v.to_string())),
        (None, Some(f)) => read_secret_file(f).map(Some),
        (None, None) => Ok(None),
    }
}

/// [`value_or_file`] for a setting read only from the environment (`var` or `var_FILE`),
/// such as the `XK_TOKEN_<PRINCIPAL>` variables.
pub fn env_or_file(var: &str) -> anyhow::Result<Option<String>> {
    let value = std::env::var(var).ok();
    let file = std::env::var_os(format!("{var}_FILE")).map(PathBuf::from);
    value_or_file(var, value.as_deref(), file.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeSettings,
    }

    #[test]
    fn flag_defaults_match_the_default_impl() {
        // Tests and `xiaokang up` use `Default`; `serve` uses the flags: one set of numbers.
        let parsed = Cli::try_parse_from(["xk"]).unwrap().serve;
        let default = ServeSettings::default();
        assert_eq!(format!("{parsed:?}"), format!("{default:?}"));
    }

    #[test]
    fn a_suite_keeps_the_limits_and_drops_what_names_one_service() {
        let parsed = Cli::try_parse_from([
            "xk",
            "--write-queue-depth",
            "7",
            "--group-commit",
            "false",
            "--database-url",
            "sqlite://one.db",
            "--policy-file",
            "registry.toml",
            "--listen",
            "127.0.0.1:1",
            "--admin-listen",
            "127.0.0.1:2",
        ])
        .unwrap()
        .serve
        .for_suite();
        assert_eq!(parsed.write_queue_depth, 7);
        assert!(!parsed.group_commit);
        assert_eq!(parsed.database_url, None);
        assert_eq!(parsed.policy_file, None);
        assert_eq!(parsed.listen, None);
        assert_eq!(parsed.admin_listen, None);
    }
}

#[cfg(test)]
mod secret_file_tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeSettings,
    }

    fn secret(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_database_url_is_read_from_its_file_without_the_line_break() {
        let dir = tempfile::tempdir().unwrap();
        let unix = secret(&dir, "unix", "postgres://registry:pw@db:5432/registry\n");
        let windows = secret(
            &dir,
            "windows",
            "postgres://registry:pw@db:5432/registry\r\n",
        );
        for file in [unix, windows] {
            let settings = Cli::try_parse_from([
                "xk".as_ref(),
                "--database-url-file".as_ref(),
                file.as_os_str(),
            ])
            .unwrap()
            .serve;
            assert_eq!(
                settings.resolved_database_url().unwrap().as_deref(),
                Some("postgres://registry:pw@db:5432/registry")
            );
        }
    }

    #[test]
    fn a_value_and_a_file_for_the_same_setting_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = secret(&dir, "url", "sqlite://a.db");
        let settings = ServeSettings {
            database_url: Some("sqlite://b.db".into()),
            database_url_file: Some(file),
            ..ServeSettings::default()
        };
        let err = settings.resolved_database_url().unwrap_err().to_string();
        assert!(
            err.contains("XK_DATABASE_URL and XK_DATABASE_URL_FILE are both set"),
            "{err}"
        );
    }

    #[test]
    fn neither_value_nor_file_is_none_and_empty_counts_as_unset() {
        assert_eq!(value_or_file("XK_X", None, None).unwrap(), None);
        assert_eq!(
            value_or_file("XK_X", Some(""), Some(Path::new(""))).unwrap(),
            None
        );
        assert_eq!(
            value_or_file("XK_X", Some("direct"), Some(Path::new(""))).unwrap(),
            Some("direct".to_string())
        );
    }

    #[test]
    fn a_missing_or_empty_secret_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent");
        let err = value_or_file("XK_X", None, Some(&missing)).unwrap_err();
        assert!(err.to_string().contains("absent"), "{err}");
        let empty = secret(&dir, "empty", "\n");
        let err = read_secret_file(&empty).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
    }

    #[test]
    fn only_trailing_line_breaks_are_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let file = secret(&dir, "token", " token with spaces \n\n");
        assert_eq!(read_secret_file(&file).unwrap(), " token with spaces ");
    }
}

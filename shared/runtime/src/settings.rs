//! Typed settings for serving one service, from flags and `XK_*` environment variables.

use std::path::PathBuf;
use std::time::Duration;

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
    /// The file of bearer tokens (TOML: principal = "token"); see `auth`.
    #[arg(long, env = "XK_TOKENS_FILE")]
    pub tokens_file: Option<PathBuf>,
    /// A policy file (TOML) replacing the service's built-in policy defaults.
    #[arg(long, env = "XK_POLICY_FILE")]
    pub policy_file: Option<PathBuf>,
    /// Longest a call may run on the server, whatever deadline the client sends.
    #[arg(long, env = "XK_MAX_CALL_MS", default_value_t = 30_000)]
    pub max_call_ms: u64,
    /// Calls served at once by this service; more are shed with RESOURCE_EXHAUSTED instead
    /// of queueing, so latency cannot grow without bound under overload.
    #[arg(long, env = "XK_CONCURRENCY_LIMIT", default_value_t = 256)]
    pub concurrency_limit: usize,
    /// Largest message accepted or sent, in bytes; larger ones get OUT_OF_RANGE /
    /// RESOURCE_EXHAUSTED from tonic.
    #[arg(long, env = "XK_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_message_bytes: usize,
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
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            listen: None,
            database_url: None,
            tokens_file: None,
            policy_file: None,
            max_call_ms: 30_000,
            concurrency_limit: 256,
            max_message_bytes: 16 * 1024 * 1024,
            db_pool: 8,
            shutdown_grace_ms: 10_000,
            migrate: true,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            health_interval_ms: 2_000,
            conflict_retries: 3,
        }
    }
}

impl ServeSettings {
    /// The server-side cap on a call's duration.
    pub fn max_call(&self) -> Duration {
        Duration::from_millis(self.max_call_ms)
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

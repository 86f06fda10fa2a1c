//! The admin listener: probes and metrics on their own plain-HTTP port.
//!
//! It is a separate listener with its own accept loop, so it answers while the gRPC port
//! sheds load, holds its whole byte budget, or refuses connections: a kubelet or
//! Prometheus must see a busy service as alive and ready, never as dead. It serves:
//!
//! - `GET /livez`: 200 `ok` while the process and its event loop answer.
//! - `GET /readyz`: 200 `ready` only while the database answers, the service's
//!   migrations are all applied and the service is not shutting down; else 503 with a
//!   one-line reason. It reads state the database watcher keeps ([`Readiness`]), so a
//!   probe costs no query and cannot queue behind a busy pool.
//! - `GET /metrics`: the Prometheus text exposition of this service's series.
//!
//! HTTP/1.1 with one request per connection (`Connection: close`): probes and scrapes
//! come every few seconds, and a hand-written reader of one request head keeps the
//! server small and free of the gRPC port's HTTP stack and limits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::ServiceSpec;
use crate::db::Db;

/// Largest request head read; probes and scrapes send a few hundred bytes.
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Admin connections served at once; more wait in the accept queue.
const MAX_ADMIN_CONNECTIONS: usize = 64;
/// Longest a readiness check of the database may take before it counts as down.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Migrations state as last checked.
const MIGRATIONS_UNKNOWN: u8 = 0;
const MIGRATIONS_CURRENT: u8 = 1;
const MIGRATIONS_PENDING: u8 = 2;

/// What `/readyz` answers from, kept up to date by the database watcher and by
/// shutdown.
#[derive(Debug)]
pub struct Readiness {
    database_ok: AtomicBool,
    migrations: AtomicU8,
    shutting_down: AtomicBool,
}

impl Default for Readiness {
    fn default() -> Self {
        Self {
            // The service starts after connecting and migrating: both held a moment ago.
            database_ok: AtomicBool::new(true),
            migrations: AtomicU8::new(MIGRATIONS_UNKNOWN),
            shutting_down: AtomicBool::new(false),
        }
    }
}

impl Readiness {
    /// Marks the service as shutting down: `/readyz` answers 503 from now on.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// `Ok` when ready, else the reason.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Err("shutting down");
        }
        if !self.database_ok.load(Ordering::SeqCst) {
            return Err("database not answering");
        }
        if self.migrations.load(Ordering::SeqCst) == MIGRATIONS_PENDING {
            return Err("database migrations pending");
        }
        Ok(())
    }
}

/// Checks the database every `interval` until `stop`: gRPC health follows whether it
/// answers (NOT_SERVING while it does not), and [`Readiness`] also follows whether the
/// service's migrations are all applied.
pub fn watch_database(
    spec: ServiceSpec,
    db: Db,
    health: HealthReporter,
    readiness: Arc<Readiness>,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        let mut serving = true;
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = tokio::time::sleep(interval) => {}
            }
            let ok = tokio::time::timeout(DB_CHECK_TIMEOUT, db.ping())
                .await
                .unwrap_or(false);
            readiness.database_ok.store(ok, Ordering::SeqCst);
            if ok {
                let migrations =
                    match tokio::time::timeout(DB_CHECK_TIMEOUT, db.pending_migrations()).await {
                        Ok(Some(Ok(0))) => MIGRATIONS_CURRENT,
                        Ok(Some(Ok(_))) => MIGRATIONS_PENDING,
                        // Unknown: not migrated through `Db::migrate`, or the check failed
                        // (the ping just answered, so the next round decides).
                        _ => MIGRATIONS_UNKNOWN,
                    };
                readiness.migrations.store(migrations, Ordering::SeqCst);
            }
            if ok != serving {
                serving = ok;
                let status = if ok {
                    ServingStatus::Serving
                } else {
                    ServingStatus::NotServing
                };
                tracing::warn!(service = spec.name, database_ok = ok, "health changed");
                crate::server::set_all(&health, spec, status).await;
            }
        }
    });
}

/// What the admin handlers read.
struct AdminState {
    service: &'static str,
    db: Db,
    readiness: Arc<Readiness>,
}

/// Serves the admin paths on `listener` until the returned task is aborted.
pub fn serve(
    listener: TcpListener,
    service: &'static str,
    db: Db,
    readiness: Arc<Readiness>,
) -> JoinHandle<()> {
    crate::metrics::install();
    let state = Arc::new(AdminState {
        service,
        db,
        readiness,
    });
    let slots = Arc::new(Semaphore::new(MAX_ADMIN_CONNECTIONS));
    tokio::spawn(async move {
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            match listener.accept().await {
                Ok((stream, _)) => {
                    let state = state.clone();
                    tokio::spawn(async move {
                        serve_connection(stream, &state).await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    // EMFILE and the like: back off instead of spinning.
                    tracing::warn!(service, error = %e, "admin accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

/// Binds the admin listener of a service (`addr` from `XK_ADMIN_LISTEN`).
pub async fn bind(addr: SocketAddr, service: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("binding the admin listener of {service} on {addr}: {e}"))
}

async fn serve_connection(mut stream: TcpStream, state: &AdminState) {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => head,
        _ => return,
    };
    let (method, path) = match parse_request_line(&head) {
        Some(parts) => parts,
        None => {
            let _ = write_response(&mut stream, 400, "text/plain", b"bad request\n", true).await;
            return;
        }
    };
    let send_body = method != "HEAD";
    let (status, content_type, body) = if method != "GET" && method != "HEAD" {
        (405, "text/plain", "only GET\n".to_string())
    } else {
        respond(path, state)
    };
    let _ = write_response(
        &mut stream,
        status,
        content_type,
        body.as_bytes(),
        send_body,
    )
    .await;
}

/// The status, content type and body for `path`.
fn respond(path: &str, state: &AdminState) -> (u16, &'static str, String) {
    match path {
        "/livez" => (200, "text/plain", "ok\n".into()),
        "/readyz" => match state.readiness.check() {
            Ok(()) => (200, "text/plain", "ready\n".into()),
            Err(reason) => (503, "text/plain", format!("not ready: {reason}\n")),
        },
        "/metrics" => {
            if let Some(stats) = state.db.pool_stats() {
                crate::metrics::record_pool(state.service, stats.size, stats.idle, stats.max);
            }
            let text = only_service(&crate::metrics::render(), state.service);
            (200, "text/plain; version=0.0.4; charset=utf-8", text)
        }
        _ => (
            404,
            "text/plain",
            "not found: /livez, /readyz, /metrics\n".into(),
        ),
    }
}

/// Keeps the series of `service` (and the HELP/TYPE lines): services hosted in one
/// process (`xiaokang up`) share one recorder, and each admin port must expose only its
/// own service, or a scrape of every port would count each series once per service.
fn only_service(exposition: &str, service: &str) -> String {
    let label = format!("service=\"{service}\"");
    let mut out = String::with_capacity(exposition.len());
    for line in exposition.lines() {
        if line.starts_with('#') || line.contains(&label) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Reads up to the end of the request head (`\r\n\r\n`); `None` if the client closed
/// first or sent more than [`MAX_REQUEST_HEAD`].
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&chunk[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return String::from_utf8(head).ok();
        }
        if head.len() > MAX_REQUEST_HEAD {
            return None;
        }
    }
}

/// The method and the path (query string dropped) of a request head.
fn parse_request_line(head: &str) -> Option<(&str, &str)> {
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    parts.next().filter(|v| v.starts_with("HTTP/1."))?;
    let path = target.split('?').next().unwrap_or(target);
    Some((method, path))
}

async fn write_response(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    send_body: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    if send_body {
        stream.write_all(body).await?;
    }
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_parse_method_and_path() {
        assert_eq!(
            parse_request_line("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"),
            Some(("GET", "/metrics"))
        );
        assert_eq!(parse_request_line("GET /readyz\r\n\r\n"), None);
        assert_eq!(parse_request_line("garbage"), None);
    }

    #[test]
    fn exposition_is_narrowed_to_one_service() {
        let text = "# TYPE xk_rpc_requests_total counter\n\
                    xk_rpc_requests_total{service=\"registry\",method=\"A\",code=\"Ok\"} 2\n\
                    xk_rpc_requests_total{service=\"water\",method=\"A\",code=\"Ok\"} 5\n";
        let kept = only_service(text, "water");
        assert!(kept.contains("service=\"water\""));
        assert!(!kept.contains("service=\"registry\""));
        assert!(kept.starts_with("# TYPE"));
    }

    #[test]
    fn readiness_reasons_in_order() {
        let r = Readiness::default();
        assert_eq!(r.check(), Ok(()));
        r.migrations.store(MIGRATIONS_PENDING, Ordering::SeqCst);
        assert_eq!(r.check(), Err("database migrations pending"));
        r.database_ok.store(false, Ordering::SeqCst);
        assert_eq!(r.check(), Err("database not answering"));
        r.begin_shutdown();
        assert_eq!(r.check(), Err("shutting down"));
    }
}

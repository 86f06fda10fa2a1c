//! The accept loop every service is served from, in place of tonic's `TcpIncoming`:
//!
//! - at most `max_connections` open at once; past it a new connection is accepted and
//!   closed at once, so a client fails fast instead of hanging in the listen backlog;
//! - a connection that starts no call within the handshake timeout (TLS and HTTP/2
//!   handshakes included), or has had no call in flight for the idle timeout, is closed;
//! - accept errors (EMFILE/ENFILE: out of file descriptors) back off from 10 ms doubling
//!   to 1 s instead of retrying in a busy loop, and are logged at most every 5 s;
//! - TCP_NODELAY and TCP keepalive on every accepted socket.
//!
//! Each open connection has a [`ConnectionState`] in the service's
//! [`ConnectionRegistry`], keyed by the peer address (unique among open TCP connections
//! to one listener): the call layer ([`crate::budget`]) finds it from the request's
//! `TcpConnectInfo`, counts the calls in flight on it (which the idle timer reads) and
//! charges its byte budget.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Sleep;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// Connection limits of one service (from [`crate::ServeSettings::connection_limits`]).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Accept to the first call's headers.
    pub handshake_timeout: Duration,
    /// No call in flight for this long closes the connection.
    pub idle_timeout: Duration,
    /// TCP keepalive idle time, `None` for off.
    pub tcp_keepalive: Option<Duration>,
}

/// First wait after an accept error; doubled per further error up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
/// Longest wait between accept attempts while accepting fails.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// A repeated warning (refused connection, accept error) is logged at most this often.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// What one open connection shares with the calls on it.
#[derive(Debug)]
pub struct ConnectionState {
    /// Request bytes the calls on this connection may still reserve.
    pub(crate) budget: Semaphore,
    /// Calls in flight (from request headers until the response body is done).
    active_calls: AtomicUsize,
    /// When the last call started or ended (the accept, before any), and whether any call
    /// has started: before the first, the handshake timeout applies, after it the idle one.
    last_activity: Mutex<(Instant, bool)>,
}

impl ConnectionState {
    pub(crate) fn new(budget_bytes: usize) -> Self {
        Self {
            budget: Semaphore::new(budget_bytes.min(Semaphore::MAX_PERMITS)),
            active_calls: AtomicUsize::new(0),
            last_activity: Mutex::new((Instant::now(), false)),
        }
    }

    /// A call started on this connection.
    pub(crate) fn call_started(&self) {
        self.active_calls.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut last) = self.last_activity.lock() {
            *last = (Instant::now(), true);
        }
    }

    /// A call on this connection ended (its response body is done or dropped).
    pub(crate) fn call_ended(&self) {
        if let Ok(mut last) = self.last_activity.lock() {
            last.0 = Instant::now();
        }
        self.active_calls.fetch_sub(1, Ordering::SeqCst);
    }

    /// When the connection is to be closed if nothing happens before; `None` while a
    /// call is in flight.
    fn close_at(&self, limits: &ConnectionLimits) -> Option<Instant> {
        if self.active_calls.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let (since, had_call) = *self.last_activity.lock().ok()?;
        Some(
            since
                + if had_call {
                    limits.idle_timeout
                } else {
                    limits.handshake_timeout
                },
        )
    }
}

/// The open connections of one service, by peer address.
#[derive(Debug)]
pub struct ConnectionRegistry {
    open: Mutex<HashMap<SocketAddr, Arc<ConnectionState>>>,
    /// Byte budget each new connection starts with.
    budget_bytes: usize,
}

impl ConnectionRegistry {
    /// An empty registry whose connections each get `budget_bytes` of request budget.
    pub fn new(budget_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            open: Mutex::new(HashMap::new()),
            budget_bytes,
        })
    }

    /// The state of the open connection from `peer`.
    pub fn get(&self, peer: SocketAddr) -> Option<Arc<ConnectionState>> {
        self.open.lock().ok()?.get(&peer).cloned()
    }

    /// Connections open now.
    pub fn len(&self) -> usize {
        self.open.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert(&self, peer: SocketAddr) -> Arc<ConnectionState> {
        let state = Arc::new(ConnectionState::new(self.budget_bytes));
        if let Ok(mut open) = self.open.lock() {
            open.insert(peer, state.clone());
        }
        state
    }

    fn remove(&self, peer: SocketAddr) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(&peer);
        }
    }
}

/// An accepted connection: the socket, plus the timer that closes it when it has no call
/// for too long, and its entry in the registry (removed on drop).
pub struct GuardedConnection {
    stream: TcpStream,
    info: TcpConnectInfo,
    peer: SocketAddr,
    state: Arc<ConnectionState>,
    registry: Arc<ConnectionRegistry>,
    limits: ConnectionLimits,
    timer: Pin<Box<Sleep>>,
}

impl GuardedConnection {
    /// Whether the connection has been without a call for too long; re-arms the timer
    /// (registering the waker) when not.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            let now = Instant::now();
            // A call in flight keeps the connection; look again one idle period later.
            let close_at = self
                .state
                .close_at(&self.limits)
                .unwrap_or(now + self.limits.idle_timeout);
            if close_at <= now {
                return true;
            }
            self.timer
                .as_mut()
                .reset(tokio::time::Instant::from_std(close_at));
        }
    }
}

impl Drop for GuardedConnection {
    fn drop(&mut self) {
        self.registry.remove(self.peer);
    }
}

impl Connected for GuardedConnection {
    type ConnectInfo = TcpConnectInfo;
    fn connect_info(&self) -> TcpConnectInfo {
        self.info.clone()
    }
}

impl AsyncRead for GuardedConnection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Pending if this.expired(cx) => {
                tracing::debug!(peer = %this.peer, "closing a connection without calls");
                // End of stream: hyper closes the connection and drops the socket.
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for GuardedConnection {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, b)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Logs a repeated warning at most every [`LOG_EVERY`], with the count it held back.
#[derive(Debug, Default)]
struct RateLimitedLog {
    last: Option<Instant>,
    held_back: u64,
}

impl RateLimitedLog {
    /// `Some(held back since the last line)` when a line may be written now.
    fn admit(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(last) if now.duration_since(last) < LOG_EVERY => {
                self.held_back += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.held_back))
            }
        }
    }
}

/// The next wait after an accept error, given the previous one.
fn next_backoff(previous: Option<Duration>) -> Duration {
    previous.map_or(FIRST_BACKOFF, |d| (d * 2).min(MAX_BACKOFF))
}

/// Errors about one connection that vanished before it was accepted: accept the next.
fn is_per_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// The process's soft limit on open files, from /proc (Linux); for log lines.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The accept loop's state.
struct Acceptor {
    listener: TcpListener,
    limits: ConnectionLimits,
    registry: Arc<ConnectionRegistry>,
    service: &'static str,
    backoff: Option<Duration>,
    refused_log: RateLimitedLog,
    error_log: RateLimitedLog,
}

impl Acceptor {
    async fn next(&mut self) -> GuardedConnection {
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) if is_per_connection_error(&e) => continue,
                Err(e) => {
                    self.accept_failed(&e).await;
                    continue;
                }
            };
            self.backoff = None;
            if self.registry.len() >= self.limits.max_connections {
                if let Some(held_back) = self.refused_log.admit(Instant::now()) {
                    tracing::warn!(
                        service = self.service,
                        max_connections = self.limits.max_connections,
                        refused_since_last_line = held_back,
                        "connection refused: max connections (XK_MAX_CONNECTIONS) reached"
                    );
                }
                drop(stream);
                continue;
            }
            return self.guard(stream, peer);
        }
    }

    /// Waits out an accept error, logging it (rate-limited) with the limit it hit.
    async fn accept_failed(&mut self, e: &io::Error) {
        let backoff = next_backoff(self.backoff);
        self.backoff = Some(backoff);
        if let Some(held_back) = self.error_log.admit(Instant::now()) {
            // EMFILE (24) / ENFILE (23): the connections waiting in the backlog are taken
            // once descriptors free up (idle connections closing, calls ending).
            let out_of_fds = matches!(e.raw_os_error(), Some(23 | 24));
            tracing::warn!(
                service = self.service,
                error = %e,
                out_of_file_descriptors = out_of_fds,
                open_files_limit = open_files_limit(),
                open_connections = self.registry.len(),
                retry_in_ms = backoff.as_millis() as u64,
                errors_since_last_line = held_back,
                "accept failed; backing off (file-descriptor limit: raise `ulimit -n` \
                 or lower XK_MAX_CONNECTIONS)"
            );
        }
        tokio::time::sleep(backoff).await;
    }

    fn guard(&self, stream: TcpStream, peer: SocketAddr) -> GuardedConnection {
        // Small request/response frames must not wait for Nagle.
        let _ = stream.set_nodelay(true);
        if let Some(idle) = self.limits.tcp_keepalive {
            let keepalive = socket2::TcpKeepalive::new().with_time(idle);
            let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive);
        }
        let info = TcpConnectInfo {
            local_addr: stream.local_addr().ok(),
            remote_addr: Some(peer),
        };
        let state = self.registry.insert(peer);
        let first_deadline = Instant::now() + self.limits.handshake_timeout;
        GuardedConnection {
            stream,
            info,
            peer,
            state,
            registry: self.registry.clone(),
            limits: self.limits,
            timer: Box::pin(tokio::time::sleep_until(first_deadline.into())),
        }
    }
}

/// The connections accepted on `listener` under `limits`, for
/// `Server::serve_with_incoming_shutdown`. The stream never yields an error (tonic would
/// retry at once, spinning on EMFILE) and ends only when dropped, which closes the
/// listener.
pub fn incoming(
    listener: TcpListener,
    limits: ConnectionLimits,
    registry: Arc<ConnectionRegistry>,
    service: &'static str,
) -> impl Stream<Item = Result<GuardedConnection, io::Error>> + Send + 'static {
    if let Some(fds) = open_files_limit()
        && limits.max_connections as u64 >= fds
    {
        tracing::warn!(
            service,
            max_connections = limits.max_connections,
            open_files_limit = fds,
            "max connections is not below the open-files limit: accepting will hit EMFILE \
             (and back off) before the connection limit"
        );
    }
    let acceptor = Acceptor {
        listener,
        limits,
        registry,
        service,
        backoff: None,
        refused_log: RateLimitedLog::default(),
        error_log: RateLimitedLog::default(),
    };
    futures::stream::unfold(acceptor, |mut acceptor| async move {
        let conn = acceptor.next().await;
        Some((Ok(conn), acceptor))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_10ms_to_1s() {
        let mut waits = Vec::new();
        let mut wait = None;
        for _ in 0..9 {
            wait = Some(next_backoff(wait));
            waits.push(wait.unwrap().as_millis());
        }
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    }

    #[test]
    fn repeated_warnings_are_held_back_and_counted() {
        let mut log = RateLimitedLog::default();
        let start = Instant::now();
        assert_eq!(log.admit(start), Some(0));
        assert_eq!(log.admit(start + Duration::from_millis(10)), None);
        assert_eq!(log.admit(start + Duration::from_secs(1)), None);
        assert_eq!(log.admit(start + LOG_EVERY), Some(2));
    }

    #[test]
    fn the_handshake_timeout_applies_until_the_first_call_then_the_idle_timeout() {
        let limits = ConnectionLimits {
            max_connections: 1,
            handshake_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(60),
            tcp_keepalive: None,
        };
        let state = ConnectionState::new(10);
        let accepted = state.last_activity.lock().unwrap().0;
        assert_eq!(
            state.close_at(&limits),
            Some(accepted + limits.handshake_timeout)
        );
        state.call_started();
        assert_eq!(
            state.close_at(&limits),
            None,
            "a call in flight keeps it open"
        );
        state.call_ended();
        let ended = state.last_activity.lock().unwrap().0;
        assert_eq!(state.close_at(&limits), Some(ended + limits.idle_timeout));
    }

    #[test]
    fn reads_the_open_files_limit() {
        // Linux only, where the suite runs.
        assert!(open_files_limit().is_some_and(|n| n > 0));
    }
}

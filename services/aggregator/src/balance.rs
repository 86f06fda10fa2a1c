//! A channel balanced per call across every address its URLs' host names resolve to,
//! kept current by a refresh task (see [`crate::resolve`]).
//!
//! Why not tonic's `Channel::balance_channel`: its lazy connections report ready while
//! their address refuses connections (the error surfaces on the call) and all report the
//! same load, so its power-of-two-choices keeps sending about half the calls to a dead
//! replica until the name stops resolving to it; with the aggregator's two retries about
//! one call in eight to a dead replica would still fail. Here an address whose call
//! fails below gRPC (refused, reset, connect timeout) rests until a TCP probe at a
//! refresh reaches it again, so a dead replica costs the calls in flight on it (retried
//! once on a live one) and nothing after. When every address rests, calls go to them
//! anyway, so an unreachable service still answers UNAVAILABLE at once.

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use tonic::body::Body;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use tower::ServiceExt;

use crate::resolve::{self, ResolveSettings};

/// Error type of the balanced channel's calls (what tonic clients accept).
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One upstream URL: what to resolve and how to reach each of its addresses.
#[derive(Debug)]
struct Target {
    /// The URL as given (`http://water:50055`): the origin every call carries.
    origin: http::Uri,
    /// `http` or `https`.
    scheme: String,
    /// The host name (or IP literal) to resolve; also the TLS server name.
    host: String,
    /// The port every address of the host is called on.
    port: u16,
}

/// One address of one target.
struct Member {
    /// Index of its target in [`Pool::targets`].
    target: usize,
    /// Where it is.
    addr: SocketAddr,
    /// A lazily connecting channel to exactly this address.
    channel: Channel,
    /// A call failed below gRPC and no probe has reached it since: skipped while any
    /// other member is not resting.
    resting: AtomicBool,
}

/// What every clone of a [`BalancedChannel`] shares.
struct Pool {
    /// The service's name, for logs (`water`).
    name: String,
    /// The URLs.
    targets: Vec<Target>,
    /// The current members; replaced whole at a refresh that changes them.
    members: RwLock<Arc<Vec<Arc<Member>>>>,
    /// Round-robin position.
    cursor: AtomicUsize,
    /// Connect timeout of every member (and bound of its probes).
    connect_timeout: Duration,
    /// TLS towards the members, if any.
    tls: Option<ClientTlsConfig>,
    /// Refreshes done so far (IP literals only: 1 from the start). A call made before
    /// the first waits for it rather than failing for want of an address.
    refreshes: tokio::sync::watch::Sender<u64>,
}

/// A gRPC channel spread per call across the current addresses of one service.
#[derive(Clone)]
pub struct BalancedChannel {
    pool: Arc<Pool>,
}

/// Splits a URL into a [`Target`].
fn target(name: &str, url: &str) -> anyhow::Result<Target> {
    let origin: http::Uri = url
        .parse()
        .map_err(|e| anyhow::anyhow!("{name} endpoint {url:?}: {e}"))?;
    let scheme = origin.scheme_str().unwrap_or_default().to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => anyhow::bail!("{name} endpoint {url:?}: the scheme must be http or https"),
    };
    let host = origin
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| anyhow::anyhow!("{name} endpoint {url:?}: no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = origin.port_u16().unwrap_or(default_port);
    Ok(Target {
        origin,
        scheme,
        host,
        port,
    })
}

impl BalancedChannel {
    /// A channel to the service `name` at `urls`, resolved now and then every
    /// `resolve.interval` by a background task that ends when the last clone is dropped.
    /// Needs a Tokio runtime. Nothing is dialled until the first call.
    pub fn new(
        name: &str,
        urls: &[String],
        connect_timeout: Duration,
        tls: Option<&ClientTlsConfig>,
        resolve: &ResolveSettings,
    ) -> anyhow::Result<BalancedChannel> {
        anyhow::ensure!(!urls.is_empty(), "no endpoint for {name}");
        let targets = urls
            .iter()
            .map(|u| target(name, u))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let pool = Arc::new(Pool {
            name: name.to_string(),
            targets,
            members: RwLock::new(Arc::new(Vec::new())),
            cursor: AtomicUsize::new(0),
            connect_timeout,
            tls: tls.cloned(),
            refreshes: tokio::sync::watch::Sender::new(0),
        });
        // IP literals need no lookup: their members exist before the first call.
        let mut literal = Vec::new();
        for (i, t) in pool.targets.iter().enumerate() {
            if let Ok(ip) = t.host.parse::<std::net::IpAddr>() {
                literal.push(Arc::new(pool.member(i, SocketAddr::new(ip, t.port))?));
            }
        }
        pool.publish(literal);
        if pool
            .targets
            .iter()
            .any(|t| t.host.parse::<std::net::IpAddr>().is_err())
        {
            tokio::spawn(refresh_loop(Arc::downgrade(&pool), resolve.clone()));
        } else {
            pool.refreshes.send_replace(1);
        }
        Ok(BalancedChannel { pool })
    }

    /// The addresses calls go to now, in order (logs and tests).
    pub fn addresses(&self) -> Vec<SocketAddr> {
        self.pool.current().iter().map(|m| m.addr).collect()
    }

    /// The next member round robin, skipping resting ones unless all rest.
    fn pick(&self) -> Option<Arc<Member>> {
        let members = self.pool.current();
        let count = members.len();
        if count == 0 {
            return None;
        }
        let start = self.pool.cursor.fetch_add(1, Ordering::Relaxed);
        (0..count)
            .map(|i| &members[(start + i) % count])
            .find(|m| !m.resting.load(Ordering::Relaxed))
            .or_else(|| members.get(start % count))
            .cloned()
    }
}

impl Pool {
    fn current(&self) -> Arc<Vec<Arc<Member>>> {
        match self.members.read() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn publish(&self, members: Vec<Arc<Member>>) {
        let members = Arc::new(members);
        match self.members.write() {
            Ok(mut m) => *m = members,
            Err(poisoned) => *poisoned.into_inner() = members,
        }
    }

    /// A member for `addr` of target `index`: the address is dialled, the URL's host
    /// name stays the TLS server name and the `:authority` of every call.
    fn member(&self, index: usize, addr: SocketAddr) -> anyhow::Result<Member> {
        let t = &self.targets[index];
        let url = format!("{}://{addr}", t.scheme);
        let mut endpoint = Endpoint::from_shared(url.clone())
            .map_err(|e| anyhow::anyhow!("{} address {url}: {e}", self.name))?
            .origin(t.origin.clone())
            .connect_timeout(self.connect_timeout)
            .tcp_nodelay(true);
        if let Some(tls) = &self.tls {
            endpoint = endpoint
                .tls_config(tls.clone().domain_name(t.host.clone()))
                .map_err(|e| anyhow::anyhow!("{} address {url}: TLS: {e}", self.name))?;
        }
        Ok(Member {
            target: index,
            addr,
            channel: endpoint.connect_lazy(),
            resting: AtomicBool::new(false),
        })
    }

    /// One refresh: resolve every target, add new addresses (probed first, so one that
    /// refuses starts resting), drop vanished ones, and probe the resting ones again.
    async fn refresh(&self, settings: &ResolveSettings) {
        let old = self.current();
        let lookup_bound = settings.interval.max(Duration::from_secs(1));
        let mut next: Vec<Arc<Member>> = Vec::new();
        let mut changes = Vec::new();
        for (index, t) in self.targets.iter().enumerate() {
            let had: Vec<&Arc<Member>> = old.iter().filter(|m| m.target == index).collect();
            let had_addrs: BTreeSet<SocketAddr> = had.iter().map(|m| m.addr).collect();
            let now =
                match resolve::resolve(&t.host, t.port, settings.file.as_deref(), lookup_bound)
                    .await
                {
                    Ok(now) => now,
                    Err(e) => {
                        tracing::warn!(service = %self.name, host = %t.host, error = %e,
                            "resolving an upstream failed; keeping its known addresses");
                        had_addrs.clone()
                    }
                };
            let diff = resolve::diff(&had_addrs, &now);
            next.extend(
                had.into_iter()
                    .filter(|m| !diff.removed.contains(&m.addr))
                    .cloned(),
            );
            for addr in &diff.added {
                match self.member(index, *addr) {
                    Ok(m) => {
                        m.resting.store(true, Ordering::Relaxed);
                        next.push(Arc::new(m));
                    }
                    Err(e) => tracing::warn!(service = %self.name, error = %e,
                        "skipping an upstream address"),
                }
            }
            if !diff.is_empty() {
                changes.push(format!("{}: +{:?} -{:?}", t.host, diff.added, diff.removed));
            }
        }
        let resting: Vec<&Arc<Member>> = next
            .iter()
            .filter(|m| m.resting.load(Ordering::Relaxed))
            .collect();
        let reached =
            futures::future::join_all(resting.iter().map(|m| probe(m.addr, self.connect_timeout)))
                .await;
        for (m, ok) in resting.iter().zip(reached) {
            if ok {
                m.resting.store(false, Ordering::Relaxed);
            }
        }
        if !changes.is_empty() {
            tracing::info!(service = %self.name, addresses = next.len(),
                changes = %changes.join("; "), "upstream addresses changed");
            self.publish(next);
        }
    }
}

/// Whether a TCP connection to `addr` opens within `timeout`.
async fn probe(addr: SocketAddr, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// Refreshes `pool` at once and then every interval, until every channel is dropped.
async fn refresh_loop(pool: Weak<Pool>, settings: ResolveSettings) {
    loop {
        let Some(live) = pool.upgrade() else {
            return;
        };
        live.refresh(&settings).await;
        live.refreshes.send_modify(|done| *done += 1);
        drop(live);
        tokio::time::sleep(settings.interval).await;
    }
}

/// Whether a failed call says nothing about the address: its own deadline ran out.
fn is_deadline(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<tonic::TimeoutExpired>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// An error and its causes, one line (a transport error's own text is only
/// "transport error").
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl tower::Service<http::Request<Body>> for BalancedChannel {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is the chosen member's, awaited inside the call.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let name = &this.pool.name;
            // Bounded: a refresh's lookup and probes each have a timeout.
            let _ = this
                .pool
                .refreshes
                .subscribe()
                .wait_for(|done| *done > 0)
                .await;
            let Some(member) = this.pick() else {
                let status = tonic::Status::unavailable(format!(
                    "{name}: its host name resolved to no address yet"
                ));
                return Err(Box::new(status) as BoxError);
            };
            match member.channel.clone().oneshot(request).await {
                Ok(response) => {
                    member.resting.store(false, Ordering::Relaxed);
                    Ok(response)
                }
                Err(e) if is_deadline(&e) => Err(e.into()),
                Err(e) => {
                    let cause = causes(&e);
                    tracing::debug!(service = %name, addr = %member.addr, error = %cause,
                        "an upstream address failed; resting it until a probe reaches it");
                    member.resting.store(true, Ordering::Relaxed);
                    // The gRPC meaning of a broken or refused connection (tonic would
                    // say INTERNAL for some h2 errors, e.g. a stream cut by a replica
                    // that is stopping): callers retry UNAVAILABLE on another address.
                    let status =
                        tonic::Status::unavailable(format!("{name} at {}: {cause}", member.addr));
                    Err(Box::new(status) as BoxError)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_keep_the_host_name_and_default_ports() {
        let t = target("water", "https://water.test.invalid").unwrap();
        assert_eq!(
            (t.scheme.as_str(), t.host.as_str(), t.port),
            ("https", "water.test.invalid", 443)
        );
        let t = target("water", "http://[::1]:7000").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 7000));
        assert!(target("water", "ftp://water:21").is_err());
    }

    /// A channel over two IP-literal addresses (members without any resolving).
    fn two_literal_members() -> BalancedChannel {
        let urls = [
            "http://127.0.0.2:7000".to_string(),
            "http://127.0.0.3:7000".to_string(),
        ];
        BalancedChannel::new(
            "water",
            &urls,
            Duration::from_millis(100),
            None,
            &ResolveSettings::default(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn ip_literal_members_exist_before_any_refresh_and_rotate() {
        let ch = two_literal_members();
        assert_eq!(ch.addresses().len(), 2);
        let picked: Vec<SocketAddr> = (0..4).map(|_| ch.pick().unwrap().addr).collect();
        assert_eq!(picked[0], picked[2]);
        assert_ne!(picked[0], picked[1], "round robin: {picked:?}");
    }

    #[tokio::test]
    async fn resting_members_are_skipped_unless_all_rest() {
        let ch = two_literal_members();
        let members = ch.pool.current();
        members[0].resting.store(true, Ordering::Relaxed);
        for _ in 0..4 {
            assert_eq!(ch.pick().unwrap().addr, members[1].addr);
        }
        members[1].resting.store(true, Ordering::Relaxed);
        let picked: BTreeSet<SocketAddr> = (0..4).map(|_| ch.pick().unwrap().addr).collect();
        assert_eq!(picked.len(), 2, "all resting: calls still go out, to each");
    }

    #[tokio::test]
    async fn a_refresh_adds_new_addresses_and_drops_vanished_ones() {
        let path = crate::resolve::temp_hosts_path("balance");
        std::fs::write(
            &path,
            "127.0.0.2 svc.test.invalid\n127.0.0.3 svc.test.invalid\n",
        )
        .unwrap();
        let resolve = ResolveSettings {
            file: Some(path.clone()),
            interval: Duration::from_millis(20),
        };
        let ch = BalancedChannel::new(
            "svc",
            &["http://svc.test.invalid:7000".to_string()],
            Duration::from_millis(50),
            None,
            &resolve,
        )
        .unwrap();
        let wanted = |addrs: &[&str]| -> Vec<SocketAddr> {
            addrs.iter().map(|a| a.parse().unwrap()).collect()
        };
        let until = |want: Vec<SocketAddr>| {
            let ch = ch.clone();
            async move {
                let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
                while ch.addresses() != want {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "still {:?}, want {want:?}",
                        ch.addresses()
                    );
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        };
        until(wanted(&["127.0.0.2:7000", "127.0.0.3:7000"])).await;
        std::fs::write(
            &path,
            "127.0.0.3 svc.test.invalid\n127.0.0.4 svc.test.invalid\n",
        )
        .unwrap();
        until(wanted(&["127.0.0.3:7000", "127.0.0.4:7000"])).await;
        // An unreadable file keeps what is known rather than dropping every address.
        std::fs::remove_file(&path).unwrap();
        let mut refreshes = ch.pool.refreshes.subscribe();
        let now = *refreshes.borrow_and_update();
        tokio::time::timeout(
            Duration::from_secs(10),
            refreshes.wait_for(|done| *done >= now + 3),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            ch.addresses(),
            wanted(&["127.0.0.3:7000", "127.0.0.4:7000"])
        );
    }
}

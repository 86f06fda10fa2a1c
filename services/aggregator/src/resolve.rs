//! Name resolution for replicas: which socket addresses an upstream URL's host stands for
//! right now. An /etc/hosts-format file (`--resolve-file`) is consulted before DNS and
//! re-read at every refresh, so tests and process-level runs can map Service names to
//! loopback addresses and change the mapping while running.
//!
//! Pure parts ([`parse_hosts`], [`diff`]) are unit tested; [`resolve`] does the I/O.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default for [`ResolveSettings::interval`]: a replica that appears or vanishes is
/// noticed within 5 s, at five lookups per 5 s per aggregator.
pub const DEFAULT_RESOLVE_INTERVAL: Duration = Duration::from_secs(5);

/// How upstream host names are turned into addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveSettings {
    /// Hosts-format file consulted before DNS, re-read at every refresh.
    pub file: Option<PathBuf>,
    /// How often each name is resolved again.
    pub interval: Duration,
}

impl Default for ResolveSettings {
    fn default() -> Self {
        ResolveSettings {
            file: None,
            interval: DEFAULT_RESOLVE_INTERVAL,
        }
    }
}

/// The command-line side of [`ResolveSettings`] (flattened into `serve aggregator` and
/// `loadtest`).
#[derive(Debug, Clone, clap::Args)]
pub struct ResolveArgs {
    /// Re-resolve every upstream host name this often (ms) and balance calls across all
    /// its addresses: new addresses are added, vanished ones dropped, without a restart.
    #[arg(long, env = "XK_RESOLVE_INTERVAL_MS", default_value_t = 5_000)]
    pub resolve_interval_ms: u64,
    /// An /etc/hosts-format file (`ADDRESS NAME [NAME…]` per line, `#` comments; several
    /// lines may name one host) consulted before DNS and re-read at every refresh.
    #[arg(long, env = "XK_RESOLVE_FILE")]
    pub resolve_file: Option<PathBuf>,
}

impl Default for ResolveArgs {
    fn default() -> Self {
        ResolveArgs {
            resolve_interval_ms: DEFAULT_RESOLVE_INTERVAL.as_millis() as u64,
            resolve_file: None,
        }
    }
}

impl ResolveArgs {
    /// The settings; an interval of 0 is refused (it would spin).
    pub fn settings(&self) -> anyhow::Result<ResolveSettings> {
        anyhow::ensure!(
            self.resolve_interval_ms > 0,
            "--resolve-interval-ms (XK_RESOLVE_INTERVAL_MS) must be above 0"
        );
        Ok(ResolveSettings {
            file: self.resolve_file.clone(),
            interval: Duration::from_millis(self.resolve_interval_ms),
        })
    }
}

/// Host name (lower case) to its addresses, in file order, from hosts-format text.
/// Lines whose first field is not an IP address are skipped, as the C library does.
pub fn parse_hosts(text: &str) -> HashMap<String, Vec<IpAddr>> {
    let mut hosts: HashMap<String, Vec<IpAddr>> = HashMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        let Some(Ok(ip)) = fields.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        for name in fields {
            let addrs = hosts.entry(name.to_ascii_lowercase()).or_default();
            if !addrs.contains(&ip) {
                addrs.push(ip);
            }
        }
    }
    hosts
}

/// What changed between two resolutions of one name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Addresses to start calling.
    pub added: Vec<SocketAddr>,
    /// Addresses to stop calling.
    pub removed: Vec<SocketAddr>,
}

impl Diff {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// The addresses to add and to drop to go from `old` to `new`.
pub fn diff(old: &BTreeSet<SocketAddr>, new: &BTreeSet<SocketAddr>) -> Diff {
    Diff {
        added: new.difference(old).copied().collect(),
        removed: old.difference(new).copied().collect(),
    }
}

/// The addresses `host:port` stands for now: an IP literal is itself; a name the hosts
/// `file` lists gets the file's addresses (DNS is not asked); any other name is looked up
/// in DNS, bounded by `timeout`. An error (unreadable file, failed or empty lookup) is
/// reported, never turned into an empty set: the caller keeps what it had.
pub async fn resolve(
    host: &str,
    port: u16,
    file: Option<&Path>,
    timeout: Duration,
) -> Result<BTreeSet<SocketAddr>, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(BTreeSet::from([SocketAddr::new(ip, port)]));
    }
    if let Some(path) = file {
        let text = tokio::fs::read_to_string(path)
            .await
            .map_err(|e| format!("reading the resolve file {}: {e}", path.display()))?;
        if let Some(ips) = parse_hosts(&text).get(&bare.to_ascii_lowercase()) {
            return Ok(ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect());
        }
    }
    let found = tokio::time::timeout(timeout, tokio::net::lookup_host((bare, port)))
        .await
        .map_err(|_| format!("no DNS answer for {bare} within {} ms", timeout.as_millis()))?
        .map_err(|e| format!("looking up {bare}: {e}"))?
        .collect::<BTreeSet<_>>();
    if found.is_empty() {
        return Err(format!("{bare} has no addresses"));
    }
    Ok(found)
}

/// A fresh hosts-file path in the temp folder, for the tests of this module and of
/// [`crate::balance`].
#[cfg(test)]
pub(crate) fn temp_hosts_path(label: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "xk-{label}-{}-{}.hosts",
        std::process::id(),
        xk_runtime::auth::random_token()
            .chars()
            .take(8)
            .collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn set(addrs: &[&str]) -> BTreeSet<SocketAddr> {
        addrs.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn hosts_lines_comments_aliases_and_repeated_names() {
        let text = "# test mapping\n\
                    127.0.0.2  water.test.invalid  water   # first replica\n\
                    \n\
                    127.0.0.3\tWATER.test.invalid\n\
                    ::1 registry\n\
                    not-an-ip water.test.invalid\n\
                    127.0.0.2 water.test.invalid\n\
                    10.0.0.9\n";
        let hosts = parse_hosts(text);
        assert_eq!(
            hosts["water.test.invalid"],
            vec![ip("127.0.0.2"), ip("127.0.0.3")],
            "two lines, one name (case-insensitive), a repeated line counted once"
        );
        assert_eq!(hosts["water"], vec![ip("127.0.0.2")]);
        assert_eq!(hosts["registry"], vec![ip("::1")]);
        assert_eq!(
            hosts.len(),
            3,
            "a bad address and a nameless line add nothing"
        );
    }

    #[test]
    fn the_interval_defaults_to_5_s_and_0_is_refused() {
        let default = ResolveArgs::default().settings().unwrap();
        assert_eq!(default.interval, DEFAULT_RESOLVE_INTERVAL);
        assert_eq!(default.interval, Duration::from_secs(5));
        let zero = ResolveArgs {
            resolve_interval_ms: 0,
            resolve_file: None,
        };
        assert!(zero.settings().is_err());
    }

    #[test]
    fn a_commented_out_line_names_nothing() {
        let hosts = parse_hosts("#127.0.0.2 water\n  # 127.0.0.3 water\n");
        assert!(hosts.is_empty(), "{hosts:?}");
    }

    #[test]
    fn diff_adds_new_and_drops_vanished_addresses() {
        let old = set(&["127.0.0.2:7000", "127.0.0.3:7000"]);
        let new = set(&["127.0.0.3:7000", "127.0.0.4:7000"]);
        assert_eq!(
            diff(&old, &new),
            Diff {
                added: vec!["127.0.0.4:7000".parse().unwrap()],
                removed: vec!["127.0.0.2:7000".parse().unwrap()],
            }
        );
        assert!(diff(&new, &new).is_empty());
        assert_eq!(diff(&BTreeSet::new(), &new).added.len(), 2);
    }

    #[tokio::test]
    async fn the_file_is_consulted_before_dns_and_read_again_each_time() {
        let path = temp_hosts_path("resolve");
        // `localhost` would come from DNS as 127.0.0.1 and/or ::1: the file wins.
        std::fs::write(&path, "127.0.0.7 localhost\n").unwrap();
        let first = resolve("localhost", 80, Some(&path), Duration::from_secs(2)).await;
        std::fs::write(&path, "127.0.0.7 localhost\n127.0.0.8 localhost\n").unwrap();
        let second = resolve("LOCALHOST", 80, Some(&path), Duration::from_secs(2)).await;
        std::fs::remove_file(&path).unwrap();
        assert_eq!(first, Ok(set(&["127.0.0.7:80"])));
        assert_eq!(second, Ok(set(&["127.0.0.7:80", "127.0.0.8:80"])));
        let gone = resolve("localhost", 80, Some(&path), Duration::from_secs(2)).await;
        assert!(
            gone.as_ref().is_err_and(|e| e.contains("resolve file")),
            "an unreadable file is an error, never an empty set: {gone:?}"
        );
    }

    #[tokio::test]
    async fn ip_literals_resolve_to_themselves() {
        let v4 = resolve("127.0.0.9", 5, None, Duration::from_secs(1)).await;
        let v6 = resolve("[::1]", 6, None, Duration::from_secs(1)).await;
        assert_eq!(v4, Ok(set(&["127.0.0.9:5"])));
        assert_eq!(v6, Ok(set(&["[::1]:6"])));
    }
}

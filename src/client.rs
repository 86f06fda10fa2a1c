//! Calling a running suite as its users do: the bearer token of a principal, the address
//! of each service, channels with timeouts. The `demo`, `report` and `loadtest` commands
//! and the tests share it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::transport::{Channel, Endpoint};
use xk_runtime::Principal;

/// Attaches `authorization: Bearer <token>` to every call (or nothing).
#[derive(Clone)]
pub struct Bearer(pub Option<String>);

impl Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(t) = &self.0 {
            let v: MetadataValue<_> = format!("Bearer {t}")
                .parse()
                .map_err(|_| tonic::Status::internal("token is not a header value"))?;
            req.metadata_mut().insert("authorization", v);
        }
        Ok(req)
    }
}

/// The plaintext tokens of a tokens file (`principal-name = "token"`), as `xiaokang up`
/// writes it. Unknown names are ignored.
pub fn load_tokens(path: &Path) -> anyhow::Result<HashMap<Principal, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the tokens file {}", path.display()))?;
    let map: HashMap<String, String> =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| Principal::from_name(&k).map(|p| (p, v)))
        .collect())
}

/// A token for `p`: `XK_TOKEN_<PRINCIPAL>` if set (e.g. `XK_TOKEN_POVERTY_OFFICE`), else
/// the tokens file.
pub fn token_for(p: Principal, file: Option<&HashMap<Principal, String>>) -> Option<String> {
    let var = format!("XK_TOKEN_{}", p.name().to_uppercase().replace('-', "_"));
    std::env::var(var)
        .ok()
        .filter(|t| !t.is_empty())
        .or_else(|| file.and_then(|f| f.get(&p).cloned()))
}

/// Where each service of a suite answers (`http://host:port`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteAddrs {
    /// Service name (`registry`, …, `aggregator`) to URL.
    pub urls: HashMap<&'static str, String>,
}

impl SuiteAddrs {
    /// The default ports of `xiaokang up` on `host`.
    pub fn local(host: IpAddr) -> SuiteAddrs {
        Self::default_ports(host)
    }

    /// The default ports of `xiaokang up` on a host name or address (`registry`,
    /// `10.0.0.5`, `[::1]`), for suites whose services share a host.
    pub fn on_host(host: &str) -> SuiteAddrs {
        Self::default_ports(host)
    }

    fn default_ports(host: impl std::fmt::Display) -> SuiteAddrs {
        let urls = crate::catalog::SERVICES
            .iter()
            .chain(std::iter::once(&crate::catalog::AGGREGATOR))
            .map(|s| (s.name, format!("http://{host}:{}", s.default_port)))
            .collect();
        SuiteAddrs { urls }
    }

    /// The URL of a service by name.
    pub fn url(&self, name: &str) -> anyhow::Result<&str> {
        self.urls
            .get(name)
            .map(String::as_str)
            .with_context(|| format!("no address for {name}"))
    }
}

/// A lazily connecting channel with a connect timeout (calls carry their own deadlines).
pub fn channel(url: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_string())
        .with_context(|| format!("bad address {url}"))?
        .connect_timeout(Duration::from_secs(3))
        .tcp_nodelay(true)
        .connect_lazy())
}

//! The client side: one channel per service (balanced per call over every address its
//! endpoints resolve to, see [`crate::balance`]), the
//! aggregator's read-only bearer token, the request id carried across, per-call deadlines
//! and the retry rule of [`crate::domain::deadline::retry_after`]; [`CallCtx::call`] is the
//! one way a handler calls a service.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tonic::Status;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Certificate, ClientTlsConfig, Identity};
use tracing::Instrument;
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::housing::v1::housing_service_client::HousingServiceClient;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_runtime::layers::REQUEST_ID_HEADER;

use crate::balance::BalancedChannel;
use crate::domain::deadline::{MIN_CALL_BUDGET, retry_after};
use crate::resolve::{ResolveArgs, ResolveSettings};

/// Where the five services are and how to call them. Built by `xiaokang up` from the
/// services it just started, or by `xiaokang serve aggregator` from flags / environment.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Registry endpoints (`http://host:port`); several are balanced.
    pub registry: Vec<String>,
    /// Education endpoints.
    pub education: Vec<String>,
    /// Health endpoints.
    pub health: Vec<String>,
    /// Housing endpoints.
    pub housing: Vec<String>,
    /// Water endpoints.
    pub water: Vec<String>,
    /// The aggregator principal's bearer token: read-only everywhere, so a compromised
    /// aggregator cannot write any service's data.
    pub token: String,
    /// The budget when a caller sends no deadline (and the cap when it sends a longer
    /// one): the aggregator never holds upstream calls open longer than this.
    pub default_deadline: Duration,
    /// How long to wait for a TCP/HTTP2 connection to an endpoint: a dead address fails
    /// within this instead of within the whole deadline.
    pub connect_timeout: Duration,
    /// TLS towards the services (`https://` endpoints): the CA that signed their
    /// certificates and, for mutual TLS, the aggregator's own certificate.
    pub tls: Option<ClientTlsConfig>,
    /// Page size of the aggregator's paged list reads (ListAtRiskHouseholds asks each
    /// service for one village's records): the services' maximum, so a village is one
    /// round trip per service; tests set it small to walk villages over several pages.
    pub list_page_size: i32,
    /// How endpoint host names are re-resolved (interval, hosts file).
    pub resolve: ResolveSettings,
}

/// Default for [`Upstream::list_page_size`]: the largest page the services serve.
pub const DEFAULT_LIST_PAGE_SIZE: i32 = 1000;

/// Default for [`Upstream::default_deadline`]: long enough for a county's GROUP BYs
/// (tens of ms), short enough for an interactive dashboard.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

/// Default for [`Upstream::connect_timeout`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// `xiaokang serve aggregator`'s upstream flags: each repeatable or comma-separated.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UpstreamArgs {
    /// Registry endpoint(s), e.g. http://registry:50051.
    #[arg(long = "registry-url", env = "XK_REGISTRY_URL", value_delimiter = ',')]
    pub registry_url: Vec<String>,
    /// Education endpoint(s).
    #[arg(
        long = "education-url",
        env = "XK_EDUCATION_URL",
        value_delimiter = ','
    )]
    pub education_url: Vec<String>,
    /// Health endpoint(s).
    #[arg(long = "health-url", env = "XK_HEALTH_URL", value_delimiter = ',')]
    pub health_url: Vec<String>,
    /// Housing endpoint(s).
    #[arg(long = "housing-url", env = "XK_HOUSING_URL", value_delimiter = ',')]
    pub housing_url: Vec<String>,
    /// Water endpoint(s).
    #[arg(long = "water-url", env = "XK_WATER_URL", value_delimiter = ',')]
    pub water_url: Vec<String>,
    /// Upstream budget when the caller sends no deadline, in ms.
    #[arg(long, env = "XK_AGGREGATOR_DEADLINE_MS", default_value_t = 5_000)]
    pub upstream_deadline_ms: u64,
    /// CA certificate (PEM) that signed the services' certificates: call them over TLS.
    #[arg(long, env = "XK_UPSTREAM_TLS_CA")]
    pub upstream_tls_ca: Option<std::path::PathBuf>,
    /// The aggregator's client certificate (PEM), for services that require mutual TLS.
    #[arg(long, env = "XK_UPSTREAM_TLS_CERT", requires_all = ["upstream_tls_key", "upstream_tls_ca"])]
    pub upstream_tls_cert: Option<std::path::PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, env = "XK_UPSTREAM_TLS_KEY", requires = "upstream_tls_cert")]
    pub upstream_tls_key: Option<std::path::PathBuf>,
    /// How the endpoints' host names are re-resolved.
    #[command(flatten)]
    pub resolve: ResolveArgs,
}

/// Client TLS from PEM texts: trust `ca`; present `identity` (cert, key) if given.
pub fn client_tls(ca: &[u8], identity: Option<(&[u8], &[u8])>) -> ClientTlsConfig {
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca));
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    tls
}

impl UpstreamArgs {
    /// The upstream configuration with `token` (from `XK_TOKEN_AGGREGATOR`).
    pub fn into_upstream(self, token: String) -> anyhow::Result<Upstream> {
        let read = |p: &std::path::PathBuf| {
            std::fs::read(p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))
        };
        let tls = match (
            &self.upstream_tls_ca,
            &self.upstream_tls_cert,
            &self.upstream_tls_key,
        ) {
            (None, _, _) => None,
            (Some(ca), Some(cert), Some(key)) => {
                Some(client_tls(&read(ca)?, Some((&read(cert)?, &read(key)?))))
            }
            (Some(ca), _, _) => Some(client_tls(&read(ca)?, None)),
        };
        let u = Upstream {
            registry: self.registry_url,
            education: self.education_url,
            health: self.health_url,
            housing: self.housing_url,
            water: self.water_url,
            token,
            default_deadline: Duration::from_millis(self.upstream_deadline_ms),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            tls,
            list_page_size: DEFAULT_LIST_PAGE_SIZE,
            resolve: self.resolve.settings()?,
        };
        u.validate()?;
        Ok(u)
    }
}

impl Upstream {
    /// One endpoint per service, default deadlines.
    pub fn single(urls: [String; 5], token: String) -> Upstream {
        let [registry, education, health, housing, water] = urls;
        Upstream {
            registry: vec![registry],
            education: vec![education],
            health: vec![health],
            housing: vec![housing],
            water: vec![water],
            token,
            default_deadline: DEFAULT_DEADLINE,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            tls: None,
            list_page_size: DEFAULT_LIST_PAGE_SIZE,
            resolve: ResolveSettings::default(),
        }
    }

    /// Every service has an endpoint and the token is usable.
    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, urls) in self.named() {
            anyhow::ensure!(
                !urls.is_empty(),
                "no endpoint for {name}: pass --{name}-url (XK_{}_URL)",
                name.to_uppercase()
            );
        }
        anyhow::ensure!(
            (1..=1000).contains(&self.list_page_size),
            "the upstream list page size must be 1-1000, got {}",
            self.list_page_size
        );
        anyhow::ensure!(
            !self.resolve.interval.is_zero(),
            "the resolve interval must be above 0"
        );
        anyhow::ensure!(
            self.token.len() >= 16,
            "the aggregator's token (XK_TOKEN_AGGREGATOR) must be at least 16 characters"
        );
        Ok(())
    }

    fn named(&self) -> [(&'static str, &Vec<String>); 5] {
        [
            ("registry", &self.registry),
            ("education", &self.education),
            ("health", &self.health),
            ("housing", &self.housing),
            ("water", &self.water),
        ]
    }
}

/// The channels of the five services plus what every call carries.
#[derive(Clone)]
pub struct Clients {
    /// Registry.
    pub registry: BalancedChannel,
    /// Education.
    pub education: BalancedChannel,
    /// Health.
    pub health: BalancedChannel,
    /// Housing.
    pub housing: BalancedChannel,
    /// Water.
    pub water: BalancedChannel,
    /// `Bearer <token>`, prepared once.
    authorization: AsciiMetadataValue,
    /// See [`Upstream::default_deadline`].
    pub default_deadline: Duration,
    /// See [`Upstream::list_page_size`].
    pub list_page_size: i32,
}

impl Clients {
    /// Channels to every service (lazy: nothing is dialled until the first call; host
    /// names are resolved in the background, see [`crate::balance`]). Needs a Tokio
    /// runtime.
    pub fn new(u: &Upstream) -> anyhow::Result<Clients> {
        u.validate()?;
        let channel = |name: &str, urls: &[String]| {
            BalancedChannel::new(name, urls, u.connect_timeout, u.tls.as_ref(), &u.resolve)
        };
        let authorization = MetadataValue::try_from(format!("Bearer {}", u.token))
            .map_err(|_| anyhow::anyhow!("the aggregator's token is not a valid header value"))?;
        Ok(Clients {
            registry: channel("registry", &u.registry)?,
            education: channel("education", &u.education)?,
            health: channel("health", &u.health)?,
            housing: channel("housing", &u.housing)?,
            water: channel("water", &u.water)?,
            authorization,
            default_deadline: u.default_deadline,
            list_page_size: u.list_page_size,
        })
    }

    /// The context of one incoming call's upstream calls.
    pub fn context(&self, budget: Duration, request_id: Option<String>) -> CallCtx {
        CallCtx {
            deadline: Instant::now() + budget,
            request_id: request_id.and_then(|r| MetadataValue::try_from(r).ok()),
            clients: self.clone(),
        }
    }
}

/// Largest upstream answer accepted: a village-level summary of a province is large.
pub const MAX_UPSTREAM_MESSAGE: usize = 64 * 1024 * 1024;

/// The registry's generated client on its balanced channel.
pub type RegistryClient = RegistryServiceClient<BalancedChannel>;
/// Education's generated client on its balanced channel.
pub type EducationClient = EducationServiceClient<BalancedChannel>;
/// Health's generated client on its balanced channel.
pub type HealthClient = HealthInsuranceServiceClient<BalancedChannel>;
/// Housing's generated client on its balanced channel.
pub type HousingClient = HousingServiceClient<BalancedChannel>;
/// Water's generated client on its balanced channel.
pub type WaterClient = WaterServiceClient<BalancedChannel>;

/// A generated client of one of the five services, built on that service's channel: what
/// lets [`CallCtx::call`] pick the channel from the client type the caller names.
pub trait ServiceClient {
    /// The client on its service's channel of `clients`, accepting answers up to
    /// [`MAX_UPSTREAM_MESSAGE`].
    fn on(clients: &Clients) -> Self;
}

/// The five generated clients have no common trait; this writes the same impl for each.
macro_rules! service_clients {
    ($($client:ident => $channel:ident),* $(,)?) => {$(
        impl ServiceClient for $client {
            fn on(clients: &Clients) -> Self {
                $client::new(clients.$channel.clone())
                    .max_decoding_message_size(MAX_UPSTREAM_MESSAGE)
            }
        }
    )*};
}

service_clients!(
    RegistryClient => registry,
    EducationClient => education,
    HealthClient => health,
    HousingClient => housing,
    WaterClient => water,
);

/// The span name of an upstream call, from its request type:
/// `xk_contracts::pb::registry::v1::SummarizeByRegionRequest` is
/// `registry.v1.SummarizeByRegion` (the callee's package and method).
fn upstream_call_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let path = full.rsplit_once("::pb::").map_or(full, |(_, p)| p);
    let path = path.strip_suffix("Request").unwrap_or(path);
    path.replace("::", ".")
}

#[cfg(test)]
mod tests {
    #[test]
    fn upstream_spans_are_named_by_package_and_method() {
        assert_eq!(
            super::upstream_call_name::<xk_contracts::pb::registry::v1::SummarizeByRegionRequest>(),
            "registry.v1.SummarizeByRegion"
        );
        assert_eq!(
            super::upstream_call_name::<xk_contracts::pb::water::v1::ListSchemesRequest>(),
            "water.v1.ListSchemes"
        );
    }
}

/// What every upstream call of one incoming call shares: one deadline, the request id,
/// the channels and the token.
#[derive(Clone)]
pub struct CallCtx {
    /// When every upstream call must be done.
    pub deadline: Instant,
    /// The incoming call's `x-request-id`, so one id traces across services.
    request_id: Option<AsciiMetadataValue>,
    /// The five services' channels and the token.
    clients: Clients,
}

impl CallCtx {
    /// The channels and settings the calls go through.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// One upstream read of the service whose client `rpc` takes, e.g.
    /// `ctx.call(msg, |mut c: RegistryClient, r| async move { c.get_household(r).await })`:
    /// each attempt gets a fresh client on the service's balanced channel (so a retry may
    /// reach another replica), the caller's remaining deadline, the token, the request id
    /// and the trace context; retried as [`crate::domain::deadline::retry_after`] says.
    pub async fn call<C, T, R, Fut>(
        &self,
        msg: T,
        rpc: impl Fn(C, tonic::Request<T>) -> Fut,
    ) -> Result<R, Status>
    where
        C: ServiceClient,
        T: Clone,
        Fut: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        self.read(msg, |r| rpc(C::on(&self.clients), r)).await
    }

    /// A read: sent with the remaining budget as its deadline (`grpc-timeout`), bounded
    /// locally as well (a peer that accepts TCP and never answers cannot hang it), retried
    /// only on UNAVAILABLE with a small backoff while time remains.
    async fn read<T, R, F, Fut>(&self, msg: T, mut call: F) -> Result<R, Status>
    where
        T: Clone,
        F: FnMut(tonic::Request<T>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<R>, Status>>,
    {
        let mut attempt = 0;
        loop {
            let remaining = self.deadline.saturating_duration_since(Instant::now());
            if remaining < MIN_CALL_BUDGET {
                return Err(Status::deadline_exceeded(
                    "no time left in the caller's deadline for this call",
                ));
            }
            // One client span per attempt, the parent of the callee's server span.
            let span = tracing::info_span!(
                "upstream",
                otel.kind = tracing::field::Empty,
                otel.name = tracing::field::Empty,
                attempt
            );
            let mut req = tonic::Request::new(msg.clone());
            xk_runtime::traces::client_span(&span, upstream_call_name::<T>, req.metadata_mut());
            req.set_timeout(remaining);
            req.metadata_mut()
                .insert("authorization", self.clients.authorization.clone());
            if let Some(id) = &self.request_id {
                req.metadata_mut().insert(REQUEST_ID_HEADER, id.clone());
            }
            let expired = || {
                Status::deadline_exceeded(format!("no answer within {} ms", remaining.as_millis()))
            };
            let result = match tokio::time::timeout(remaining, call(req).instrument(span)).await {
                Ok(Ok(r)) => Ok(r.into_inner()),
                // tonic's client enforces the timeout it sent as CANCELLED: report what
                // happened, the deadline ran out.
                Ok(Err(s))
                    if s.code() == tonic::Code::Cancelled
                        && self.deadline.saturating_duration_since(Instant::now())
                            < MIN_CALL_BUDGET =>
                {
                    Err(expired())
                }
                Ok(Err(s)) => Err(s),
                Err(_) => Err(expired()),
            };
            match result {
                Ok(r) => return Ok(r),
                Err(s) => {
                    let left = self.deadline.saturating_duration_since(Instant::now());
                    match retry_after(s.code(), attempt, left) {
                        Some(backoff) => {
                            tracing::debug!(attempt, code = ?s.code(), "retrying an upstream read");
                            tokio::time::sleep(backoff).await;
                            attempt += 1;
                        }
                        None => return Err(s),
                    }
                }
            }
        }
    }
}

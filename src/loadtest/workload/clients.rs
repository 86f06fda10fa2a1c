//! One client per connection and service, each carrying the token of the principal that
//! may make the call: writes the owning bureau's, reads the aggregator's or a bureau's.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use tonic::codegen::InterceptedService;
use xk_aggregator::balance::BalancedChannel;
use xk_aggregator::resolve::ResolveSettings;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::health::v1::health_insurance_service_client::HealthInsuranceServiceClient;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_runtime::{Bureau, Principal};

use super::super::mix::{Mix, Op};
use crate::client::{Bearer, SuiteAddrs};

/// A channel (balanced over every address of the target's host name) that carries a
/// principal's bearer token.
type Authed = InterceptedService<BalancedChannel, Bearer>;

/// How long a load-test call waits for a TCP/HTTP2 connection to one address.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest gRPC message either way (warm-up batches).
const MAX_MESSAGE: usize = 16 << 20;

/// Whose token each kind of call carries.
fn token(tokens: &HashMap<Principal, String>, prefer: &[Principal]) -> anyhow::Result<Bearer> {
    prefer
        .iter()
        .find_map(|p| tokens.get(p))
        .map(|t| Bearer(Some(t.clone())))
        .with_context(|| {
            format!(
                "no token for {} (tokens file or XK_TOKEN_<PRINCIPAL>)",
                prefer
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        })
}

/// The clients of every service the mix needs; one per connection.
#[derive(Clone, Default)]
pub struct Clients {
    /// Registry reads (aggregator's token, else the poverty office's).
    pub(super) registry_read: Vec<RegistryServiceClient<Authed>>,
    /// Registry writes (the poverty office's token).
    pub(super) registry_write: Vec<RegistryServiceClient<Authed>>,
    /// Aggregator reads (its own token).
    pub(super) aggregator: Vec<AggregatorServiceClient<Authed>>,
    /// Health writes (the medical-security bureau's token).
    pub(super) health: Vec<HealthInsuranceServiceClient<Authed>>,
    /// Water writes (the water-resources bureau's token).
    pub(super) water: Vec<WaterServiceClient<Authed>>,
    /// Education writes (the education bureau's token).
    pub(super) education: Vec<EducationServiceClient<Authed>>,
}

impl Clients {
    /// Connects lazily to every service the mix (and its warm-up) needs; each target's
    /// host name is re-resolved as `resolve` says and calls spread over its addresses.
    pub fn connect(
        addrs: &SuiteAddrs,
        tokens: &HashMap<Principal, String>,
        mix: &Mix,
        connections: usize,
        resolve: &ResolveSettings,
    ) -> anyhow::Result<Clients> {
        use Principal::{Admin, Aggregator, Bureau as B};
        let needs = |ops: &[Op]| ops.iter().any(|o| mix.has(*o));
        let chans = |name: &str| -> anyhow::Result<Vec<BalancedChannel>> {
            let url = addrs
                .url(name)
                .with_context(|| format!("the mix calls {name}: give --target {name}=URL"))?;
            (0..connections.max(1))
                .map(|_| {
                    BalancedChannel::new(name, &[url.to_string()], CONNECT_TIMEOUT, None, resolve)
                })
                .collect()
        };
        let mut c = Clients::default();
        // Every mix plants households in the registry during warm-up.
        let office = token(tokens, &[B(Bureau::PovertyOffice), Admin])?;
        let reader = token(tokens, &[Aggregator, B(Bureau::PovertyOffice), Admin])?;
        for ch in chans("registry")? {
            c.registry_write.push(
                RegistryServiceClient::with_interceptor(ch.clone(), office.clone())
                    .max_encoding_message_size(MAX_MESSAGE)
                    .max_decoding_message_size(MAX_MESSAGE),
            );
            c.registry_read.push(
                RegistryServiceClient::with_interceptor(ch, reader.clone())
                    .max_decoding_message_size(MAX_MESSAGE),
            );
        }
        if needs(&[Op::Summary, Op::File]) {
            let t = token(tokens, &[Aggregator, Admin])?;
            for ch in chans("aggregator")? {
                c.aggregator
                    .push(AggregatorServiceClient::with_interceptor(ch, t.clone()));
            }
        }
        if needs(&[Op::Settle]) {
            let t = token(tokens, &[B(Bureau::MedicalSecurity), Admin])?;
            for ch in chans("health")? {
                c.health.push(
                    HealthInsuranceServiceClient::with_interceptor(ch, t.clone())
                        .max_encoding_message_size(MAX_MESSAGE),
                );
            }
        }
        if needs(&[Op::Assess]) {
            let t = token(tokens, &[B(Bureau::WaterResources), Admin])?;
            for ch in chans("water")? {
                c.water
                    .push(WaterServiceClient::with_interceptor(ch, t.clone()));
            }
        }
        if needs(&[Op::Visit]) {
            let t = token(tokens, &[B(Bureau::Education), Admin])?;
            for ch in chans("education")? {
                c.education.push(
                    EducationServiceClient::with_interceptor(ch, t.clone())
                        .max_encoding_message_size(MAX_MESSAGE),
                );
            }
        }
        Ok(c)
    }
}

/// Picks the `n`th element, round robin (None when empty).
pub(super) fn nth<T: Clone>(v: &[T], n: u64) -> Option<T> {
    (!v.is_empty()).then(|| v[(n % v.len() as u64) as usize].clone())
}

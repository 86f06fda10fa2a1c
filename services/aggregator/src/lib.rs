//! Aggregator of xiaokang: the county leading group's read-only view across the five
//! services (DOMAIN.md §8). It owns only its monthly snapshots.
//!
//! # Module map
//!
//! | module | what it decides |
//! |---|---|
//! | [`domain`] | pure rules: deadline arithmetic, the retry rule, section status, combining the five answers, the §8 exceptions, exit criteria, snapshot months; no I/O |
//! | [`risk`] | pure rules of ListAtRiskHouseholds: the monitoring triggers (DOMAIN.md §3) of one village's households from each service's signals, the resume key |
//! | [`policy`] | the aggregator's effective-dated policy book (`policy.toml`): monitoring line, income-fall percent, large medical payment |
//! | [`upstream`] | the client side: endpoints and token ([`Upstream`]), one balanced channel per service, per-call deadlines, retries, the request id; the one call path every handler uses |
//! | [`balance`] | one channel spread per call over every current address of a service's endpoints; failed addresses rest until a probe reaches them |
//! | [`resolve`] | which addresses a host name stands for: the hosts file (`--resolve-file`) before DNS, and what changed between two answers |
//! | [`api`] | the tonic service: validation, the parallel fan-outs, the household file, exit eligibility (with the registry's policy, read through GetPolicy), snapshots |
//! | [`store`] | sea-orm entity and migrations of the snapshots table |
//!
//! [`routes`] migrates the database, builds the channels and returns the routes the
//! runtime serves; the CLI and the tests host the aggregator through it.
//!
//! Who may call what: the runtime's rule with `owner: None` is "admin calls everything,
//! the aggregator principal calls the methods listed in `read_methods`, bureaus nothing".
//! `TakeSnapshot` is listed there on purpose: snapshots are the aggregator's own data (the
//! leading group's scheduled job takes them with the aggregator's token), admin may take
//! them too, and no bureau may. It still writes through the idempotency table and the
//! audit log like every write.

#![warn(missing_docs)]

pub mod api;
pub mod balance;
pub mod domain;
pub mod policy;
pub mod resolve;
pub mod risk;
pub mod store;
pub mod upstream;

pub use upstream::{Upstream, UpstreamArgs};

use tonic::service::Routes;
use xk_contracts::pb::aggregator::v1::aggregator_service_server::AggregatorServiceServer;
use xk_runtime::{Db, ServeSettings, ServiceSpec};

/// How the runtime serves the aggregator: no owning bureau; the listed methods are open to
/// the aggregator principal and admin (see the module docs for `TakeSnapshot`).
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "aggregator",
    grpc_name: "xiaokang.aggregator.v1.AggregatorService",
    owner: None,
    read_methods: &[
        "GetSummary",
        "GetHouseholdFile",
        "ListSnapshots",
        "GetSnapshot",
        "TakeSnapshot",
        "CheckExitEligibility",
        "ListAtRiskHouseholds",
    ],
    default_port: 50050,
};

/// Migrates `db`, builds lazy channels to the services in `upstream`, and returns the
/// aggregator's routes.
pub async fn routes(
    db: Db,
    settings: &ServeSettings,
    upstream: Upstream,
) -> anyhow::Result<Routes> {
    db.migrate::<store::migration::Migrator>().await?;
    let risk_policy = policy::load(settings.policy_text()?.as_deref())?;
    let clients = upstream::Clients::new(&upstream)?;
    Ok(xk_runtime::sized_routes!(
        AggregatorServiceServer::new(api::AggregatorApi::new(db, clients, risk_policy)),
        settings
    ))
}

xk_runtime::spec_names_the_generated_service!(SPEC, AggregatorServiceServer<api::AggregatorApi>);

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bureaus_cannot_take_snapshots_aggregator_and_admin_can() {
        use xk_runtime::auth::Access;
        use xk_runtime::{Bureau, Principal};
        assert_eq!(
            SPEC.authorize(Principal::Aggregator, "TakeSnapshot"),
            Access::Allowed
        );
        assert_eq!(
            SPEC.authorize(Principal::Admin, "TakeSnapshot"),
            Access::Allowed
        );
        assert_eq!(
            SPEC.authorize(Principal::Bureau(Bureau::PovertyOffice), "GetSummary"),
            Access::Denied
        );
        assert_eq!(
            SPEC.authorize(Principal::Bureau(Bureau::Education), "TakeSnapshot"),
            Access::Denied
        );
    }
}

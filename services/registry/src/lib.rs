//! The registry service: the household archive (建档立卡) of the Poverty Alleviation Office.
//! Every other service and the aggregator refer to its households and people.
//!
//! Module map:
//! - [`domain`]: pure rules — validation of new households, exit, the monitoring
//!   lifecycle, member removal, alerts. Unit-tested, no I/O.
//! - [`store`]: sea-orm entities, migrations, queries and the SQL summary.
//! - [`api`]: the tonic service: validation and mapping, transactions, idempotency.
//! - [`error`]: the error enum and its one mapping to `tonic::Status`.
//! - [`policy`]: the effective-dated policy numbers (`policy.toml`).
//!
//! [`routes`] migrates the database and returns the routes the runtime serves; the CLI and
//! the tests host the service through it.

pub mod api;
pub mod domain;
pub mod error;
pub mod policy;
pub mod store;

use tonic::service::Routes;
use xk_contracts::pb::registry::v1::registry_service_server::RegistryServiceServer;
use xk_runtime::{Bureau, Db, ServeSettings, ServiceSpec};

/// How the runtime serves the registry.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "registry",
    grpc_name: "xiaokang.registry.v1.RegistryService",
    owner: Some(Bureau::PovertyOffice),
    read_methods: &[
        "GetHousehold",
        "ListHouseholds",
        "ExportHouseholds",
        "ListVillages",
        "SummarizeByRegion",
        "ListDisasterExpenses",
        "GetPolicy",
    ],
    default_port: 50051,
};

/// Migrates `db`, loads the policy, and returns the registry's routes.
pub async fn routes(db: Db, settings: &ServeSettings) -> anyhow::Result<Routes> {
    db.migrate::<store::migration::Migrator>().await?;
    let policy = policy::load(settings.policy_text()?.as_deref())?;
    let server = RegistryServiceServer::new(api::RegistryApi::new(db, policy))
        .max_decoding_message_size(settings.max_message_bytes)
        .max_encoding_message_size(settings.max_message_bytes);
    Ok(Routes::new(server))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::server::NamedService;

    #[test]
    fn spec_names_the_generated_service() {
        assert_eq!(
            SPEC.grpc_name,
            <RegistryServiceServer<api::RegistryApi> as NamedService>::NAME
        );
    }
}

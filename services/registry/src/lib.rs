//! The registry service: the household archive (建档立卡) of the Poverty Alleviation Office.
//! Every other service and the aggregator refer to its households and people.
//!
//! Module map (each uses only those below it):
//! - [`api`]: the tonic service, one file per resource's RPCs: validate, then the
//!   runtime's idempotent, audited write around the domain rule and the store change.
//! - [`store`]: sea-orm entities, migrations, queries, the SQL summary and the per-village
//!   rollups it reads for recent dates ([`store::rollups`]).
//! - [`domain`]: pure rules — validation of new households, exit, the monitoring
//!   lifecycle, member removal, alerts, and the rule ids. Unit-tested, no I/O.
//! - [`policy`]: the effective-dated policy numbers (`policy.toml`).
//!
//! Errors are the runtime's [`xk_runtime::ApiError`], mapped to a status in one place.
//! [`routes`] migrates the database and returns the routes the runtime serves; the CLI and
//! the tests host the service through it.

#![warn(missing_docs)]

pub mod api;
pub mod domain;
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

/// Migrates `db`, builds or checks its rollups, loads the policy, and returns the
/// registry's routes.
pub async fn routes(db: Db, settings: &ServeSettings) -> anyhow::Result<Routes> {
    db.migrate::<store::migration::Migrator>().await?;
    let backend = db.backend();
    db.keep_rollups(|floor| store::rollups::definitions(floor, backend))
        .await?;
    let policy = policy::load(settings.policy_text()?.as_deref())?;
    Ok(xk_runtime::sized_routes!(
        RegistryServiceServer::new(api::RegistryApi::new(db, policy)),
        settings
    ))
}

xk_runtime::spec_names_the_generated_service!(SPEC, RegistryServiceServer<api::RegistryApi>);

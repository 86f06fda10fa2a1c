//! Water Resources Bureau (水利局) service of xiaokang: drinking-water safety
//! (饮水安全有保障), graded on the four indicators of T/CHES 18-2018 (农村饮水安全评价准则).
//!
//! # Module map
//!
//! | module | what it decides |
//! |---|---|
//! | [`domain`] | the pure core: [`domain::assess`] (policy year → validate → grade), [`domain::FieldViolation`] / [`domain::ViolationKind`]; no I/O |
//! | [`domain::policy`] | the water [`domain::Thresholds`] per year in the runtime's `PolicyBook` (`policy.toml`): quantity per area type, convenience, supply guarantee, input bounds |
//! | [`domain::rules`] | the stable rule ids of FAILED_PRECONDITION (a leaf; listed in `water.proto`) |
//! | [`domain::measurements`] | what an assessor records, raw (as sent) and validated |
//! | [`domain::validate`](mod@domain::validate) | request checks that report every violation at once, and the field paths they name |
//! | [`domain::grading`] | the four grades, the verdict as their minimum, seasonal shortage |
//! | [`api`] | the tonic service, a file per resource: validate → one idempotent, audited write (`xk_runtime::write`, `xk_runtime::import`) → response |
//! | [`store`] | sea-orm entities, migrations, the history and `current` tables, the SQL summary |
//!
//! Dependencies point one way: `api` → `domain` and `store`; `store` → `domain`; `domain`
//! uses neither. Errors are the runtime's `xk_runtime::ApiError` throughout.
//!
//! [`routes`] migrates the database, loads the policy book and returns the routes the
//! runtime serves; the CLI and the tests host the service through it.

#![warn(missing_docs)]

pub mod api;
pub mod domain;
pub mod store;

use tonic::service::Routes;
use xk_contracts::pb::water::v1::water_service_server::WaterServiceServer;
use xk_runtime::{Bureau, Db, ServeSettings, ServiceSpec};

/// How the runtime serves the water service: only the water bureau (and admin) writes;
/// the methods listed here are reads, which the aggregator may call too.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "water",
    grpc_name: "xiaokang.water.v1.WaterService",
    owner: Some(Bureau::WaterResources),
    read_methods: &[
        "GetScheme",
        "ListSchemes",
        "GetHouseholdWater",
        "ListExceptions",
        "SummarizeByRegion",
        "ListVillageAreas",
    ],
    default_port: 50055,
};

/// Migrates `db`, loads the policy book (the operator's `--policy-file`, else the embedded
/// `policy.toml`), and returns the water service's routes.
pub async fn routes(db: Db, settings: &ServeSettings) -> anyhow::Result<Routes> {
    db.migrate::<store::migration::Migrator>().await?;
    db.keep_rollups(|floor| store::rollups::definitions(floor, db.backend()))
        .await?;
    let book = match settings.policy_text()? {
        Some(text) => domain::policy::load(&text)?,
        None => domain::policy::embedded().clone(),
    };
    Ok(xk_runtime::sized_routes!(
        WaterServiceServer::new(api::WaterApi::new(db, book)),
        settings
    ))
}

xk_runtime::spec_names_the_generated_service!(SPEC, WaterServiceServer<api::WaterApi>);

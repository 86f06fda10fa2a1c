//! `xk-health`: the health-insurance service of xiaokang (医保局, 基本医疗有保障):
//! enrolment per coverage year, designated institutions, and the four-layer settlement of
//! hospital cases, cumulative per person per coverage year.
//!
//! One direction of dependency: [`api`] -> [`domain`] (pure rules) and [`store`] (I/O).
//!
//! Module map:
//!
//! - [`domain`] — the rules, unit-tested in isolation, no I/O.
//!   - [`domain::money`] — fen and basis points, and the one rounding rule
//!     ([`domain::money::apply_bp`]) every rate in the crate goes through.
//!   - [`domain::policy`] — one coverage year's policy ([`domain::Policy`]), loaded and
//!     validated from TOML into the runtime's book of years ([`domain::PolicyBook`]); the
//!     default book is the crate's `policy.toml`, embedded at build time.
//!   - [`domain::rules`] — the stable ids of the rules a request can break.
//!   - [`domain::settlement`] — the four-layer hospital settlement of one case
//!     ([`domain::settle`]), the per-person per-year cumulative state
//!     ([`domain::YearToDate`]), re-settling a year ([`domain::settle_all`]) and undoing
//!     the latest settlement ([`domain::reverse`]).
//! - [`store`] — sea-orm entities ([`store::entities`]), migrations ([`store::migration`]),
//!   queries, and the SQL summary ([`store::summary`]). The `person_years` row holds a
//!   person-year's engine state and totals; it is locked (PostgreSQL `FOR UPDATE`) by every
//!   settlement and reversal so concurrent settlements of one person serialise.
//! - [`api`] — the tonic service, one file per resource: validate, then one idempotent,
//!   audited transaction through the runtime's write path, then the response. Errors are
//!   the runtime's [`xk_runtime::ApiError`], mapped to `tonic::Status` in one place.
//!
//! [`routes`] migrates the database, loads the policy and returns the routes the runtime
//! serves; the CLI and the tests host the service through it.

#![warn(missing_docs)]

pub mod api;
pub mod domain;
pub mod store;

use tonic::service::Routes;
use xk_contracts::pb::health::v1::health_insurance_service_server::HealthInsuranceServiceServer;
use xk_runtime::{Bureau, Db, ServeSettings, ServiceSpec};

/// How the runtime serves the health service: the Medical Security Bureau writes; the
/// aggregator may call only the read methods.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "health",
    grpc_name: "xiaokang.health.v1.HealthInsuranceService",
    owner: Some(Bureau::MedicalSecurity),
    read_methods: &[
        "ListInstitutions",
        "GetPersonYear",
        "ListCases",
        "ListExceptions",
        "ListPersonPayments",
        "SummarizeByRegion",
    ],
    default_port: 50053,
};

/// Migrates `db`, loads the policy (`--policy-file` or the embedded `policy.toml`), builds
/// or keeps the rollups ([`store::rollups`]) over its caps, and returns the health
/// service's routes.
pub async fn routes(db: Db, settings: &ServeSettings) -> anyhow::Result<Routes> {
    db.migrate::<store::migration::Migrator>().await?;
    let book = policy_book(settings)?;
    // Built from the book the service judges "over the cap" by: another book rebuilds them.
    let over_cap = store::rollups::OverCap::of_book(&book);
    db.keep_rollups(|floor| store::rollups::definitions(floor, db.backend(), &over_cap))
        .await?;
    Ok(xk_runtime::sized_routes!(
        HealthInsuranceServiceServer::new(api::HealthApi::new(db, book)),
        settings
    ))
}

/// The policy book the service settles with: `--policy-file`, or the embedded
/// `policy.toml` (also read by the business gauges, so they judge by the same caps).
pub fn policy_book(settings: &ServeSettings) -> anyhow::Result<domain::PolicyBook> {
    let text = settings.policy_text()?;
    Ok(domain::book_from_toml(
        text.as_deref().unwrap_or(domain::DEFAULT_POLICY_TOML),
    )?)
}

xk_runtime::spec_names_the_generated_service!(SPEC, HealthInsuranceServiceServer<api::HealthApi>);

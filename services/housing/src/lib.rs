//! Relocation office (易地扶贫搬迁办) service of xiaokang: the safe-housing guarantee
//! (住房安全有保障) for relocated households (易地扶贫搬迁) and house-safety appraisals
//! (危房改造) for households not relocated.
//!
//! # Module map
//!
//! | module | what it does |
//! |---|---|
//! | [`domain`] | the pure rules, no I/O (see below) |
//! | [`domain::rules`] | the stable rule ids clients switch on (a leaf) |
//! | [`domain::site`] | resettlement site types, which decide the move-in rule (a leaf) |
//! | [`domain::policy`] | the policy per year (area red line, debt cap, reclaimed-area bound, demolition grace) and the mu unit |
//! | [`domain::milestones`] | the relocation timeline (construction start … reclamation accepted): order and date checks, the move-in rule |
//! | [`domain::relocation`] | the new house (area, cost, debt), the old house (demolition, reclamation), the household's exceptions |
//! | [`domain::support`] | follow-up support measures and the employment rule |
//! | [`domain::appraisal`] | house-safety grades A–D and renovation of dangerous houses |
//! | [`checked`] | a relocation record that passed the checks, as the api hands it to the store |
//! | [`api`] | the tonic service, one file per resource's RPCs: check the request, one idempotent write, the response |
//! | [`store`] | sea-orm entities, migrations, queries, derived columns, the SQL summary and its per-village rollups |
//!
//! Dependencies run one way: `api` → `checked` → `domain`, `api` → `store` → `checked`;
//! the domain uses nothing of the others. Errors are the runtime's
//! [`xk_runtime::ApiError`]; the rule ids are in [`domain::rules`] and in the table at the
//! top of `housing.proto`.
//!
//! Shared vocabulary lives in [`domain`]: [`domain::FieldViolation`],
//! [`domain::ViolationKind`] (maps to `INVALID_ARGUMENT` or `FAILED_PRECONDITION`) and
//! [`domain::ExceptionKind`] (what the county summary counts).
//!
//! Rules contain no policy figure: every threshold comes from a [`domain::policy::Policy`].
//! Money is integer fen, area integer 0.01 m², land integer 0.01 mu.
//!
//! [`routes`] migrates the database, loads the policy book and returns the routes the
//! runtime serves; the CLI and the tests host the service through it.

#![warn(missing_docs)]

pub mod api;
pub mod checked;
pub mod domain;
pub mod store;

use tonic::service::Routes;
use xk_contracts::pb::housing::v1::housing_service_server::HousingServiceServer;
use xk_runtime::{Bureau, Db, ServeSettings, ServiceSpec};

use domain::policy::DEFAULT_POLICY_TOML;

/// How the runtime serves the housing service.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "housing",
    grpc_name: "xiaokang.housing.v1.HousingService",
    owner: Some(Bureau::Relocation),
    read_methods: &[
        "GetSite",
        "ListSites",
        "GetRelocation",
        "ListRelocations",
        "GetAppraisal",
        "ListExceptions",
        "SummarizeByRegion",
    ],
    default_port: 50054,
};

/// Migrates `db`, loads the policy book (`--policy-file` or the built-in `policy.toml`),
/// and returns the housing service's routes.
pub async fn routes(db: Db, settings: &ServeSettings) -> anyhow::Result<Routes> {
    db.migrate::<store::migration::Migrator>().await?;
    db.keep_rollups(|floor| store::rollups::definitions(floor, db.backend()))
        .await?;
    let text = settings.policy_text()?;
    let policy = domain::policy::load(text.as_deref().unwrap_or(DEFAULT_POLICY_TOML))?;
    Ok(xk_runtime::sized_routes!(
        HousingServiceServer::new(api::HousingApi::new(db, policy)),
        settings
    ))
}

xk_runtime::spec_names_the_generated_service!(SPEC, HousingServiceServer<api::HousingApi>);

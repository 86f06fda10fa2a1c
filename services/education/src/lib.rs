//! Education Bureau (教育局) service of xiaokang: the compulsory-education guarantee
//! (义务教育有保障) and the campaign against dropping out (控辍保学).
//!
//! # Module map
//!
//! | module | what it holds |
//! |---|---|
//! | [`api`] | the tonic service: one file per resource's RPCs (students, import, letters, visits, cases, subsidies, surveys, expenses, reads), each write validate → [`xk_runtime::Db::write`] → response |
//! | [`store`] | sea-orm entities, migrations, queries; [`store::summary`] (SummarizeByRegion in SQL, from the rows or the per-village [`store::rollups`]), [`store::exceptions`] (ListExceptions), [`store::subsidies`] (payments and a school year's total) |
//! | [`gauges`] | the business gauge for `/metrics` (children not guaranteed without a case), counted on an interval |
//! | [`policy`] | which policy-book entry applies on a day; loading a book that covers today |
//! | [`domain::policy`] | the figures of one policy year (ages, cut-off, deferral, letters, home teaching, subsidies), read from `policy.toml` into the runtime's `PolicyBook` and checked |
//! | [`domain::rules`] | the stable ids of the rules a request can break (a leaf) |
//! | [`domain::scope`] | school years, age at the cut-off date, who is a compulsory-age child ([`domain::scope::in_scope`]), primary/junior stage |
//! | [`domain::status`] | a student's enrolment status and its checks |
//! | [`domain::guarantee`] | whether a status counts as guaranteed ([`domain::guarantee::guarantee`]) |
//! | [`domain::letters`] | notification letters (协查函) for students outside the county: confirmation and the overdue alert |
//! | [`domain::home_teaching`] | home-delivered teaching (送教上门): visits, the yearly log, the hours shortfall |
//! | [`domain::subsidy`] | living allowance and nutrition programme amounts; payment validation; the yearly entitlement per programme and school year ([`domain::subsidy::check_yearly_total`]) |
//! | [`domain::cases`] | return-to-school cases (劝返): open, follow up, close only once the child is guaranteed |
//! | [`domain::expenses`] | schooling expenses (a household's out-of-pocket cost per year): the figure's checks |
//!
//! Dependencies point one way: `api` -> `domain` and `store`; `domain` does no I/O.
//! Handlers and the store return the runtime's one error type, [`xk_runtime::ApiError`]:
//! the domain's [`domain::FieldViolation`]s become `INVALID_ARGUMENT` (any malformed
//! field) or `FAILED_PRECONDITION` (every broken rule, each with its id from
//! [`domain::rules`]).
//!
//! The `guaranteed` flag is computed by the domain and stored as a column, rewritten in
//! the same transaction as every change that affects it (status, letters, visits), with
//! the last day it holds when it lapses by itself (deferral expiry, end of the school year
//! of the last visit); so the summary is a GROUP BY over a covering index.
//!
//! [`routes`] migrates the database and returns the routes the runtime serves; the CLI and
//! the tests host the service through it. Rules contain no policy figure: every threshold
//! comes from the policy book. Money is integer fen.

#![warn(missing_docs)]

pub mod api;
pub mod domain;
pub mod gauges;
pub mod policy;
pub mod store;

use tonic::service::Routes;
use xk_contracts::pb::education::v1::education_service_server::EducationServiceServer;
use xk_runtime::{Bureau, Db, ServeSettings, ServiceSpec};

/// How the runtime serves the education service.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "education",
    grpc_name: "xiaokang.education.v1.EducationService",
    owner: Some(Bureau::Education),
    read_methods: &[
        "GetStudent",
        "ListStudents",
        "ListExceptions",
        "SummarizeByRegion",
        "ListSchoolingExpenses",
    ],
    default_port: 50052,
};

/// Migrates `db`, builds or checks its summary rollups ([`store::rollups`]), loads the
/// policy, and returns the education service's routes.
pub async fn routes(db: Db, settings: &ServeSettings) -> anyhow::Result<Routes> {
    db.migrate::<store::migration::Migrator>().await?;
    let backend = db.backend();
    db.keep_rollups(|floor| store::rollups::definitions(floor, backend))
        .await?;
    let policy = policy::load(
        settings.policy_text()?.as_deref(),
        xk_runtime::clock::today(),
    )?;
    Ok(xk_runtime::sized_routes!(
        EducationServiceServer::new(api::EducationApi::new(db, policy)),
        settings
    ))
}

xk_runtime::spec_names_the_generated_service!(SPEC, EducationServiceServer<api::EducationApi>);

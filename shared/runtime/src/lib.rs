//! The one way every xiaokang service is served.
//!
//! A service crate supplies its tonic routes, its [`ServiceSpec`] (name, owning bureau,
//! which methods only read) and its migrations; this crate does everything else the same
//! way for all of them.
//!
//! Module map:
//! - [`write`]: the write path written once: [`Db::write`] runs a handler's work as one
//!   idempotent, audited transaction; [`write::update`] for a versioned record.
//! - [`group_commit`]: concurrent writes sharing one transaction (a savepoint each) and one
//!   commit, each acknowledged only after it.
//! - [`import`]: the client-streaming import loop, batch by batch.
//! - [`api_error`]: [`ApiError`], the one error every handler returns, and its one
//!   mapping to `tonic::Status`.
//! - [`clock`]: the county's `today()` (UTC+8).
//! - [`labels`]: an enum's fixed texts and its `Display` from one table ([`labels!`]).
//! - [`admin`]: the admin listener (`/livez`, `/readyz`, `/metrics`) on its own port,
//!   and the database watcher that health and readiness follow.
//! - [`metrics`]: the process's Prometheus recorder, the per-call metrics layer
//!   (outermost), pool and query gauges.
//! - [`settings`]: typed settings from flags and `XK_*` environment variables.
//! - [`auth`]: bearer token -> [`auth::Principal`], and who may read or write which service.
//! - [`layers`]: the tower stack (calls -> trace -> auth -> deadline -> load shed +
//!   concurrency limit -> conflict retry), assembled in one place ([`server`]).
//! - [`connections`]: the accept loop: connection limit, handshake and idle timeouts,
//!   backoff on EMFILE.
//! - [`budget`]: request bytes in flight per service and per connection; calls in flight
//!   per connection.
//! - [`shed`]: the bounded write and read queues (depth, running calls, wait bound) under
//!   one concurrency cap, gRPC health exempt.
//! - [`errors`]: building `tonic::Status` with field violations and precondition details;
//!   database errors to status.
//! - [`db`]: connecting by URL (SQLite default, PostgreSQL), pragmas, the write lock,
//!   migrations, refusing a schema newer than the binary.
//! - [`idempotency`]: the request-id table and the audit log, written in the same
//!   transaction as the work.
//! - [`migration`]: the runtime's own tables and what the services' migrations and entities
//!   share: column kinds, tables and indexes written as data, the entity boilerplate, the
//!   migrator.
//! - [`rollup`]: per-village running totals kept by triggers and refreshed in the write
//!   transaction's commit, built at start, verified against the rows.
//! - [`partition`]: PostgreSQL partitioning of a service's big tables by county (an
//!   option for a province's database), keys kept unique across partitions.
//! - [`retry`]: running a unary call again when its transaction lost a race (the
//!   innermost layer).
//! - [`rpc`]: the service shell as macros: the tonic trait impl from tables of RPCs, the
//!   size-limited routes, the test that a spec names its generated service.
//! - [`scope`]: the region, grouping level and day every `SummarizeByRegion` asks for.
//! - [`paging`]: page sizes and opaque page tokens bound to their filter.
//! - [`query`]: the store query shapes every service repeats: region prefix ranges, keyset
//!   pages, NOT_FOUND lookups, SummarizeByRegion's grouped counts and totals.
//! - [`policy`]: effective-dated policy books keyed by policy year.
//! - [`book_checks`]: test support for the refusals every service's policy loader shares.
//! - [`service`]: what every service's API value holds ([`service::Backend`]: its database
//!   and policy book) and the macro declaring the service's own type around it.
//! - [`server`]: hosting a service on a listener with health, reflection and graceful
//!   shutdown.
//! - [`telemetry`]: tracing setup and masking helpers for logs.
//! - [`traces`]: OpenTelemetry span export (OTLP) and W3C trace context across services.
//! - [`violation`]: field violations that carry their status kind (domain modules).
//! - [`nesting`]: a nested part's violations under its prefix.
//! - [`enums`]: a required proto enum field refused in one wording.

#![warn(missing_docs)]

pub mod admin;
pub mod api_error;
pub mod auth;
pub mod book_checks;
pub mod budget;
pub mod clock;
pub mod connections;
pub mod db;
pub mod enums;
pub mod errors;
pub mod group_commit;
pub mod idempotency;
pub mod import;
pub mod labels;
pub mod layers;
pub mod metrics;
pub mod migration;
pub mod nesting;
pub mod paging;
pub mod partition;
pub mod policy;
pub mod query;
pub mod retry;
pub mod rollup;
pub mod rpc;
pub mod scope;
pub mod server;
pub mod service;
pub mod settings;
pub mod shed;
pub mod telemetry;
pub mod traces;
pub mod violation;
pub mod write;

pub use api_error::{ApiError, required};
pub use auth::{Bureau, Principal, ServiceSpec, TokenTable};
pub use db::Db;
pub use errors::Violations;
pub use server::{HostedService, Listeners, start_service};
pub use settings::ServeSettings;
pub use write::Audit;

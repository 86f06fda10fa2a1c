//! `xk-health`: the health-insurance service of xiaokang (医保局, 基本医疗有保障).
//!
//! This crate currently holds only the pure domain core: no I/O, no async, no gRPC. The
//! `api` (tonic) and `store` (sea-orm) layers will depend on it, never the other way round.
//!
//! Module map:
//!
//! - [`domain`] — the rules, unit-tested in isolation.
//!   - [`domain::money`] — fen and basis points, and the one rounding rule
//!     ([`domain::money::apply_bp`]) every rate in the crate goes through.
//!   - [`domain::policy`] — one coverage year's policy ([`domain::Policy`]) and the book of
//!     years ([`domain::PolicyBook`]) loaded and validated from TOML; the default book is the
//!     crate's `policy.toml`, embedded at build time.
//!   - [`domain::settlement`] — the four-layer hospital settlement of one case
//!     ([`domain::settle`]), the per-person per-year cumulative state
//!     ([`domain::YearToDate`]), re-settling a year ([`domain::settle_all`]) and undoing
//!     the latest settlement ([`domain::reverse`]).

pub mod domain;

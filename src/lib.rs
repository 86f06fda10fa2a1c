//! The `xiaokang` suite: hosting services in one process or one at a time, and the tools
//! operators and tests use around them.
//!
//! Module map:
//! - [`catalog`]: which services exist (a leaf: `suite` and `client` both read it).
//! - [`suite`]: how each service is hosted (the CLI and the tests share it).
//! - [`testing`]: `spawn`-style helpers that start a real service on port 0 with a fresh
//!   database (SQLite file or a new PostgreSQL database) and hand back authenticated clients.
//! - [`client`]: calling a running suite: bearer tokens, service addresses, channels.
//! - [`published`]: the county's published 2019 figures (DOMAIN.md §1), a leaf.
//! - [`fixtures`]: records built from an index, the county-sized seeds that the tests,
//!   the benchmarks and the demo share.
//! - [`demo`]: the demo county (Gucheng's published 2019 figures), its loader and checks.
//! - [`report`]: the county summary rendered as a table, JSON or a self-contained HTML page.
//! - [`loadtest`]: the load-test engine behind `xiaokang loadtest` (mix, open and closed
//!   loops, step mode, per-RPC histograms, memory watch).
//! - [`cli`]: the `xiaokang` commands: `up`, `serve`, `health`, `migrate`, `demo`, `report`,
//!   `loadtest`, `bench`.

#![warn(missing_docs)]

pub mod catalog;
pub mod cli;
pub mod client;
pub mod demo;
pub mod fixtures;
pub mod loadtest;
pub mod published;
pub mod report;
pub mod suite;
pub mod testing;

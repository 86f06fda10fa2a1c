//! The `xiaokang` suite: hosting services in one process or one at a time, and the tools
//! operators and tests use around them.
//!
//! Module map:
//! - [`suite`]: which services exist and how each is hosted (the CLI and the tests share it).
//! - [`testing`]: `spawn`-style helpers that start a real service on port 0 with a fresh
//!   database (SQLite file or a new PostgreSQL database) and hand back authenticated clients.
//! - [`client`]: calling a running suite: bearer tokens, service addresses, channels.
//! - [`loadtest`]: the load-test engine behind `xiaokang loadtest` (mix, open and closed
//!   loops, step mode, per-RPC histograms, memory watch).
//! - [`cli`]: the `xiaokang` commands: `up`, `serve`, `health`, `migrate`, `bench`,
//!   `loadtest`.

pub mod cli;
pub mod client;
pub mod loadtest;
pub mod suite;
pub mod testing;

//! Hardening against hostile clients (issue 19): the byte budget, connection limits and
//! timeouts, the accept loop under a file-descriptor shortage, and health exempt from
//! load shedding.
//!
//! Where a figure is per process (RSS, CPU, open files) the test runs the real
//! `xiaokang serve registry` as a child process, as tests/crash.rs does, and reads
//! /proc/<pid>; the rest host the service in-process on port 0.
//!
//! Module map: [`child`] (`xiaokang serve registry` as a child process and its /proc
//! figures), then the tests by concern: [`budget`] (the byte budget, with an import batch
//! padded to just under the message limit), [`connections`] (connection limits, timeouts,
//! the fd shortage), [`shedding`] (health exempt from load shedding), [`queues`] (the
//! bounded write and read queues: refused at once, reads apart from writes, the wait
//! bound).

#[path = "../common/mod.rs"]
mod common;

mod budget;
mod child;
mod connections;
mod queues;
mod shedding;

/// The admin token of the child processes (the server needs >= 16 characters).
const TOKEN: &str = "limits-test-token-0123456789";
/// A village of 城关镇.
const VILLAGE: &str = "420625100201";

//! The health-insurance service over real gRPC: a service on port 0 with a fresh database
//! (SQLite, or PostgreSQL with XK_TEST_DATABASE=postgres), called through the generated
//! client with bearer tokens. Expected settlements come from the pure engine
//! (`xk_health::domain`) on the same inputs.

#[path = "../common/health.rs"]
mod support;

mod access;
mod bad_input;
mod enrolments;
mod partition;
mod rollups;
mod seed;
mod settlement;

//! ListAtRiskHouseholds over real gRPC: the five services on port 0 (SQLite, or
//! PostgreSQL with XK_TEST_DATABASE=postgres), a small county where every monitoring
//! trigger fires for some households and not for others (with the edge cases: income
//! exactly at the line, a fall of exactly 30%, payments exactly at the thresholds), and
//! the aggregator's answer checked against the test's own computation of the triggers.
//!
//! | module | what it holds |
//! |---|---|
//! | `county` | the five services and the aggregator, each stoppable on its own |
//! | `fixtures` | the households loaded, and the triggers the test computes for them itself |
//! | `load` | loading the fixtures through the services' public RPCs |
//! | `stream` | reading a ListAtRiskHouseholds stream |
//! | `walk` | the walk: exact, ordered, batched, resumable; small upstream pages; services down |
//! | `measure` | a county-sized walk, timed (ignored) |

#[path = "../common/mod.rs"]
mod common;
mod county;
mod fixtures;
mod load;
mod measure;
mod stream;
mod walk;

//! The aggregator over real gRPC: the five services on port 0, each with a fresh database
//! (SQLite, or PostgreSQL with XK_TEST_DATABASE=postgres), a small county loaded through
//! their public RPCs, and the aggregator pointed at them.
//!
//! | module | what it holds |
//! |---|---|
//! | `support` | starting the aggregator, its client, reading a summary |
//! | `county` | the five services and the small county loaded into them, with its expected figures |
//! | `summary_file` | the summary, the household file, exit eligibility and snapshots over the county |
//! | `faults` | services down, silent or replicated |
//! | `policy` | exit eligibility judged with the registry's own policy book (GetPolicy) |

#[path = "../common/mod.rs"]
mod common;
mod county;
mod faults;
mod policy;
mod summary_file;
mod support;

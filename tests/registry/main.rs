//! The registry over real gRPC: a service on port 0 with a fresh database (SQLite, or
//! PostgreSQL with XK_TEST_DATABASE=postgres), called through the generated client.
//!
//! | module | what it holds |
//! |---|---|
//! | `bulk` | the bulk path: a load without syncs or rollups, then a normal start |
//! | `households` | one household at a time: create, get, list, update, bad input, policy years |
//! | `import` | import batches, export, paging, load shedding |
//! | `partition` | PostgreSQL partitioning by county: rows, keys, pruning, a move, a later county |
//! | `rollups` | every write keeps the per-village rollups equal to the rows; rollups = rows = RPC |
//! | `rules` | exit, monitoring, removal and their rule ids; villages |
//! | `serving` | auth matrix, health, reflection, shutdown, audit log |

mod bulk;
#[path = "../common/mod.rs"]
mod common;
mod households;
mod import;
mod partition;
mod rollups;
mod rules;
mod serving;

use tonic_types::StatusExt;
use xiaokang::testing::TestService;
use xk_contracts::pb::registry::v1::*;

use common::household;

const V1: &str = "420625100201"; // 城关镇, a village
const V2: &str = "420625101202"; // 石花镇
const V3: &str = "420625101001"; // 石花镇, a community

/// A registry on port 0 with a fresh database.
async fn start() -> TestService {
    TestService::start(xk_registry::SPEC).await.unwrap()
}

/// An import batch of poor two-person households numbered `range` in V1.
fn batch(id: &str, range: std::ops::Range<u32>) -> ImportHouseholdsRequest {
    ImportHouseholdsRequest {
        request_id: id.into(),
        households: range
            .map(|n| household(n, V1, 2, ArchiveStatus::Poor))
            .collect(),
    }
}

/// The rule ids of a FAILED_PRECONDITION status.
fn rule_ids(s: &tonic::Status) -> Vec<String> {
    s.get_details_precondition_failure()
        .map(|p| p.violations.into_iter().map(|v| v.r#type).collect())
        .unwrap_or_default()
}

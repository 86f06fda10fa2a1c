//! The gRPC face of the registry, one file per resource's RPCs. Every write reads:
//! validate (INVALID_ARGUMENT, nothing touched) -> the runtime's idempotent, audited
//! transaction ([`xk_runtime::Db::write`], or [`xk_runtime::write::update`] for a change to
//! one household) -> response. Handlers return [`xk_runtime::ApiError`]; `service` is
//! the tonic trait, where it becomes a status.
//!
//! - `households`: CreateHousehold, UpdateHousehold, and the change every household RPC
//!   goes through (lock, rule, save, publish to the cache).
//! - `import`: ImportHouseholds through the runtime's import loop.
//! - `changes`: the one handler of the changes to one household, each request supplying
//!   its checks and rule in its resource's module: `exit`: RecordIncome, RecordExit.
//!   `monitoring`: RecordMonitoring, AdvanceMonitoring. `members`: RemoveMember. `villages`: UpsertVillage, ListVillages.
//!   `expenses`: RecordDisasterExpense, ListDisasterExpenses. `policy`: GetPolicy.
//! - `reads`: GetHousehold, ListHouseholds, ExportHouseholds, SummarizeByRegion.
//! - `fields`: the field checks several RPCs share; `messages`: what the write responses
//!   have in common (the household answered). Both leaves.

mod changes;
mod exit;
mod expenses;
mod fields;
mod households;
mod import;
mod members;
mod messages;
mod monitoring;
mod policy;
mod reads;
mod service;
mod villages;

use std::ops::Deref;
use std::sync::Arc;

use xk_contracts::pb::registry::v1::{ArchiveStatus, MonitoringCategory};
use xk_runtime::Db;
use xk_runtime::policy::PolicyBook;
use xk_runtime::service::Backend;

use crate::policy::RegistryPolicy;
use crate::store::cache::RecordCache;

/// Largest number of households in one import batch.
pub const MAX_IMPORT_BATCH: usize = 5000;
/// Households per message of ExportHouseholds.
pub const EXPORT_CHUNK: u64 = 500;

/// The registry service implementation: the runtime's [`Backend`] (the database and the
/// policy numbers by year, read through `Deref`) and the registry's record cache.
#[derive(Clone)]
pub struct RegistryApi {
    /// The registry's own database and its policy book.
    backend: Backend<RegistryPolicy>,
    /// Records in memory when this process is the only writer (SQLite); see
    /// [`crate::store::cache`].
    cache: Option<Arc<RecordCache>>,
}

impl Deref for RegistryApi {
    type Target = Backend<RegistryPolicy>;

    fn deref(&self) -> &Self::Target {
        &self.backend
    }
}

/// Records the embedded cache may hold: several counties' archives.
pub const CACHE_CAPACITY: usize = 200_000;

impl RegistryApi {
    /// A service over a migrated database.
    pub fn new(db: Db, policy: PolicyBook<RegistryPolicy>) -> Self {
        let cache = db
            .is_single_writer()
            .then(|| Arc::new(RecordCache::new(CACHE_CAPACITY)));
        Self {
            backend: Backend::new(db, policy),
            cache,
        }
    }

    /// How this database reads a household by id: through the key table's county once the
    /// households are partitioned ([`xk_runtime::partition::Lookup`]).
    fn lookup(&self) -> xk_runtime::partition::Lookup {
        self.db.lookup(crate::store::HOUSEHOLDS_TABLE)
    }
}

/// A status filter from the wire: 0 = any; unknown numbers are an error.
fn status_filter(v: i32) -> Result<Option<ArchiveStatus>, String> {
    match ArchiveStatus::try_from(v) {
        Ok(ArchiveStatus::Unspecified) => Ok(None),
        Ok(s) => Ok(Some(s)),
        Err(_) => Err(format!("unknown status {v}")),
    }
}

/// A monitoring-category filter from the wire: 0 = any.
fn category_filter(v: i32) -> Result<Option<MonitoringCategory>, String> {
    match MonitoringCategory::try_from(v) {
        Ok(MonitoringCategory::Unspecified) => Ok(None),
        Ok(c) => Ok(Some(c)),
        Err(_) => Err(format!("unknown monitoring category {v}")),
    }
}

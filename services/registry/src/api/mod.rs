//! The gRPC face of the registry: validate and map the request, call the domain rules and
//! the store inside one write transaction with the idempotency claim and the audit row,
//! and map errors through [`crate::error::RegistryError`].

mod expenses;
mod policy;
mod reads;
mod service;
mod writes;

use std::sync::Arc;

use xk_contracts::pb::registry::v1::{ArchiveStatus, MonitoringCategory};
use xk_runtime::Db;
use xk_runtime::policy::PolicyBook;

use crate::policy::RegistryPolicy;
use crate::store::cache::RecordCache;

/// Largest number of households in one import batch.
pub const MAX_IMPORT_BATCH: usize = 5000;
/// Households per message of ExportHouseholds.
pub const EXPORT_CHUNK: u64 = 500;

/// The registry service implementation.
#[derive(Clone)]
pub struct RegistryApi {
    /// The registry's own database.
    db: Db,
    /// Policy numbers by year.
    policy: Arc<PolicyBook<RegistryPolicy>>,
    /// Records in memory when this process is the only writer (SQLite); see
    /// [`crate::store::cache`].
    cache: Option<Arc<RecordCache>>,
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
            db,
            policy: Arc::new(policy),
            cache,
        }
    }

    /// TRANSITIONAL(i20): the old fallback (earliest entry before the book starts), kept
    /// only until the registry moves to `PolicyBook::require`.
    fn policy_in(&self, year: i32) -> &RegistryPolicy {
        match self.policy.for_year(year) {
            Some(p) => p,
            None => self
                .policy
                .iter()
                .next()
                .map(|(_, p)| p)
                .unwrap_or_else(|| unreachable!()),
        }
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

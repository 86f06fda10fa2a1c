//! The gRPC face of the water service: map and validate the request (through the domain),
//! then run the store inside one write transaction with the idempotency claim and the
//! audit row, and map errors through [`crate::error::WaterError`].

pub mod mapping;
mod reads;
mod service;
mod writes;

use std::sync::Arc;

use chrono::NaiveDate;

use crate::domain::PolicyBook;
use xk_runtime::Db;

/// Largest number of assessments in one import batch: bounds the transaction and the
/// message, while 2,000-record batches load a county in a few seconds.
pub const MAX_IMPORT_BATCH: usize = 5000;

/// Largest number of household ids one NEVER_ASSESSED query may carry (one page of the
/// caller's own list).
pub const MAX_QUERY_HOUSEHOLDS: usize = 1000;

/// The water service implementation.
#[derive(Clone)]
pub struct WaterApi {
    /// The service's own database.
    db: Db,
    /// Grading thresholds and input bounds by policy year.
    book: Arc<PolicyBook>,
}

impl WaterApi {
    /// A service over a migrated database, grading with `book`.
    pub fn new(db: Db, book: PolicyBook) -> Self {
        Self {
            db,
            book: Arc::new(book),
        }
    }
}

/// Today's date in the county's time zone (UTC+8), for "not in the future" checks.
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

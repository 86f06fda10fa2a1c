//! The gRPC face of the housing service: check and map the request, call the domain
//! rules and the store inside one write transaction with the idempotency claim and the
//! audit row, and map errors through [`crate::error::HousingError`].

pub mod convert;
mod reads;
mod service;
mod writes;

use std::sync::Arc;

use chrono::NaiveDate;
use xk_runtime::Db;

use crate::domain::policy::PolicyBook;

/// Largest number of households in one import batch, so one transaction stays short.
pub const MAX_IMPORT_BATCH: usize = 5000;

/// The housing service implementation.
#[derive(Clone)]
pub struct HousingApi {
    /// The service's own database.
    db: Db,
    /// Policy figures by relocation batch year (area red line, debt cap, …).
    policy: Arc<PolicyBook>,
}

impl HousingApi {
    /// A service over a migrated database.
    pub fn new(db: Db, policy: PolicyBook) -> Self {
        Self {
            db,
            policy: Arc::new(policy),
        }
    }
}

/// Today's date in the county's time zone (UTC+8), for "not in the future" checks.
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

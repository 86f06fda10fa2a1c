//! The gRPC face of the education service: validate and map the request, apply the domain
//! rules and the store inside one write transaction with the idempotency claim and the
//! audit row, and map errors through [`crate::error::EducationError`].

mod convert;
mod expenses;
mod reads;
mod service;
mod subsidies;
mod writes;

use std::sync::Arc;

use chrono::NaiveDate;
use xk_runtime::Db;

use crate::domain::policy::{Policy, PolicyBook};

/// Largest number of students in one import batch: bounds a batch's transaction and
/// its memory.
pub const MAX_IMPORT_BATCH: usize = 5000;

/// The education service implementation.
#[derive(Clone)]
pub struct EducationApi {
    /// The service's own database.
    db: Db,
    /// Policy numbers by policy year.
    policy: Arc<PolicyBook>,
}

impl EducationApi {
    /// A service over a migrated database.
    pub fn new(db: Db, policy: PolicyBook) -> Self {
        Self {
            db,
            policy: Arc::new(policy),
        }
    }

    /// The policy of the school year containing `on`.
    fn policy_on(&self, on: NaiveDate) -> &Policy {
        crate::policy::policy_on(&self.policy, on)
    }
}

/// Today in the county (UTC+8), the day rules are judged on.
pub fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

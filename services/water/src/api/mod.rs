//! The gRPC face of the water service, one file per resource (mini-redis keeps one command
//! per file): each write RPC reads validate (INVALID_ARGUMENT, nothing touched) →
//! [`xk_runtime::Db::write`] / [`xk_runtime::write::update`] /
//! [`xk_runtime::import::run`] (the domain rule and the store change in one idempotent,
//! audited transaction) → response. Handlers return [`xk_runtime::ApiError`]; the tonic
//! trait in `service` turns it into a `Status` through its one mapping.
//!
//! | module | RPCs |
//! |---|---|
//! | `schemes` | CreateScheme, GetScheme, UpdateScheme, ListSchemes, DeleteScheme |
//! | `assessments` | RecordAssessment, ImportAssessments |
//! | `households` | GetHouseholdWater, ListExceptions, SummarizeByRegion |
//! | `villages` | SetVillageArea, ListVillageAreas |
//! | [`mapping`] | proto ↔ domain: validate and grade an assessment as sent, check a scheme |

mod assessments;
mod households;
pub mod mapping;
mod schemes;
mod service;
mod villages;

use std::sync::Arc;

use crate::domain::{PolicyBook, Thresholds};
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
    book: Arc<PolicyBook<Thresholds>>,
}

impl WaterApi {
    /// A service over a migrated database, grading with `book`.
    pub fn new(db: Db, book: PolicyBook<Thresholds>) -> Self {
        Self {
            db,
            book: Arc::new(book),
        }
    }
}

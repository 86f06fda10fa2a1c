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

use crate::domain::Thresholds;

/// Largest number of assessments in one import batch: bounds the transaction and the
/// message, while 2,000-record batches load a county in a few seconds.
pub const MAX_IMPORT_BATCH: usize = 5000;

/// Largest number of household ids one NEVER_ASSESSED query may carry (one page of the
/// caller's own list).
pub const MAX_QUERY_HOUSEHOLDS: usize = 1000;

xk_runtime::service_api! {
    /// The water service implementation: its database and the grading thresholds and
    /// input bounds by policy year.
    pub struct WaterApi(Backend<Thresholds>);
}

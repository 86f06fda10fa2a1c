//! The gRPC face of the housing service, one file per resource's RPCs: check the request
//! (INVALID_ARGUMENT, nothing touched), then one idempotent, audited transaction
//! ([`xk_runtime::Db::write`], or [`xk_runtime::write::update`] for a versioned record)
//! around the domain rule and the store change, then the response. Errors are
//! [`xk_runtime::ApiError`]s, mapped to statuses once, in [`service`].
//!
//! | file | RPCs |
//! |---|---|
//! | `sites.rs` | CreateSite, UpdateSite, DeleteSite |
//! | `relocations.rs` | CreateRelocation, UpdateRelocation; the change of one record all milestone RPCs share |
//! | `import.rs` | ImportRelocations |
//! | `milestones.rs` | RecordMoveIn, RecordDemolition, RecordReclamation |
//! | `support.rs` | AddSupportMeasure |
//! | `appraisals.rs` | RecordAppraisal, CompleteRenovation |
//! | `reads.rs` | every read |

mod appraisals;
pub mod convert;
mod import;
mod milestones;
mod reads;
mod relocations;
mod service;
mod sites;
mod support;

use std::sync::Arc;

use prost::Message;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::policy::PolicyBook;
use xk_runtime::{ApiError, Db, Principal};

use crate::domain::policy::Policy;

/// Largest number of households in one import batch, so one transaction stays short.
pub const MAX_IMPORT_BATCH: usize = 5000;

/// The housing service implementation.
#[derive(Clone)]
pub struct HousingApi {
    /// The service's own database.
    db: Db,
    /// Policy figures by relocation batch year (area red line, debt cap, …).
    policy: Arc<PolicyBook<Policy>>,
}

impl HousingApi {
    /// A service over a migrated database.
    pub fn new(db: Db, policy: PolicyBook<Policy>) -> Self {
        Self {
            db,
            policy: Arc::new(policy),
        }
    }
}

/// The idempotency claim of the write RPC `method` from `principal`, keyed by the request's
/// `request_id` field.
fn claim<M: Message>(
    principal: Principal,
    method: &'static str,
    request_id: &str,
    request: &M,
) -> Result<Idempotent, ApiError> {
    Ok(Idempotent::new(
        principal,
        method,
        request_id,
        "request_id",
        request,
    )?)
}

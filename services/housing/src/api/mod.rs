//! The gRPC face of the housing service, one file per resource's RPCs, each RPC a
//! [`Write`] or [`Read`] implemented on its request message (like mini-redis's commands):
//! check the request (INVALID_ARGUMENT, nothing touched), then one idempotent, audited
//! transaction ([`xk_runtime::Db::write`], or [`xk_runtime::write::update`] for a
//! versioned record) around the domain rule and the store change, then the response.
//! Errors are [`xk_runtime::ApiError`]s, mapped to statuses once, in `service.rs`.
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
use xk_runtime::{ApiError, Db};

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

/// A write RPC, implemented on its request message. [`service`] claims the request id;
/// `handle` checks the request (INVALID_ARGUMENT, nothing touched), then does the whole
/// write under that claim in one idempotent, audited transaction
/// ([`xk_runtime::Db::write`], or [`xk_runtime::write::update`] for a versioned record).
trait Write: Message + Sized {
    /// The RPC's response.
    type Reply;

    /// Runs the RPC for a request claimed under `idem`.
    fn handle(
        self,
        api: &HousingApi,
        idem: &Idempotent,
    ) -> impl Future<Output = Result<Self::Reply, ApiError>> + Send;
}

/// A read RPC, implemented on its request message.
trait Read {
    /// The RPC's response.
    type Reply;

    /// Runs the RPC.
    fn handle(self, api: &HousingApi)
    -> impl Future<Output = Result<Self::Reply, ApiError>> + Send;
}

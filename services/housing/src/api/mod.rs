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

use prost::Message;
use xk_runtime::ApiError;
use xk_runtime::idempotency::Idempotent;

use crate::domain::policy::Policy;

/// Largest number of households in one import batch, so one transaction stays short.
pub const MAX_IMPORT_BATCH: usize = 5000;

xk_runtime::service_api! {
    /// The housing service implementation: its database and the policy figures by
    /// relocation batch year (area red line, debt cap, …).
    pub struct HousingApi(Backend<Policy>);
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

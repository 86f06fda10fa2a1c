//! RemoveMember: a person leaves the archive (death, a move, a wrong identification).

use xk_contracts::pb::registry::v1::{RemovalReason, RemoveMemberRequest, RemoveMemberResponse};
use xk_contracts::types::ResidentId;
use xk_runtime::ApiError;
use xk_runtime::enums::known;
use xk_runtime::idempotency::Idempotent;

use super::RegistryApi;
use super::fields::DatedChange;
use crate::domain::members::remove_member;

impl RegistryApi {
    /// RemoveMember: NOT_FOUND for a person who is not a current member.
    pub(super) async fn remove_member(
        &self,
        idem: Idempotent,
        req: RemoveMemberRequest,
    ) -> Result<RemoveMemberResponse, ApiError> {
        let mut change = DatedChange::new(&req.household_id);
        let resident = ResidentId::parse(&req.resident_id, change.today);
        let resident = change.v.check("resident_id", resident);
        change.on("removed_on", req.removed_on.as_ref());
        let reason = change.v.check("reason", known(req.reason, "reason"));
        let (id, on) = change.checked()?;
        let resident = resident.map(|r| r.as_str().to_string()).unwrap_or_default();
        let reason = reason.unwrap_or(RemovalReason::Unspecified);
        let remove = |h: &mut _| remove_member(h, &resident, reason, on);
        self.change_household(&idem, &id, None, remove).await
    }
}

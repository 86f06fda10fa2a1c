//! RemoveMember: a person leaves the archive (death, a move, a wrong identification), a
//! change to one household ([`HouseholdChange`]).

use chrono::NaiveDate;
use xk_contracts::pb::registry::v1::{Household, RemovalReason, RemoveMemberRequest};
use xk_contracts::types::ResidentId;
use xk_runtime::ApiError;
use xk_runtime::enums::known;

use super::RegistryApi;
use super::changes::{HouseholdChange, Rule};
use super::fields::DatedChange;
use crate::domain::members::remove_member;

/// RemoveMember: NOT_FOUND for a person who is not a current member.
impl HouseholdChange for RemoveMemberRequest {
    type Fields = (Option<ResidentId>, Option<RemovalReason>);

    fn check(self, change: &mut DatedChange) -> Self::Fields {
        let resident = ResidentId::parse(&self.resident_id, change.today);
        let resident = change.v.check("resident_id", resident);
        change.on("removed_on", self.removed_on.as_ref());
        let reason = change.v.check("reason", known(self.reason, "reason"));
        (resident, reason)
    }

    fn rule(
        (resident, reason): Self::Fields,
        on: NaiveDate,
        _api: &RegistryApi,
    ) -> Result<Rule<'_>, ApiError> {
        let resident = resident.map(|r| r.as_str().to_string()).unwrap_or_default();
        let reason = reason.unwrap_or(RemovalReason::Unspecified);
        Ok(Box::new(move |h: &mut Household| {
            remove_member(h, &resident, reason, on)
        }))
    }
}

//! What the registry's write responses have in common, so the shell handles it once: most
//! carry the one household the write changed. A leaf: it uses nothing else of the api.

use prost::Message;
use xk_contracts::pb::registry::v1::*;

/// A write response that is the household as stored after the write.
pub(super) trait HouseholdAnswer: Message + Default {
    /// The response carrying `household`.
    fn answer(household: Household) -> Self;
}

macro_rules! household_answers {
    ($($response:ty),+ $(,)?) => {$(
        impl HouseholdAnswer for $response {
            fn answer(household: Household) -> Self {
                Self { household: Some(household) }
            }
        }
    )+};
}

household_answers!(
    UpdateHouseholdResponse,
    RecordIncomeResponse,
    RecordExitResponse,
    RecordMonitoringResponse,
    AdvanceMonitoringResponse,
    RemoveMemberResponse,
);

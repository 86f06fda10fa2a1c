//! What the registry's write messages have in common, so the shell handles it once: every
//! write request carries a request id under its RPC's name, and most write responses
//! carry the one household the write changed. A leaf: it uses nothing else of the api.

use prost::Message;
use xk_contracts::pb::registry::v1::*;

/// A write RPC's request.
pub(super) trait WriteRequest: Message + Sized {
    /// The RPC's name, for the idempotency key and the audit log.
    const METHOD: &'static str;

    /// The caller's id for this request, under which a retry is answered once.
    fn request_id(&self) -> &str;
}

/// A write response that is the household as stored after the write.
pub(super) trait HouseholdAnswer: Message + Default {
    /// The response carrying `household`.
    fn answer(household: Household) -> Self;
}

macro_rules! write_requests {
    ($($request:ty => $method:literal),+ $(,)?) => {$(
        impl WriteRequest for $request {
            const METHOD: &'static str = $method;
            fn request_id(&self) -> &str {
                &self.request_id
            }
        }
    )+};
}

write_requests! {
    CreateHouseholdRequest => "CreateHousehold",
    UpdateHouseholdRequest => "UpdateHousehold",
    RecordIncomeRequest => "RecordIncome",
    RecordExitRequest => "RecordExit",
    RecordMonitoringRequest => "RecordMonitoring",
    AdvanceMonitoringRequest => "AdvanceMonitoring",
    RemoveMemberRequest => "RemoveMember",
    UpsertVillageRequest => "UpsertVillage",
    RecordDisasterExpenseRequest => "RecordDisasterExpense",
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

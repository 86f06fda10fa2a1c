//! The dated changes to one household (RecordIncome, RecordExit, RecordMonitoring,
//! AdvanceMonitoring, RemoveMember) as one handler, [`apply`]: each request supplies only
//! its fields' checks and its domain rule ([`HouseholdChange`], in its resource's module);
//! the sequence they share is written here once.

use chrono::NaiveDate;
use xk_contracts::pb::registry::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::Idempotent;

use super::RegistryApi;
use super::fields::DatedChange;
use super::messages::HouseholdAnswer;

/// A rule of the domain, applied to the locked household.
pub(super) type Rule<'a> = Box<dyn FnOnce(&mut Household) -> Result<(), ApiError> + Send + 'a>;

/// A request naming one household in its `household_id`, and the RPC's answer.
pub(super) trait HouseholdRequest: Send {
    /// The RPC's answer: the household as stored after the change.
    type Response: HouseholdAnswer;

    /// The household id, as sent.
    fn household_id(&self) -> &str;
}

/// The table says which requests name a household and what each answers.
macro_rules! household_requests {
    ($($request:ty => $response:ty;)+) => {$(
        impl HouseholdRequest for $request {
            type Response = $response;

            fn household_id(&self) -> &str {
                &self.household_id
            }
        }
    )+};
}

household_requests! {
    RecordIncomeRequest => RecordIncomeResponse;
    RecordExitRequest => RecordExitResponse;
    RecordMonitoringRequest => RecordMonitoringResponse;
    AdvanceMonitoringRequest => AdvanceMonitoringResponse;
    RemoveMemberRequest => RemoveMemberResponse;
}

/// A request that changes the household it names, on a date, by one rule of the domain.
pub(super) trait HouseholdChange: HouseholdRequest {
    /// What the rule needs of the request's own fields, as far as they were valid.
    type Fields: Send;

    /// Checks the request's fields other than the household id into `change`, in the
    /// request's field order (its date with [`DatedChange::on`], if it has one).
    fn check(self, change: &mut DatedChange) -> Self::Fields;

    /// The rule to apply to the locked household once every field is valid, the change
    /// taking effect `on`; an error here (no policy for the year) answers before anything
    /// is written.
    fn rule(fields: Self::Fields, on: NaiveDate, api: &RegistryApi) -> Result<Rule<'_>, ApiError>;
}

/// One change claimed under `idem`: checks the household id, then the request's fields
/// (INVALID_ARGUMENT naming every bad one, nothing touched), then applies the request's
/// rule through [`RegistryApi::change_household`] (no etag: the row lock orders writers).
pub(super) async fn apply<T: HouseholdChange>(
    api: &RegistryApi,
    idem: Idempotent,
    req: T,
) -> Result<T::Response, ApiError> {
    let mut change = DatedChange::new(req.household_id());
    let fields = req.check(&mut change);
    let (id, on) = change.checked()?;
    let rule = T::rule(fields, on, api)?;
    api.change_household(&idem, &id, None, rule).await
}

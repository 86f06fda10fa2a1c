//! Field checks several RPCs share. A leaf: it uses nothing else of the api.

use chrono::NaiveDate;
use xk_contracts::pb::common::v1::Date;
use xk_contracts::types::HouseholdId;
use xk_runtime::scope::required_date;
use xk_runtime::{ApiError, Violations, clock};

/// A household id in its stored form.
pub(super) fn household_id(v: &mut Violations, field: &str, s: &str) -> Option<String> {
    v.check(field, HouseholdId::parse(s))
        .map(|h| h.as_str().to_string())
}

/// A required message field, or INVALID_ARGUMENT naming it.
pub(super) use xk_runtime::required;

/// The start of every dated change to one household (an income, an exit, a monitoring
/// step, a removal): the household id and the date the change takes effect (today when the
/// request has none), checked into a list of violations the request adds its own fields' to.
pub(super) struct DatedChange {
    /// The county's date the request is judged on.
    pub today: NaiveDate,
    /// Every violation found so far.
    pub v: Violations,
    /// The household id, if well formed.
    id: Option<String>,
    /// The date of the change, if given, real and not in the future.
    on: Option<NaiveDate>,
}

impl DatedChange {
    /// Checks `household_id` (field `household_id`); the date comes with
    /// [`DatedChange::on`], so violations keep the order of the request's fields.
    pub fn new(household_id: &str) -> Self {
        let today = clock::today();
        let mut v = Violations::new();
        let id = self::household_id(&mut v, "household_id", household_id);
        DatedChange {
            today,
            v,
            id,
            on: None,
        }
    }

    /// Checks the date of the change, in field `field`.
    pub fn on(&mut self, field: &str, date: Option<&Date>) {
        self.on = required_date(&mut self.v, field, date, self.today);
    }

    /// The household id and the date, or INVALID_ARGUMENT naming every field found bad.
    pub fn checked(self) -> Result<(String, NaiveDate), ApiError> {
        self.v.into_result()?;
        Ok((self.id.unwrap_or_default(), self.on.unwrap_or(self.today)))
    }
}

//! Field checks more than one RPC uses. A leaf: values in, violations out.

use chrono::NaiveDate;
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::Date;
use xk_contracts::types::not_in_future;
use xk_runtime::Violations;

use super::MAX_CODE_LEN;

/// A required date: present, real, not in the future.
pub(super) fn required_date(
    v: &mut Violations,
    field: &str,
    d: Option<&Date>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    match d {
        None => {
            v.add(field, "required");
            None
        }
        Some(d) => v
            .check(field, date_from_pb(d))
            .and_then(|d| v.check(field, not_in_future(d, today))),
    }
}

/// Checks an institution's code, as stored and as referred to by cases.
pub(super) fn check_code(code: &str) -> Result<(), String> {
    crate::domain::check_code(code, "required", MAX_CODE_LEN, b"-_")
}

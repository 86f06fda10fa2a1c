//! Field checks more than one RPC uses. A leaf: values in, violations out.

use super::MAX_CODE_LEN;

/// Checks an institution's code, as stored and as referred to by cases.
pub(super) fn check_code(code: &str) -> Result<(), String> {
    crate::domain::check_code(code, "required", MAX_CODE_LEN, b"-_")
}

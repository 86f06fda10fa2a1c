//! The checks of single request fields every write shares: dates, free text, keys and
//! resident ids. Each adds a malformed-value violation naming its field and returns the
//! parsed value when there is one. A leaf of the api.

use chrono::NaiveDate;
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::Date;
use xk_contracts::types::{ResidentId, not_in_future};
use xk_runtime::enums;

use crate::domain::{FieldViolation, is_blank};

/// Longest free text accepted (school, teacher, recipient, references, notes): bounds rows.
pub const MAX_TEXT_CHARS: usize = 200;

/// Longest letter number, case id or survey id: they are keys.
pub const MAX_KEY_CHARS: usize = 64;

/// A required date: present and a real date (future dates are the domain's call).
pub fn req_date(v: &mut Vec<FieldViolation>, field: &str, d: Option<&Date>) -> Option<NaiveDate> {
    match d {
        None => {
            v.push(FieldViolation::invalid(field, "required"));
            None
        }
        Some(d) => match date_from_pb(d) {
            Ok(d) => Some(d),
            Err(e) => {
                v.push(FieldViolation::invalid(field, e.to_string()));
                None
            }
        },
    }
}

/// An optional date: absent, or a real date.
pub fn opt_date(v: &mut Vec<FieldViolation>, field: &str, d: Option<&Date>) -> Option<NaiveDate> {
    d.and_then(|d| req_date(v, field, Some(d)))
}

/// A required date that must not be after `today`.
pub fn past_date(
    v: &mut Vec<FieldViolation>,
    field: &str,
    d: Option<&Date>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let d = req_date(v, field, d)?;
    match not_in_future(d, today) {
        Ok(d) => Some(d),
        Err(e) => {
            v.push(FieldViolation::invalid(field, e.to_string()));
            None
        }
    }
}

/// A text field: required or not, and at most [`MAX_TEXT_CHARS`] characters.
pub fn text(v: &mut Vec<FieldViolation>, field: &str, s: &str, required: bool) {
    if required && is_blank(s) {
        v.push(FieldViolation::invalid(field, "required"));
    }
    if s.chars().count() > MAX_TEXT_CHARS {
        v.push(FieldViolation::invalid(
            field,
            format!("at most {MAX_TEXT_CHARS} characters"),
        ));
    }
}

/// A key (letter number, case id, survey id): required, printable, at most
/// [`MAX_KEY_CHARS`].
pub fn key(v: &mut Vec<FieldViolation>, field: &str, s: &str) {
    if s.trim().is_empty() {
        v.push(FieldViolation::invalid(field, "required"));
    } else if s.chars().count() > MAX_KEY_CHARS || s.chars().any(char::is_control) {
        v.push(FieldViolation::invalid(
            field,
            format!("at most {MAX_KEY_CHARS} printable characters"),
        ));
    }
}

/// A resident id of a request: valid, birth date not in the future; normalised (X).
pub fn resident_id(
    v: &mut Vec<FieldViolation>,
    field: &str,
    s: &str,
    today: NaiveDate,
) -> Option<ResidentId> {
    match ResidentId::parse(s, today) {
        Ok(id) => Some(id),
        Err(e) => {
            v.push(FieldViolation::invalid(field, e.to_string()));
            None
        }
    }
}

/// A required message field of a request, or INVALID_ARGUMENT naming it.
pub use xk_runtime::required;

/// A required enum field of a request (the wording every service shares,
/// [`enums::known`]): the value, or `None` and a violation naming `field`.
pub fn known<E: TryFrom<i32>>(
    v: &mut Vec<FieldViolation>,
    field: &str,
    value: i32,
    what: &str,
) -> Option<E> {
    let checked = enums::known(value, what);
    checked
        .map_err(|e| v.push(FieldViolation::invalid(field, e)))
        .ok()
}

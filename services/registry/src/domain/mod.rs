//! The registry's rules, as pure functions over the household record. No I/O.
//!
//! The record is the contract's `Household` message: the store keeps exactly what clients
//! read, so a read is one lookup with no mapping. These functions check new records and
//! apply status changes to them. A malformed request is a list of field violations
//! (INVALID_ARGUMENT); a broken rule is an [`xk_runtime::ApiError::rule`] with its id
//! from [`rule_ids`]; the runtime maps both to a status.
//!
//! - [`validate`]: a new or replaced household is well formed (ids, codes, head, years).
//! - [`exit`]: income and the exit from poverty.
//! - [`monitoring`]: the monitoring lifecycle and its alerts.
//! - [`members`]: member removal and replacement.
//! - [`record`]: the timeline and current members every rule reads (a leaf).
//! - [`rule_ids`]: every rule's stable id (a leaf).
//! - [`expenses`]: a disaster-expense figure is well formed (year, fen).

pub mod exit;
pub mod expenses;
pub mod members;
pub mod monitoring;
pub mod record;
pub mod rule_ids;
pub mod validate;

#[cfg(test)]
mod fixtures;

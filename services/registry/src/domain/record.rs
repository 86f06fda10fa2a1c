//! What every rule reads or writes on a household record: its timeline, its current
//! members, and the masked resident id its messages carry.

use chrono::NaiveDate;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::registry::v1::{ArchiveStatus, EventKind, Household, Member, StatusEvent};

/// Appends an event to the household's timeline.
pub fn append_event(h: &mut Household, kind: EventKind, on: NaiveDate, detail: String) {
    let seq = h.timeline.last().map_or(1, |e| e.seq + 1);
    h.timeline.push(StatusEvent {
        seq,
        kind: kind as i32,
        date: Some(date_to_pb(on)),
        detail,
    });
}

/// Current members (not removed).
pub fn active_members(h: &Household) -> impl Iterator<Item = &Member> {
    h.members.iter().filter(|m| m.removed_on.is_none())
}

/// Number of current members.
pub fn active_people(h: &Household) -> i64 {
    active_members(h).count() as i64
}

/// A resident id for messages and logs: first 6 and last 4 characters.
pub fn mask(resident_id: &str) -> String {
    match xk_contracts::types::ResidentId::parse_stored(resident_id) {
        Ok(id) => id.masked(),
        Err(_) => "******************".into(),
    }
}

/// The wire name of a stored status number, for messages and the timeline.
pub fn status_name(s: i32) -> &'static str {
    ArchiveStatus::try_from(s).map_or("UNKNOWN", |s| s.as_str_name())
}

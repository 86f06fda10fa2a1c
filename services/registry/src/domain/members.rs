//! Who belongs to a household: removing a member (dynamic adjustment: death, move, wrong
//! identification) and replacing the current members, village and causes (UpdateHousehold).

use chrono::NaiveDate;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::registry::v1::{
    ArchiveStatus, EventKind, Household, Relation, RemovalReason,
};
use xk_runtime::ApiError;

use super::record::{active_people, append_event, mask};
use super::rule_ids::{HEAD_WITH_MEMBERS, HOUSEHOLD_REMOVED, MEMBER_REMOVED};

/// Removes a member from the archive. The head cannot be removed while others remain
/// (name a new head with UpdateHousehold first); removing the last member removes the
/// household. NOT_FOUND for a resident id that is not a current member.
pub fn remove_member(
    h: &mut Household,
    resident_id: &str,
    reason: RemovalReason,
    on: NaiveDate,
) -> Result<(), ApiError> {
    let active = active_people(h);
    let Some(idx) = h
        .members
        .iter()
        .position(|m| m.resident_id == resident_id && m.removed_on.is_none())
    else {
        return Err(ApiError::not_found(
            "member",
            format!("{} of household {}", mask(resident_id), h.household_id),
        ));
    };
    if h.members[idx].relation == Relation::Head as i32 && active > 1 {
        return Err(ApiError::rule(
            HEAD_WITH_MEMBERS,
            "resident_id",
            "the head cannot be removed while other members remain: name a new head first",
        ));
    }
    h.members[idx].removed_on = Some(date_to_pb(on));
    h.members[idx].removal_reason = reason as i32;
    let mut detail = format!(
        "member {} removed: {}",
        mask(resident_id),
        reason.as_str_name()
    );
    if active == 1 {
        h.status = ArchiveStatus::Removed as i32;
        detail.push_str("; household removed from the archive");
    }
    append_event(h, EventKind::MemberRemoved, on, detail);
    Ok(())
}

/// Replaces village, causes and current members with those of `new`; removed members
/// stay as they were. A resident id of a removed member cannot come back as current.
pub fn replace_fields(h: &mut Household, new: Household, on: NaiveDate) -> Result<(), ApiError> {
    if h.status == ArchiveStatus::Removed as i32 {
        return Err(ApiError::rule(
            HOUSEHOLD_REMOVED,
            "household.household_id",
            "a removed household cannot be changed",
        ));
    }
    let removed: Vec<_> = h
        .members
        .iter()
        .filter(|m| m.removed_on.is_some())
        .cloned()
        .collect();
    if let Some(i) = new
        .members
        .iter()
        .position(|m| removed.iter().any(|r| r.resident_id == m.resident_id))
    {
        return Err(ApiError::rule(
            MEMBER_REMOVED,
            format!("household.members[{i}].resident_id"),
            "this person was removed from the household and cannot be sent as a current member",
        ));
    }
    h.village_code = new.village_code;
    h.causes = new.causes;
    let identified_year = h.identified_year;
    let mut members: Vec<_> = new
        .members
        .into_iter()
        .map(|mut m| {
            if m.registered_year == 0 {
                m.registered_year = identified_year;
            }
            m
        })
        .collect();
    // Keep registered years of people already in the household.
    for m in &mut members {
        if let Some(old) = h.members.iter().find(|o| o.resident_id == m.resident_id) {
            m.registered_year = old.registered_year;
        }
    }
    members.extend(removed);
    h.members = members;
    append_event(
        h,
        EventKind::Updated,
        on,
        "village, causes or members replaced".into(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{d, household, member, rule_of};

    #[test]
    fn removing_members() {
        let mut h = household("H", ArchiveStatus::Poor);
        let head = h.members[0].resident_id.clone();
        let spouse = h.members[1].resident_id.clone();
        let err = remove_member(&mut h, &head, RemovalReason::Death, d(2019, 1, 1)).unwrap_err();
        assert_eq!(rule_of(&err), HEAD_WITH_MEMBERS);
        remove_member(&mut h, &spouse, RemovalReason::MovedAway, d(2019, 1, 1)).unwrap();
        assert_eq!(active_people(&h), 1);
        let err =
            remove_member(&mut h, &spouse, RemovalReason::MovedAway, d(2019, 1, 2)).unwrap_err();
        assert!(
            matches!(err, ApiError::NotFound { what: "member", .. }),
            "{err:?}"
        );
        remove_member(&mut h, &head, RemovalReason::Death, d(2019, 2, 1)).unwrap();
        assert_eq!(h.status, ArchiveStatus::Removed as i32);
        assert!(
            !h.timeline.iter().any(|e| e.detail.contains(&head)),
            "no whole id in the timeline"
        );
        let err =
            replace_fields(&mut h, household("H", ArchiveStatus::Poor), d(2019, 3, 1)).unwrap_err();
        assert_eq!(rule_of(&err), HOUSEHOLD_REMOVED);
    }

    #[test]
    fn replacing_keeps_removed_members_and_registered_years() {
        let mut h = household("H", ArchiveStatus::Poor);
        h.members[1].registered_year = 2014;
        let spouse = h.members[1].resident_id.clone();
        let mut child = member(13, Relation::Child);
        child.registered_year = 2016;
        h.members.push(child);
        let child_id = h.members[2].resident_id.clone();
        remove_member(&mut h, &child_id, RemovalReason::MarriedOut, d(2018, 1, 1)).unwrap();

        let mut new = household("H", ArchiveStatus::Poor);
        new.village_code = "420625101202".into();
        new.members[1].registered_year = 2019;
        replace_fields(&mut h, new.clone(), d(2019, 1, 1)).unwrap();
        assert_eq!(h.village_code, "420625101202");
        assert_eq!(h.members.len(), 3);
        let s = h.members.iter().find(|m| m.resident_id == spouse).unwrap();
        assert_eq!(s.registered_year, 2014);

        let mut back = new;
        back.members.push(member(13, Relation::Child));
        let err = replace_fields(&mut h, back, d(2019, 2, 1)).unwrap_err();
        assert_eq!(rule_of(&err), MEMBER_REMOVED);
        let ApiError::Rule(breaches) = err else {
            unreachable!()
        };
        assert_eq!(breaches[0].subject, "household.members[2].resident_id");
    }
}

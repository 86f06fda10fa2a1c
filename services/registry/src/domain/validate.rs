//! Well-formedness of a household sent by a client (create, import, update). Every
//! violation is collected with its field path so the caller can fix them all at once.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::registry::v1::{
    ArchiveStatus, HealthCondition, Household, LabourCapacity, Member, MonitoringCategory,
    MonitoringStage, PovertyCause, Relation, RemovalReason,
};
use xk_contracts::types::{HouseholdId, RegionCode, ResidentId};
use xk_runtime::Violations;

use super::monitoring::category_fits;
use crate::policy::RegistryPolicy;

/// Longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 50;
/// Most members in one household.
pub const MAX_MEMBERS: usize = 30;

/// Checks a name: 1-50 characters, no control characters.
pub fn check_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 || name.trim().is_empty() {
        return Err("required".into());
    }
    if n > MAX_NAME_CHARS {
        return Err(format!("at most {MAX_NAME_CHARS} characters, got {n}"));
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

fn enum_ok<E: TryFrom<i32>>(v: i32) -> bool {
    v != 0 && E::try_from(v).is_ok()
}

/// Where a new household comes from: what its members may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// CreateHousehold: a household as it stands; members leave later through
    /// RemoveMember.
    Create,
    /// ImportHouseholds: an existing archive moved over with its history, so members who
    /// left before the import arrive with their removal date and reason.
    Import,
}

/// Normalises and checks a household for creation or import. `p` is the field path
/// prefix (`household.` or `households[3].`). Resident ids are normalised (lowercase x to
/// X) and members' registered years defaulted in place.
pub fn new_household(
    h: &mut Household,
    p: &str,
    today: NaiveDate,
    policy: &RegistryPolicy,
    origin: Origin,
    v: &mut Violations,
) {
    v.check(
        format!("{p}household_id"),
        HouseholdId::parse(&h.household_id),
    );
    common_fields(h, p, today, origin, v);
    let status = ArchiveStatus::try_from(h.status).unwrap_or(ArchiveStatus::Unspecified);
    let year = today.year();
    if h.identified_year < policy.earliest_identified_year || h.identified_year > year {
        v.add(
            format!("{p}identified_year"),
            format!(
                "must be between {} and {year}, got {}",
                policy.earliest_identified_year, h.identified_year
            ),
        );
    }
    match status {
        ArchiveStatus::Poor => {
            if h.exited_year != 0 {
                v.add(format!("{p}exited_year"), "must be 0 for a poor household");
            }
        }
        ArchiveStatus::Exited => {
            if h.exited_year < h.identified_year || h.exited_year > year {
                v.add(
                    format!("{p}exited_year"),
                    format!(
                        "must be between identified_year {} and {year}, got {}",
                        h.identified_year, h.exited_year
                    ),
                );
            }
        }
        ArchiveStatus::MonitoredOnly => {
            if h.exited_year != 0 {
                v.add(
                    format!("{p}exited_year"),
                    "must be 0 for a monitored-only household",
                );
            }
            if h.monitoring.is_none() {
                v.add(
                    format!("{p}monitoring"),
                    "required: a household outside the archive is recorded only while monitored",
                );
            }
        }
        ArchiveStatus::Removed | ArchiveStatus::Unspecified => v.add(
            format!("{p}status"),
            "must be POOR, EXITED or MONITORED_ONLY on creation",
        ),
    }
    if let Some(m) = &h.monitoring {
        let cat =
            MonitoringCategory::try_from(m.category).unwrap_or(MonitoringCategory::Unspecified);
        if !category_fits(cat, status) {
            v.add(
                format!("{p}monitoring.category"),
                "must fit the status: UNSTABLE_EXITED for EXITED, EDGE for MONITORED_ONLY, SUDDEN_HARDSHIP for either",
            );
        }
        if !matches!(
            MonitoringStage::try_from(m.stage),
            Ok(MonitoringStage::Identified
                | MonitoringStage::HelpAssigned
                | MonitoringStage::RiskEliminated)
        ) {
            v.add(
                format!("{p}monitoring.stage"),
                "must be IDENTIFIED, HELP_ASSIGNED or RISK_ELIMINATED on creation",
            );
        }
        let identified = match &m.identified_on {
            None => {
                v.add(format!("{p}monitoring.identified_on"), "required");
                None
            }
            Some(d) => v
                .check(format!("{p}monitoring.identified_on"), date_from_pb(d))
                .and_then(|d| {
                    v.check(
                        format!("{p}monitoring.identified_on"),
                        xk_contracts::types::not_in_future(d, today),
                    )
                }),
        };
        if let Some(d) = identified {
            if cat == MonitoringCategory::SuddenHardship
                && d.year() < policy.sudden_hardship_from_year
            {
                v.add(
                    format!("{p}monitoring.category"),
                    format!(
                        "sudden-hardship cases exist from {} on",
                        policy.sudden_hardship_from_year
                    ),
                );
            }
            let changed = m
                .stage_changed_on
                .as_ref()
                .and_then(|c| v.check(format!("{p}monitoring.stage_changed_on"), date_from_pb(c)));
            if changed.is_some_and(|c| c < d || c > today) {
                v.add(
                    format!("{p}monitoring.stage_changed_on"),
                    "must be between identified_on and today",
                );
            }
        }
    }
    for (i, m) in h.members.iter_mut().enumerate() {
        if m.registered_year == 0 {
            m.registered_year = h.identified_year;
        } else if m.registered_year < h.identified_year || m.registered_year > year {
            v.add(
                format!("{p}members[{i}].registered_year"),
                format!(
                    "must be between identified_year {} and {year}, got {}",
                    h.identified_year, m.registered_year
                ),
            );
        }
    }
    let mut years = HashSet::new();
    for (i, inc) in h.incomes.iter().enumerate() {
        if !years.insert(inc.year) {
            v.add(
                format!("{p}incomes[{i}].year"),
                format!("{} appears twice", inc.year),
            );
        }
        if inc.year < policy.earliest_identified_year - 1 || inc.year > year {
            v.add(
                format!("{p}incomes[{i}].year"),
                format!("must be at most {year}"),
            );
        }
        if inc.per_capita_net_income_fen < 0 {
            v.add(
                format!("{p}incomes[{i}].per_capita_net_income_fen"),
                "must not be negative",
            );
        }
    }
    if !h.timeline.is_empty() {
        v.add(format!("{p}timeline"), "output only: must be empty");
    }
}

/// Checks the fields a create and an update share: village, causes, members.
pub fn common_fields(
    h: &mut Household,
    p: &str,
    today: NaiveDate,
    origin: Origin,
    v: &mut Violations,
) {
    let identified_year = h.identified_year;
    v.check(
        format!("{p}village_code"),
        RegionCode::parse(&h.village_code),
    );
    let mut causes = HashSet::new();
    for (i, c) in h.causes.iter().enumerate() {
        if !enum_ok::<PovertyCause>(*c) {
            v.add(
                format!("{p}causes[{i}]"),
                format!("unknown or unspecified cause {c}"),
            );
        } else if !causes.insert(*c) {
            v.add(format!("{p}causes[{i}]"), "appears twice");
        }
    }
    if h.members.is_empty() {
        v.add(format!("{p}members"), "a household has at least one member");
    }
    if h.members.len() > MAX_MEMBERS {
        v.add(
            format!("{p}members"),
            format!("at most {MAX_MEMBERS} members, got {}", h.members.len()),
        );
    }
    let mut seen = HashSet::new();
    let mut heads = 0;
    for (i, m) in h.members.iter_mut().enumerate() {
        let f = |name: &str| format!("{p}members[{i}].{name}");
        match ResidentId::parse(&m.resident_id, today) {
            Ok(id) => {
                if !seen.insert(id.as_str().to_string()) {
                    v.add(
                        f("resident_id"),
                        "the same person appears twice in the household",
                    );
                }
                m.resident_id = id.as_str().to_string();
            }
            Err(e) => v.add(f("resident_id"), e),
        }
        v.check(f("name"), check_name(&m.name));
        if !enum_ok::<Relation>(m.relation) {
            v.add(
                f("relation"),
                format!("unknown or unspecified relation {}", m.relation),
            );
        }
        if m.relation == Relation::Head as i32 {
            heads += 1;
        }
        if !enum_ok::<HealthCondition>(m.health) {
            v.add(
                f("health"),
                format!("unknown or unspecified health {}", m.health),
            );
        }
        if !enum_ok::<LabourCapacity>(m.labour) {
            v.add(
                f("labour"),
                format!("unknown or unspecified labour capacity {}", m.labour),
            );
        }
        if m.removed_on.is_some() || m.removal_reason != 0 {
            if origin == Origin::Import {
                removal_history(m, identified_year, today, &f, v);
            } else {
                v.add(
                    f("removed_on"),
                    "output only on create: use RemoveMember (ImportHouseholds carries history)",
                );
            }
        }
    }
    if !h.members.is_empty() && heads != 1 {
        v.add(
            format!("{p}members"),
            format!("exactly one member must be the head (RELATION_HEAD), found {heads}"),
        );
    }
}

/// A member who left before an import: date and reason both given, the date a real day
/// between the start of the person's registration year and today, never the head.
fn removal_history(
    m: &Member,
    identified_year: i32,
    today: NaiveDate,
    f: &dyn Fn(&str) -> String,
    v: &mut Violations,
) {
    if !enum_ok::<RemovalReason>(m.removal_reason) {
        v.add(
            f("removal_reason"),
            format!(
                "a removed member needs a known reason, got {}",
                m.removal_reason
            ),
        );
    }
    if m.relation == Relation::Head as i32 {
        v.add(f("removed_on"), "the head cannot be a removed member");
    }
    let Some(d) = &m.removed_on else {
        v.add(f("removed_on"), "required with removal_reason");
        return;
    };
    let Some(on) = v.check(f("removed_on"), date_from_pb(d)) else {
        return;
    };
    let from = m.registered_year.max(identified_year);
    if on.year() < from || on > today {
        v.add(
            f("removed_on"),
            format!("must be between the registration year {from} and today, got {on}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{household, monitoring, policy};

    fn fixed_day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 6, 1).unwrap()
    }

    /// The violations of `h` as a new household from `origin`, judged on the fixed day
    /// by 2019's policy.
    fn check(h: &mut Household, prefix: &str, origin: Origin) -> Violations {
        let mut v = Violations::new();
        new_household(h, prefix, fixed_day(), &policy(), origin, &mut v);
        v
    }

    fn fields(v: &Violations) -> Vec<String> {
        v.items().iter().map(|(f, _)| f.clone()).collect()
    }

    #[test]
    fn a_good_household_passes_and_is_normalised() {
        let mut h = household("HH1", ArchiveStatus::Poor);
        h.members[0].resident_id = h.members[0].resident_id.to_lowercase();
        let v = check(&mut h, "household.", Origin::Create);
        assert!(v.is_empty(), "{v:?}");
        assert!(
            h.members[0]
                .resident_id
                .ends_with(|c: char| c.is_ascii_digit() || c == 'X')
        );
        assert_eq!(h.members[1].registered_year, h.identified_year);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut h = household("bad id!", ArchiveStatus::Poor);
        h.village_code = "42062510020".into();
        h.members[1].resident_id = "340524198001010013".into();
        h.members[1].name = String::new();
        h.members.push(h.members[0].clone());
        h.exited_year = 2019;
        let v = check(&mut h, "household.", Origin::Create);
        let f = fields(&v);
        for want in [
            "household.household_id",
            "household.village_code",
            "household.members[1].resident_id",
            "household.members[1].name",
            "household.members[2].resident_id",
            "household.members",
            "household.exited_year",
        ] {
            assert!(f.iter().any(|x| x == want), "missing {want} in {f:?}");
        }
    }

    #[test]
    fn a_household_needs_members_and_one_head() {
        let mut h = household("HH1", ArchiveStatus::Poor);
        h.members.clear();
        let v = check(&mut h, "", Origin::Create);
        assert_eq!(fields(&v), ["members"]);

        let mut h = household("HH1", ArchiveStatus::Poor);
        h.members[1].relation = Relation::Head as i32;
        let v = check(&mut h, "", Origin::Create);
        assert_eq!(fields(&v), ["members"]);
        assert!(v.items()[0].1.contains("found 2"));
    }

    #[test]
    fn status_and_monitoring_must_fit() {
        let mut h = household("HH1", ArchiveStatus::MonitoredOnly);
        let v = check(&mut h, "", Origin::Create);
        assert_eq!(fields(&v), ["monitoring"]);

        let mut h = household("HH1", ArchiveStatus::Poor);
        h.monitoring = Some(monitoring(MonitoringCategory::Edge));
        let v = check(&mut h, "", Origin::Create);
        assert_eq!(fields(&v), ["monitoring.category"]);

        let mut h = household("HH1", ArchiveStatus::Exited);
        h.exited_year = 2019;
        h.monitoring = Some(monitoring(MonitoringCategory::SuddenHardship));
        let v = check(&mut h, "", Origin::Create);
        assert_eq!(
            fields(&v),
            ["monitoring.category"],
            "sudden hardship only from 2021"
        );
    }

    #[test]
    fn exit_year_bounds() {
        let mut h = household("HH1", ArchiveStatus::Exited);
        h.exited_year = 2013;
        let v = check(&mut h, "", Origin::Create);
        assert_eq!(fields(&v), ["exited_year"]);
        h.exited_year = 2016;
        let v = check(&mut h, "", Origin::Create);
        assert!(v.is_empty());
    }

    #[test]
    fn names_are_bounded() {
        assert!(check_name("张三").is_ok());
        assert!(check_name("盛𡐓").is_ok());
        assert_eq!(check_name(""), Err("required".into()));
        assert!(check_name(&"张".repeat(51)).is_err());
        assert!(check_name("a\u{0}b").is_err());
    }

    #[test]
    fn negative_income_and_unknown_enums_are_refused() {
        let mut h = household("HH1", ArchiveStatus::Poor);
        h.incomes.push(xk_contracts::pb::registry::v1::Income {
            year: 2019,
            per_capita_net_income_fen: -1,
        });
        h.members[0].health = 99;
        h.causes.push(0);
        let v = check(&mut h, "", Origin::Create);
        let f = fields(&v);
        assert!(f.contains(&"incomes[0].per_capita_net_income_fen".to_string()));
        assert!(f.contains(&"members[0].health".to_string()));
        assert!(f.contains(&"causes[1]".to_string()));
    }

    #[test]
    fn import_carries_removed_members_create_does_not() {
        let removed = |h: &mut Household| {
            let mut m = h.members[0].clone();
            m.resident_id = "11010519491231002X".into();
            m.relation = Relation::Parent as i32;
            m.removed_on = Some(xk_contracts::convert::date_to_pb(
                NaiveDate::from_ymd_opt(2017, 3, 1).unwrap(),
            ));
            m.removal_reason = RemovalReason::Death as i32;
            h.members.push(m);
        };
        let mut h = household("HH1", ArchiveStatus::Poor);
        removed(&mut h);
        let v = check(&mut h.clone(), "", Origin::Import);
        assert!(v.is_empty(), "{:?}", v.into_status());
        let v = check(&mut h, "", Origin::Create);
        assert!(!v.is_empty());

        // On import the history must be whole and plausible.
        let n = h.members.len() - 1;
        let mut bad = h.clone();
        bad.members[n].removal_reason = 0;
        let v = check(&mut bad, "", Origin::Import);
        assert!(!v.is_empty(), "a removal without a reason is refused");
        let mut bad = h.clone();
        bad.members[n].removed_on = Some(xk_contracts::convert::date_to_pb(
            NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        ));
        let v = check(&mut bad, "", Origin::Import);
        assert!(!v.is_empty(), "a removal in the future is refused");
        let mut bad = h.clone();
        bad.members[0].removed_on = bad.members[n].removed_on;
        bad.members[0].removal_reason = RemovalReason::Death as i32;
        let v = check(&mut bad, "", Origin::Import);
        assert!(!v.is_empty(), "the head is never a removed member");
    }
}

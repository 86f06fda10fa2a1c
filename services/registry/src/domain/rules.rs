//! Status changes of a household, applied to its record. Each function checks the rule
//! against the current record and either changes it (appending to the timeline) or says
//! which rule the request breaks, leaving the record untouched.

use chrono::{Datelike, NaiveDate};
use xk_contracts::convert::{date_from_pb, date_to_pb};
use xk_contracts::pb::registry::v1::{
    ArchiveStatus, EventKind, Household, Income, Monitoring, MonitoringCategory, MonitoringStage,
    Relation, RemovalReason, StatusEvent,
};

use super::RuleError;
use crate::policy::RegistryPolicy;

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
pub fn active_members(
    h: &Household,
) -> impl Iterator<Item = &xk_contracts::pb::registry::v1::Member> {
    h.members.iter().filter(|m| m.removed_on.is_none())
}

/// Number of current members.
pub fn active_people(h: &Household) -> i64 {
    active_members(h).count() as i64
}

/// Whether a monitoring case is still open (identified or help assigned).
pub fn is_open(m: &Monitoring) -> bool {
    matches!(
        MonitoringStage::try_from(m.stage),
        Ok(MonitoringStage::Identified | MonitoringStage::HelpAssigned)
    )
}

/// The day from which a case still at "identified" is an alert.
pub fn alert_cutoff(as_of: NaiveDate, policy: &RegistryPolicy) -> NaiveDate {
    as_of - chrono::Duration::days(policy.monitoring_alert_days)
}

/// Whether a case has sat at "identified" without a help measure for the alert period.
pub fn is_alert(m: &Monitoring, as_of: NaiveDate, policy: &RegistryPolicy) -> bool {
    m.stage == MonitoringStage::Identified as i32
        && m.identified_on
            .as_ref()
            .and_then(|d| date_from_pb(d).ok())
            .is_some_and(|d| d <= alert_cutoff(as_of, policy))
}

/// Records (or replaces) a year's per-capita income, keeping incomes in year order.
pub fn record_income(h: &mut Household, income: Income) {
    match h.incomes.iter_mut().find(|i| i.year == income.year) {
        Some(existing) => *existing = income,
        None => {
            h.incomes.push(income);
            h.incomes.sort_by_key(|i| i.year);
        }
    }
}

/// Exit from poverty: only a poor household, not before it was identified, and only when
/// its per-capita income of the exit year reaches that year's poverty line.
pub fn record_exit(
    h: &mut Household,
    exit_year: i32,
    on: NaiveDate,
    policy: &RegistryPolicy,
) -> Result<(), RuleError> {
    if h.status != ArchiveStatus::Poor as i32 {
        return Err(RuleError::pre(
            "NOT_POOR",
            "household_id",
            format!(
                "household {} is not poor (status {}), so it cannot exit",
                h.household_id,
                status_name(h.status)
            ),
        ));
    }
    if exit_year < h.identified_year || on.year() < exit_year {
        return Err(RuleError::pre(
            "EXIT_YEAR_OUT_OF_ORDER",
            "exit_year",
            format!(
                "exit year {exit_year} must be between the identified year {} and the decision date's year {}",
                h.identified_year,
                on.year()
            ),
        ));
    }
    let income = h
        .incomes
        .iter()
        .find(|i| i.year == exit_year)
        .ok_or_else(|| {
            RuleError::pre(
                "NO_INCOME_FOR_EXIT_YEAR",
                "exit_year",
                format!(
                    "no per-capita income recorded for {exit_year}: record it first (RecordIncome)"
                ),
            )
        })?;
    if income.per_capita_net_income_fen < policy.poverty_line_fen {
        return Err(RuleError::pre(
            "INCOME_BELOW_POVERTY_LINE",
            "exit_year",
            format!(
                "per-capita income {} fen in {exit_year} is below the poverty line {} fen",
                income.per_capita_net_income_fen, policy.poverty_line_fen
            ),
        ));
    }
    h.status = ArchiveStatus::Exited as i32;
    h.exited_year = exit_year;
    append_event(h, EventKind::Exited, on, format!("exited in {exit_year}"));
    Ok(())
}

/// Opens a monitoring case. The category must fit the household: unstable-exited for an
/// exited household, edge for one outside the archive, sudden hardship (from its policy
/// year) for either; and no case may be open already.
pub fn open_monitoring(
    h: &mut Household,
    category: MonitoringCategory,
    on: NaiveDate,
    policy: &RegistryPolicy,
) -> Result<(), RuleError> {
    if h.monitoring.as_ref().is_some_and(is_open) {
        return Err(RuleError::pre(
            "MONITORING_ALREADY_OPEN",
            "household_id",
            format!(
                "household {} already has an open monitoring case",
                h.household_id
            ),
        ));
    }
    let status = ArchiveStatus::try_from(h.status).unwrap_or(ArchiveStatus::Unspecified);
    let fits = match category {
        MonitoringCategory::UnstableExited => status == ArchiveStatus::Exited,
        MonitoringCategory::Edge => status == ArchiveStatus::MonitoredOnly,
        MonitoringCategory::SuddenHardship => {
            matches!(status, ArchiveStatus::Exited | ArchiveStatus::MonitoredOnly)
        }
        MonitoringCategory::Unspecified => false,
    };
    if !fits {
        return Err(RuleError::pre(
            "CATEGORY_DOES_NOT_FIT_STATUS",
            "category",
            format!(
                "category {} does not fit a household with status {}",
                category.as_str_name(),
                status_name(h.status)
            ),
        ));
    }
    if category == MonitoringCategory::SuddenHardship
        && on.year() < policy.sudden_hardship_from_year
    {
        return Err(RuleError::pre(
            "CATEGORY_NOT_IN_FORCE",
            "category",
            format!(
                "sudden-hardship cases exist from {}",
                policy.sudden_hardship_from_year
            ),
        ));
    }
    h.monitoring = Some(Monitoring {
        category: category as i32,
        stage: MonitoringStage::Identified as i32,
        identified_on: Some(date_to_pb(on)),
        stage_changed_on: Some(date_to_pb(on)),
    });
    append_event(
        h,
        EventKind::MonitoringOpened,
        on,
        format!("monitoring opened: {}", category.as_str_name()),
    );
    Ok(())
}

/// Moves an open case: identified -> help assigned -> risk eliminated | returned to
/// poverty. Returning to poverty makes the household poor again (its exit stays on the
/// timeline).
pub fn advance_monitoring(
    h: &mut Household,
    stage: MonitoringStage,
    on: NaiveDate,
) -> Result<(), RuleError> {
    let Some(m) = h.monitoring.as_mut().filter(|m| is_open(m)) else {
        return Err(RuleError::pre(
            "NO_OPEN_MONITORING",
            "household_id",
            format!("household {} has no open monitoring case", h.household_id),
        ));
    };
    let current = MonitoringStage::try_from(m.stage).unwrap_or(MonitoringStage::Unspecified);
    let allowed = matches!(
        (current, stage),
        (MonitoringStage::Identified, MonitoringStage::HelpAssigned)
            | (
                MonitoringStage::HelpAssigned,
                MonitoringStage::RiskEliminated | MonitoringStage::ReturnedToPoverty
            )
    );
    if !allowed {
        return Err(RuleError::pre(
            "STAGE_OUT_OF_ORDER",
            "stage",
            format!(
                "a case at {} cannot move to {}: identified -> help assigned -> risk eliminated or returned to poverty",
                current.as_str_name(),
                stage.as_str_name()
            ),
        ));
    }
    let last = m
        .stage_changed_on
        .as_ref()
        .and_then(|d| date_from_pb(d).ok());
    if last.is_some_and(|l| on < l) {
        return Err(RuleError::pre(
            "DATE_BEFORE_LAST_STAGE",
            "on",
            "the new stage cannot take effect before the previous one",
        ));
    }
    m.stage = stage as i32;
    m.stage_changed_on = Some(date_to_pb(on));
    if stage == MonitoringStage::ReturnedToPoverty {
        h.status = ArchiveStatus::Poor as i32;
        h.exited_year = 0;
    }
    append_event(
        h,
        EventKind::MonitoringAdvanced,
        on,
        format!("monitoring stage: {}", stage.as_str_name()),
    );
    Ok(())
}

/// Removes a member from the archive. The head cannot be removed while others remain
/// (name a new head with UpdateHousehold first); removing the last member removes the
/// household.
pub fn remove_member(
    h: &mut Household,
    resident_id: &str,
    reason: RemovalReason,
    on: NaiveDate,
) -> Result<(), RuleError> {
    let active = active_people(h);
    let Some(idx) = h
        .members
        .iter()
        .position(|m| m.resident_id == resident_id && m.removed_on.is_none())
    else {
        return Err(RuleError::NotFound {
            what: "member",
            name: format!("{} of household {}", mask(resident_id), h.household_id),
        });
    };
    if h.members[idx].relation == Relation::Head as i32 && active > 1 {
        return Err(RuleError::pre(
            "HEAD_WITH_MEMBERS",
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
pub fn replace_fields(h: &mut Household, new: Household, on: NaiveDate) -> Result<(), RuleError> {
    if h.status == ArchiveStatus::Removed as i32 {
        return Err(RuleError::pre(
            "HOUSEHOLD_REMOVED",
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
        return Err(RuleError::pre(
            "MEMBER_REMOVED",
            &format!("household.members[{i}].resident_id"),
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

/// A resident id for messages and logs: first 6 and last 4 characters.
pub fn mask(resident_id: &str) -> String {
    match xk_contracts::types::ResidentId::parse_stored(resident_id) {
        Ok(id) => id.masked(),
        Err(_) => "******************".into(),
    }
}

fn status_name(s: i32) -> &'static str {
    ArchiveStatus::try_from(s).map_or("UNKNOWN", |s| s.as_str_name())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use xk_contracts::pb::registry::v1::{HealthCondition, LabourCapacity, Member};
    use xk_contracts::types::ResidentId;

    pub(crate) fn policy() -> RegistryPolicy {
        crate::policy::load(None)
            .unwrap()
            .for_year(2019)
            .unwrap()
            .clone()
    }

    pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub(crate) fn member(seq: u16, relation: Relation) -> Member {
        Member {
            resident_id: ResidentId::build("420625", d(1980, 1, 1), seq)
                .as_str()
                .to_string(),
            name: format!("成员{seq}"),
            relation: relation as i32,
            health: HealthCondition::Healthy as i32,
            labour: LabourCapacity::Full as i32,
            registered_year: 0,
            removed_on: None,
            removal_reason: 0,
        }
    }

    pub(crate) fn household(id: &str, status: ArchiveStatus) -> Household {
        Household {
            household_id: id.into(),
            village_code: "420625100201".into(),
            members: vec![member(11, Relation::Head), member(12, Relation::Spouse)],
            causes: vec![xk_contracts::pb::registry::v1::PovertyCause::Illness as i32],
            status: status as i32,
            identified_year: 2014,
            exited_year: 0,
            monitoring: None,
            incomes: vec![],
            timeline: vec![],
            etag: String::new(),
        }
    }

    pub(crate) fn monitoring(c: MonitoringCategory) -> Monitoring {
        Monitoring {
            category: c as i32,
            stage: MonitoringStage::Identified as i32,
            identified_on: Some(date_to_pb(d(2019, 5, 1))),
            stage_changed_on: None,
        }
    }

    fn income(year: i32, fen: i64) -> Income {
        Income {
            year,
            per_capita_net_income_fen: fen,
        }
    }

    #[test]
    fn exit_needs_income_at_the_line() {
        let p = policy();
        let mut h = household("H", ArchiveStatus::Poor);
        let err = record_exit(&mut h, 2019, d(2019, 12, 1), &p).unwrap_err();
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "NO_INCOME_FOR_EXIT_YEAR",
                ..
            }
        ));
        record_income(&mut h, income(2019, p.poverty_line_fen - 1));
        let err = record_exit(&mut h, 2019, d(2019, 12, 1), &p).unwrap_err();
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "INCOME_BELOW_POVERTY_LINE",
                ..
            }
        ));
        assert_eq!(
            h.status,
            ArchiveStatus::Poor as i32,
            "a refused exit changes nothing"
        );
        record_income(&mut h, income(2019, p.poverty_line_fen));
        record_exit(&mut h, 2019, d(2019, 12, 1), &p).unwrap();
        assert_eq!(h.status, ArchiveStatus::Exited as i32);
        assert_eq!(h.exited_year, 2019);
        assert_eq!(h.timeline.last().unwrap().kind, EventKind::Exited as i32);
        let again = record_exit(&mut h, 2019, d(2019, 12, 1), &p).unwrap_err();
        assert!(matches!(
            again,
            RuleError::Precondition {
                rule: "NOT_POOR",
                ..
            }
        ));
    }

    #[test]
    fn exit_year_must_follow_identification() {
        let p = policy();
        let mut h = household("H", ArchiveStatus::Poor);
        record_income(&mut h, income(2013, 10_000_000));
        let err = record_exit(&mut h, 2013, d(2019, 1, 1), &p).unwrap_err();
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "EXIT_YEAR_OUT_OF_ORDER",
                ..
            }
        ));
    }

    #[test]
    fn incomes_replace_by_year_and_stay_sorted() {
        let mut h = household("H", ArchiveStatus::Poor);
        record_income(&mut h, income(2019, 1));
        record_income(&mut h, income(2017, 2));
        record_income(&mut h, income(2019, 3));
        let years: Vec<_> = h
            .incomes
            .iter()
            .map(|i| (i.year, i.per_capita_net_income_fen))
            .collect();
        assert_eq!(years, [(2017, 2), (2019, 3)]);
    }

    #[test]
    fn monitoring_lifecycle() {
        let p = policy();
        let mut h = household("H", ArchiveStatus::Exited);
        h.exited_year = 2018;
        let err = open_monitoring(&mut h, MonitoringCategory::Edge, d(2019, 3, 1), &p).unwrap_err();
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "CATEGORY_DOES_NOT_FIT_STATUS",
                ..
            }
        ));
        open_monitoring(
            &mut h,
            MonitoringCategory::UnstableExited,
            d(2019, 3, 1),
            &p,
        )
        .unwrap();
        let err = open_monitoring(
            &mut h,
            MonitoringCategory::UnstableExited,
            d(2019, 3, 2),
            &p,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "MONITORING_ALREADY_OPEN",
                ..
            }
        ));
        let err =
            advance_monitoring(&mut h, MonitoringStage::RiskEliminated, d(2019, 4, 1)).unwrap_err();
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "STAGE_OUT_OF_ORDER",
                ..
            }
        ));
        let err =
            advance_monitoring(&mut h, MonitoringStage::HelpAssigned, d(2019, 2, 1)).unwrap_err();
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "DATE_BEFORE_LAST_STAGE",
                ..
            }
        ));
        advance_monitoring(&mut h, MonitoringStage::HelpAssigned, d(2019, 4, 1)).unwrap();
        advance_monitoring(&mut h, MonitoringStage::ReturnedToPoverty, d(2019, 9, 1)).unwrap();
        assert_eq!(h.status, ArchiveStatus::Poor as i32);
        assert_eq!(h.exited_year, 0);
        assert!(!is_open(h.monitoring.as_ref().unwrap()));
        let err =
            advance_monitoring(&mut h, MonitoringStage::HelpAssigned, d(2019, 10, 1)).unwrap_err();
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "NO_OPEN_MONITORING",
                ..
            }
        ));
        let kinds: Vec<_> = h.timeline.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::MonitoringOpened as i32,
                EventKind::MonitoringAdvanced as i32,
                EventKind::MonitoringAdvanced as i32
            ]
        );
        assert_eq!(
            h.timeline.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn sudden_hardship_only_from_its_year() {
        let p = policy();
        let mut h = household("H", ArchiveStatus::MonitoredOnly);
        let err = open_monitoring(
            &mut h,
            MonitoringCategory::SuddenHardship,
            d(2020, 3, 1),
            &p,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "CATEGORY_NOT_IN_FORCE",
                ..
            }
        ));
        open_monitoring(
            &mut h,
            MonitoringCategory::SuddenHardship,
            d(2021, 3, 1),
            &p,
        )
        .unwrap();
    }

    #[test]
    fn alert_after_the_period_without_help() {
        let p = policy();
        let m = monitoring(MonitoringCategory::Edge); // identified 2019-05-01
        let days = p.monitoring_alert_days;
        assert!(!is_alert(
            &m,
            d(2019, 5, 1) + chrono::Duration::days(days - 1),
            &p
        ));
        assert!(is_alert(
            &m,
            d(2019, 5, 1) + chrono::Duration::days(days),
            &p
        ));
        let mut helped = m;
        helped.stage = MonitoringStage::HelpAssigned as i32;
        assert!(!is_alert(&helped, d(2020, 1, 1), &p));
    }

    #[test]
    fn removing_members() {
        let mut h = household("H", ArchiveStatus::Poor);
        let head = h.members[0].resident_id.clone();
        let spouse = h.members[1].resident_id.clone();
        let err = remove_member(&mut h, &head, RemovalReason::Death, d(2019, 1, 1)).unwrap_err();
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "HEAD_WITH_MEMBERS",
                ..
            }
        ));
        remove_member(&mut h, &spouse, RemovalReason::MovedAway, d(2019, 1, 1)).unwrap();
        assert_eq!(active_people(&h), 1);
        let err =
            remove_member(&mut h, &spouse, RemovalReason::MovedAway, d(2019, 1, 2)).unwrap_err();
        assert!(matches!(err, RuleError::NotFound { .. }));
        remove_member(&mut h, &head, RemovalReason::Death, d(2019, 2, 1)).unwrap();
        assert_eq!(h.status, ArchiveStatus::Removed as i32);
        assert!(
            !h.timeline.iter().any(|e| e.detail.contains(&head)),
            "no whole id in the timeline"
        );
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
        assert!(matches!(
            err,
            RuleError::Precondition {
                rule: "MEMBER_REMOVED",
                ..
            }
        ));
    }
}

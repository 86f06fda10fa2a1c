//! Monitoring cases (防返贫监测): which category fits which household, the lifecycle
//! identified -> help assigned -> risk eliminated | returned to poverty, and when a case
//! left without help is an alert.

use chrono::{Datelike, NaiveDate};
use xk_contracts::convert::{date_from_pb, date_to_pb};
use xk_contracts::pb::registry::v1::{
    ArchiveStatus, EventKind, Household, Monitoring, MonitoringCategory, MonitoringStage,
};
use xk_runtime::ApiError;

use super::record::{append_event, status_name};
use super::rule_ids::{
    CATEGORY_DOES_NOT_FIT_STATUS, CATEGORY_NOT_IN_FORCE, DATE_BEFORE_LAST_STAGE,
    MONITORING_ALREADY_OPEN, NO_OPEN_MONITORING, STAGE_OUT_OF_ORDER,
};
use crate::policy::RegistryPolicy;

/// Whether a monitoring case is still open (identified or help assigned).
pub fn is_open(m: &Monitoring) -> bool {
    matches!(
        MonitoringStage::try_from(m.stage),
        Ok(MonitoringStage::Identified | MonitoringStage::HelpAssigned)
    )
}

/// Whether a case of `category` may be opened for a household of `status`: unstable-exited
/// for an exited household, edge for one outside the archive, sudden hardship for either.
pub fn category_fits(category: MonitoringCategory, status: ArchiveStatus) -> bool {
    match category {
        MonitoringCategory::UnstableExited => status == ArchiveStatus::Exited,
        MonitoringCategory::Edge => status == ArchiveStatus::MonitoredOnly,
        MonitoringCategory::SuddenHardship => {
            matches!(status, ArchiveStatus::Exited | ArchiveStatus::MonitoredOnly)
        }
        MonitoringCategory::Unspecified => false,
    }
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

/// Opens a monitoring case. The category must fit the household ([`category_fits`]) and
/// be in force (sudden hardship from its policy year), and no case may be open already.
pub fn open_monitoring(
    h: &mut Household,
    category: MonitoringCategory,
    on: NaiveDate,
    policy: &RegistryPolicy,
) -> Result<(), ApiError> {
    if h.monitoring.as_ref().is_some_and(is_open) {
        return Err(ApiError::rule(
            MONITORING_ALREADY_OPEN,
            "household_id",
            format!(
                "household {} already has an open monitoring case",
                h.household_id
            ),
        ));
    }
    let status = ArchiveStatus::try_from(h.status).unwrap_or(ArchiveStatus::Unspecified);
    if !category_fits(category, status) {
        return Err(ApiError::rule(
            CATEGORY_DOES_NOT_FIT_STATUS,
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
        return Err(ApiError::rule(
            CATEGORY_NOT_IN_FORCE,
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
) -> Result<(), ApiError> {
    let Some(m) = h.monitoring.as_mut().filter(|m| is_open(m)) else {
        return Err(ApiError::rule(
            NO_OPEN_MONITORING,
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
        return Err(ApiError::rule(
            STAGE_OUT_OF_ORDER,
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
        return Err(ApiError::rule(
            DATE_BEFORE_LAST_STAGE,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{d, household, monitoring, policy, rule_of};

    #[test]
    fn monitoring_lifecycle() {
        let p = policy();
        let mut h = household("H", ArchiveStatus::Exited);
        h.exited_year = 2018;
        let err = open_monitoring(&mut h, MonitoringCategory::Edge, d(2019, 3, 1), &p).unwrap_err();
        assert_eq!(rule_of(&err), CATEGORY_DOES_NOT_FIT_STATUS);
        let unstable = MonitoringCategory::UnstableExited;
        open_monitoring(&mut h, unstable, d(2019, 3, 1), &p).unwrap();
        let err = open_monitoring(&mut h, unstable, d(2019, 3, 2), &p).unwrap_err();
        assert_eq!(rule_of(&err), MONITORING_ALREADY_OPEN);
        let err =
            advance_monitoring(&mut h, MonitoringStage::RiskEliminated, d(2019, 4, 1)).unwrap_err();
        assert_eq!(rule_of(&err), STAGE_OUT_OF_ORDER);
        let err =
            advance_monitoring(&mut h, MonitoringStage::HelpAssigned, d(2019, 2, 1)).unwrap_err();
        assert_eq!(rule_of(&err), DATE_BEFORE_LAST_STAGE);
        advance_monitoring(&mut h, MonitoringStage::HelpAssigned, d(2019, 4, 1)).unwrap();
        advance_monitoring(&mut h, MonitoringStage::ReturnedToPoverty, d(2019, 9, 1)).unwrap();
        assert_eq!(h.status, ArchiveStatus::Poor as i32);
        assert_eq!(h.exited_year, 0);
        assert!(!is_open(h.monitoring.as_ref().unwrap()));
        let err =
            advance_monitoring(&mut h, MonitoringStage::HelpAssigned, d(2019, 10, 1)).unwrap_err();
        assert_eq!(rule_of(&err), NO_OPEN_MONITORING);
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
        let sudden = MonitoringCategory::SuddenHardship;
        let err = open_monitoring(&mut h, sudden, d(2020, 3, 1), &p).unwrap_err();
        assert_eq!(rule_of(&err), CATEGORY_NOT_IN_FORCE);
        open_monitoring(&mut h, sudden, d(2021, 3, 1), &p).unwrap();
    }

    #[test]
    fn categories_fit_their_statuses() {
        use ArchiveStatus::{Exited, MonitoredOnly, Poor};
        use MonitoringCategory::{Edge, SuddenHardship, Unspecified, UnstableExited};
        let fitting: Vec<_> = [UnstableExited, Edge, SuddenHardship, Unspecified]
            .into_iter()
            .flat_map(|c| [Poor, Exited, MonitoredOnly].map(|s| (c, s)))
            .filter(|(c, s)| category_fits(*c, *s))
            .collect();
        assert_eq!(
            fitting,
            [
                (UnstableExited, Exited),
                (Edge, MonitoredOnly),
                (SuddenHardship, Exited),
                (SuddenHardship, MonitoredOnly)
            ]
        );
    }

    #[test]
    fn alert_after_the_period_without_help() {
        let p = policy();
        let m = monitoring(MonitoringCategory::Edge); // identified 2019-05-01
        let days = p.monitoring_alert_days;
        let identified = d(2019, 5, 1);
        assert!(!is_alert(
            &m,
            identified + chrono::Duration::days(days - 1),
            &p
        ));
        assert!(is_alert(&m, identified + chrono::Duration::days(days), &p));
        let mut helped = m;
        helped.stage = MonitoringStage::HelpAssigned as i32;
        assert!(!is_alert(&helped, d(2020, 1, 1), &p));
    }
}

//! RecordMonitoring and AdvanceMonitoring: opening a monitoring case (防返贫监测) and
//! moving it along its lifecycle. Both are changes to one household ([`HouseholdChange`]).

use chrono::{Datelike, NaiveDate};
use xk_contracts::pb::registry::v1::{
    AdvanceMonitoringRequest, Household, MonitoringCategory, MonitoringStage,
    RecordMonitoringRequest,
};
use xk_runtime::ApiError;
use xk_runtime::enums::known;

use super::RegistryApi;
use super::changes::{HouseholdChange, Rule};
use super::fields::DatedChange;
use crate::domain::monitoring::{advance_monitoring, open_monitoring};

/// RecordMonitoring: opens a case of a category that fits the household, judged by the
/// policy of the year it was identified in.
impl HouseholdChange for RecordMonitoringRequest {
    type Fields = Option<MonitoringCategory>;

    fn check(self, change: &mut DatedChange) -> Option<MonitoringCategory> {
        change.on("identified_on", self.identified_on.as_ref());
        change.v.check("category", known(self.category, "category"))
    }

    fn rule(
        category: Option<MonitoringCategory>,
        on: NaiveDate,
        api: &RegistryApi,
    ) -> Result<Rule<'_>, ApiError> {
        let category = category.unwrap_or(MonitoringCategory::Unspecified);
        let policy = api.policy.require(on.year(), "identified_on")?;
        Ok(Box::new(move |h: &mut Household| {
            open_monitoring(h, category, on, policy)
        }))
    }
}

/// AdvanceMonitoring: help assigned, then risk eliminated or returned to poverty.
impl HouseholdChange for AdvanceMonitoringRequest {
    type Fields = MonitoringStage;

    fn check(self, change: &mut DatedChange) -> MonitoringStage {
        change.on("on", self.on.as_ref());
        match MonitoringStage::try_from(self.stage) {
            Ok(
                s @ (MonitoringStage::HelpAssigned
                | MonitoringStage::RiskEliminated
                | MonitoringStage::ReturnedToPoverty),
            ) => s,
            _ => {
                change.v.add(
                    "stage",
                    format!(
                        "must be HELP_ASSIGNED, RISK_ELIMINATED or RETURNED_TO_POVERTY, got {}",
                        self.stage
                    ),
                );
                MonitoringStage::Unspecified
            }
        }
    }

    fn rule(
        stage: MonitoringStage,
        on: NaiveDate,
        _api: &RegistryApi,
    ) -> Result<Rule<'_>, ApiError> {
        Ok(Box::new(move |h: &mut Household| {
            advance_monitoring(h, stage, on)
        }))
    }
}

//! RecordMonitoring and AdvanceMonitoring: opening a monitoring case (防返贫监测) and
//! moving it along its lifecycle.

use chrono::Datelike;
use xk_contracts::pb::registry::v1::{
    AdvanceMonitoringRequest, AdvanceMonitoringResponse, MonitoringCategory, MonitoringStage,
    RecordMonitoringRequest, RecordMonitoringResponse,
};
use xk_runtime::ApiError;
use xk_runtime::enums::known;
use xk_runtime::idempotency::Idempotent;

use super::RegistryApi;
use super::fields::DatedChange;
use crate::domain::monitoring::{advance_monitoring, open_monitoring};

impl RegistryApi {
    /// RecordMonitoring: opens a case of a category that fits the household, judged by
    /// the policy of the year it was identified in.
    pub(super) async fn record_monitoring(
        &self,
        idem: Idempotent,
        req: RecordMonitoringRequest,
    ) -> Result<RecordMonitoringResponse, ApiError> {
        let mut change = DatedChange::new(&req.household_id);
        change.on("identified_on", req.identified_on.as_ref());
        let category = change.v.check("category", known(req.category, "category"));
        let (id, on) = change.checked()?;
        let category = category.unwrap_or(MonitoringCategory::Unspecified);
        let policy = self.policy.require(on.year(), "identified_on")?;
        let open = |h: &mut _| open_monitoring(h, category, on, policy);
        self.change_household(&idem, &id, None, open).await
    }

    /// AdvanceMonitoring: help assigned, then risk eliminated or returned to poverty.
    pub(super) async fn advance_monitoring(
        &self,
        idem: Idempotent,
        req: AdvanceMonitoringRequest,
    ) -> Result<AdvanceMonitoringResponse, ApiError> {
        let mut change = DatedChange::new(&req.household_id);
        change.on("on", req.on.as_ref());
        let stage = match MonitoringStage::try_from(req.stage) {
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
                        req.stage
                    ),
                );
                MonitoringStage::Unspecified
            }
        };
        let (id, on) = change.checked()?;
        let advance = |h: &mut _| advance_monitoring(h, stage, on);
        self.change_household(&idem, &id, None, advance).await
    }
}

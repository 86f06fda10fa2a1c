//! The tonic trait: each RPC takes the principal from the auth layer and calls its
//! implementation.

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::registry::v1::registry_service_server::RegistryService;
use xk_contracts::pb::registry::v1::*;
use xk_runtime::idempotency::principal_of;

use super::RegistryApi;
use super::reads::ExportStream;

#[tonic::async_trait]
impl RegistryService for RegistryApi {
    async fn create_household(
        &self,
        req: Request<CreateHouseholdRequest>,
    ) -> Result<Response<CreateHouseholdResponse>, Status> {
        let p = principal_of(&req)?;
        self.create_household_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_household(
        &self,
        req: Request<GetHouseholdRequest>,
    ) -> Result<Response<GetHouseholdResponse>, Status> {
        self.get_household_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn update_household(
        &self,
        req: Request<UpdateHouseholdRequest>,
    ) -> Result<Response<UpdateHouseholdResponse>, Status> {
        let p = principal_of(&req)?;
        self.update_household_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_households(
        &self,
        req: Request<ListHouseholdsRequest>,
    ) -> Result<Response<ListHouseholdsResponse>, Status> {
        self.list_households_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn import_households(
        &self,
        req: Request<Streaming<ImportHouseholdsRequest>>,
    ) -> Result<Response<ImportHouseholdsResponse>, Status> {
        let p = principal_of(&req)?;
        self.import_households_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    type ExportHouseholdsStream = ExportStream;

    async fn export_households(
        &self,
        req: Request<ExportHouseholdsRequest>,
    ) -> Result<Response<Self::ExportHouseholdsStream>, Status> {
        self.export_households_impl(req.into_inner())
            .map(Response::new)
    }

    async fn record_income(
        &self,
        req: Request<RecordIncomeRequest>,
    ) -> Result<Response<RecordIncomeResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_income_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_exit(
        &self,
        req: Request<RecordExitRequest>,
    ) -> Result<Response<RecordExitResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_exit_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_monitoring(
        &self,
        req: Request<RecordMonitoringRequest>,
    ) -> Result<Response<RecordMonitoringResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_monitoring_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn advance_monitoring(
        &self,
        req: Request<AdvanceMonitoringRequest>,
    ) -> Result<Response<AdvanceMonitoringResponse>, Status> {
        let p = principal_of(&req)?;
        self.advance_monitoring_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn remove_member(
        &self,
        req: Request<RemoveMemberRequest>,
    ) -> Result<Response<RemoveMemberResponse>, Status> {
        let p = principal_of(&req)?;
        self.remove_member_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn upsert_village(
        &self,
        req: Request<UpsertVillageRequest>,
    ) -> Result<Response<UpsertVillageResponse>, Status> {
        let p = principal_of(&req)?;
        self.upsert_village_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_villages(
        &self,
        req: Request<ListVillagesRequest>,
    ) -> Result<Response<ListVillagesResponse>, Status> {
        self.list_villages_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn summarize_by_region(
        &self,
        req: Request<SummarizeByRegionRequest>,
    ) -> Result<Response<SummarizeByRegionResponse>, Status> {
        self.summarize_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_disaster_expense(
        &self,
        req: Request<RecordDisasterExpenseRequest>,
    ) -> Result<Response<RecordDisasterExpenseResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_disaster_expense_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_disaster_expenses(
        &self,
        req: Request<ListDisasterExpensesRequest>,
    ) -> Result<Response<ListDisasterExpensesResponse>, Status> {
        self.list_disaster_expenses_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_policy(
        &self,
        req: Request<GetPolicyRequest>,
    ) -> Result<Response<GetPolicyResponse>, Status> {
        self.get_policy_impl(req.into_inner()).map(Response::new)
    }
}

//! The tonic trait: each RPC calls the handler of the same name (an inherent method, which
//! Rust prefers to the trait's), with the principal from the auth layer for a write, and
//! turns the handler's error into the status through the runtime's one mapping.

use std::future::Future;

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::registry::v1::registry_service_server::RegistryService;
use xk_contracts::pb::registry::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::{Idempotent, principal_of};

use super::RegistryApi;
use super::messages::WriteRequest;
use super::reads::ExportStream;

/// Runs a write handler with the request's idempotency claim for the caller the auth layer
/// identified (a bad request id is INVALID_ARGUMENT before anything else is checked).
async fn write<Q: WriteRequest, R, F>(
    req: Request<Q>,
    handler: impl FnOnce(Idempotent, Q) -> F,
) -> Result<Response<R>, Status>
where
    F: Future<Output = Result<R, ApiError>>,
{
    let principal = principal_of(&req)?;
    let req = req.into_inner();
    let idem = Idempotent::new(principal, Q::METHOD, req.request_id(), "request_id", &req)?;
    Ok(Response::new(handler(idem, req).await?))
}

/// Runs a read handler.
async fn read<Q, R, E, F>(
    req: Request<Q>,
    handler: impl FnOnce(Q) -> F,
) -> Result<Response<R>, Status>
where
    F: Future<Output = Result<R, E>>,
    Status: From<E>,
{
    Ok(Response::new(handler(req.into_inner()).await?))
}

#[tonic::async_trait]
impl RegistryService for RegistryApi {
    async fn create_household(
        &self,
        req: Request<CreateHouseholdRequest>,
    ) -> Result<Response<CreateHouseholdResponse>, Status> {
        write(req, |idem, r| self.create_household(idem, r)).await
    }

    async fn get_household(
        &self,
        req: Request<GetHouseholdRequest>,
    ) -> Result<Response<GetHouseholdResponse>, Status> {
        read(req, |r| self.get_household(r)).await
    }

    async fn update_household(
        &self,
        req: Request<UpdateHouseholdRequest>,
    ) -> Result<Response<UpdateHouseholdResponse>, Status> {
        write(req, |idem, r| self.update_household(idem, r)).await
    }

    async fn list_households(
        &self,
        req: Request<ListHouseholdsRequest>,
    ) -> Result<Response<ListHouseholdsResponse>, Status> {
        read(req, |r| self.list_households(r)).await
    }

    async fn import_households(
        &self,
        req: Request<Streaming<ImportHouseholdsRequest>>,
    ) -> Result<Response<ImportHouseholdsResponse>, Status> {
        let principal = principal_of(&req)?;
        let stream = req.into_inner();
        Ok(Response::new(
            self.import_households(principal, stream).await?,
        ))
    }

    type ExportHouseholdsStream = ExportStream;

    async fn export_households(
        &self,
        req: Request<ExportHouseholdsRequest>,
    ) -> Result<Response<Self::ExportHouseholdsStream>, Status> {
        Ok(Response::new(self.export_households(req.into_inner())?))
    }

    async fn record_income(
        &self,
        req: Request<RecordIncomeRequest>,
    ) -> Result<Response<RecordIncomeResponse>, Status> {
        write(req, |idem, r| self.record_income(idem, r)).await
    }

    async fn record_exit(
        &self,
        req: Request<RecordExitRequest>,
    ) -> Result<Response<RecordExitResponse>, Status> {
        write(req, |idem, r| self.record_exit(idem, r)).await
    }

    async fn record_monitoring(
        &self,
        req: Request<RecordMonitoringRequest>,
    ) -> Result<Response<RecordMonitoringResponse>, Status> {
        write(req, |idem, r| self.record_monitoring(idem, r)).await
    }

    async fn advance_monitoring(
        &self,
        req: Request<AdvanceMonitoringRequest>,
    ) -> Result<Response<AdvanceMonitoringResponse>, Status> {
        write(req, |idem, r| self.advance_monitoring(idem, r)).await
    }

    async fn remove_member(
        &self,
        req: Request<RemoveMemberRequest>,
    ) -> Result<Response<RemoveMemberResponse>, Status> {
        write(req, |idem, r| self.remove_member(idem, r)).await
    }

    async fn upsert_village(
        &self,
        req: Request<UpsertVillageRequest>,
    ) -> Result<Response<UpsertVillageResponse>, Status> {
        write(req, |idem, r| self.upsert_village(idem, r)).await
    }

    async fn list_villages(
        &self,
        req: Request<ListVillagesRequest>,
    ) -> Result<Response<ListVillagesResponse>, Status> {
        read(req, |r| self.list_villages(r)).await
    }

    async fn summarize_by_region(
        &self,
        req: Request<SummarizeByRegionRequest>,
    ) -> Result<Response<SummarizeByRegionResponse>, Status> {
        read(req, |r| self.summarize_by_region(r)).await
    }

    async fn record_disaster_expense(
        &self,
        req: Request<RecordDisasterExpenseRequest>,
    ) -> Result<Response<RecordDisasterExpenseResponse>, Status> {
        write(req, |idem, r| self.record_disaster_expense(idem, r)).await
    }

    async fn list_disaster_expenses(
        &self,
        req: Request<ListDisasterExpensesRequest>,
    ) -> Result<Response<ListDisasterExpensesResponse>, Status> {
        read(req, |r| self.list_disaster_expenses(r)).await
    }

    async fn get_policy(
        &self,
        req: Request<GetPolicyRequest>,
    ) -> Result<Response<GetPolicyResponse>, Status> {
        self.get_policy_impl(req.into_inner()).map(Response::new)
    }
}

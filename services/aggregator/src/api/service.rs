//! The tonic trait: each RPC calls its handler in the module of its resource.

use tonic::{Request, Response, Status};
use xk_contracts::pb::aggregator::v1::aggregator_service_server::AggregatorService;
use xk_contracts::pb::aggregator::v1::*;

use super::at_risk::AtRiskStream;
use super::state::AggregatorApi;

#[tonic::async_trait]
impl AggregatorService for AggregatorApi {
    type ListAtRiskHouseholdsStream = AtRiskStream;

    async fn list_at_risk_households(
        &self,
        req: Request<ListAtRiskHouseholdsRequest>,
    ) -> Result<Response<Self::ListAtRiskHouseholdsStream>, Status> {
        self.list_at_risk_impl(req).await.map(Response::new)
    }

    async fn get_summary(
        &self,
        req: Request<GetSummaryRequest>,
    ) -> Result<Response<GetSummaryResponse>, Status> {
        self.get_summary_impl(req).await.map(Response::new)
    }

    async fn get_household_file(
        &self,
        req: Request<GetHouseholdFileRequest>,
    ) -> Result<Response<GetHouseholdFileResponse>, Status> {
        self.get_household_file_impl(req).await.map(Response::new)
    }

    async fn take_snapshot(
        &self,
        req: Request<TakeSnapshotRequest>,
    ) -> Result<Response<TakeSnapshotResponse>, Status> {
        self.take_snapshot_impl(req).await.map(Response::new)
    }

    async fn list_snapshots(
        &self,
        req: Request<ListSnapshotsRequest>,
    ) -> Result<Response<ListSnapshotsResponse>, Status> {
        self.list_snapshots_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn check_exit_eligibility(
        &self,
        req: Request<CheckExitEligibilityRequest>,
    ) -> Result<Response<CheckExitEligibilityResponse>, Status> {
        self.check_exit_eligibility_impl(req)
            .await
            .map(Response::new)
    }

    async fn get_snapshot(
        &self,
        req: Request<GetSnapshotRequest>,
    ) -> Result<Response<GetSnapshotResponse>, Status> {
        self.get_snapshot_impl(req.into_inner())
            .await
            .map(Response::new)
    }
}

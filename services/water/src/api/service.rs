//! The tonic trait: each RPC takes the principal from the auth layer (writes) and calls
//! its implementation.

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::water::v1::water_service_server::WaterService;
use xk_contracts::pb::water::v1::*;
use xk_runtime::idempotency::principal_of;

use super::WaterApi;

#[tonic::async_trait]
impl WaterService for WaterApi {
    async fn create_scheme(
        &self,
        req: Request<CreateSchemeRequest>,
    ) -> Result<Response<CreateSchemeResponse>, Status> {
        let p = principal_of(&req)?;
        self.create_scheme_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_scheme(
        &self,
        req: Request<GetSchemeRequest>,
    ) -> Result<Response<GetSchemeResponse>, Status> {
        self.get_scheme_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn update_scheme(
        &self,
        req: Request<UpdateSchemeRequest>,
    ) -> Result<Response<UpdateSchemeResponse>, Status> {
        let p = principal_of(&req)?;
        self.update_scheme_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_schemes(
        &self,
        req: Request<ListSchemesRequest>,
    ) -> Result<Response<ListSchemesResponse>, Status> {
        self.list_schemes_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn delete_scheme(
        &self,
        req: Request<DeleteSchemeRequest>,
    ) -> Result<Response<DeleteSchemeResponse>, Status> {
        let p = principal_of(&req)?;
        self.delete_scheme_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_assessment(
        &self,
        req: Request<RecordAssessmentRequest>,
    ) -> Result<Response<RecordAssessmentResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_assessment_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn import_assessments(
        &self,
        req: Request<Streaming<ImportAssessmentsRequest>>,
    ) -> Result<Response<ImportAssessmentsResponse>, Status> {
        let p = principal_of(&req)?;
        self.import_assessments_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_household_water(
        &self,
        req: Request<GetHouseholdWaterRequest>,
    ) -> Result<Response<GetHouseholdWaterResponse>, Status> {
        self.get_household_water_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_exceptions(
        &self,
        req: Request<ListExceptionsRequest>,
    ) -> Result<Response<ListExceptionsResponse>, Status> {
        self.list_exceptions_impl(req.into_inner())
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

    async fn set_village_area(
        &self,
        req: Request<SetVillageAreaRequest>,
    ) -> Result<Response<SetVillageAreaResponse>, Status> {
        let p = principal_of(&req)?;
        self.set_village_area_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_village_areas(
        &self,
        req: Request<ListVillageAreasRequest>,
    ) -> Result<Response<ListVillageAreasResponse>, Status> {
        self.list_village_areas_impl(req.into_inner())
            .await
            .map(Response::new)
    }
}

//! The tonic trait: each RPC takes the principal from the auth layer (writes), calls its
//! handler in the resource's module, and maps the handler's [`ApiError`] to a `Status`.

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::water::v1::water_service_server::WaterService;
use xk_contracts::pb::water::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::principal_of;

use super::{WaterApi, assessments, households, schemes, villages};

/// A handler's answer as tonic wants it.
fn reply<T>(answer: Result<T, ApiError>) -> Result<Response<T>, Status> {
    answer.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl WaterService for WaterApi {
    async fn create_scheme(
        &self,
        req: Request<CreateSchemeRequest>,
    ) -> Result<Response<CreateSchemeResponse>, Status> {
        let who = principal_of(&req)?;
        reply(schemes::create(self, who, req.into_inner()).await)
    }

    async fn get_scheme(
        &self,
        req: Request<GetSchemeRequest>,
    ) -> Result<Response<GetSchemeResponse>, Status> {
        reply(schemes::get(self, req.into_inner()).await)
    }

    async fn update_scheme(
        &self,
        req: Request<UpdateSchemeRequest>,
    ) -> Result<Response<UpdateSchemeResponse>, Status> {
        let who = principal_of(&req)?;
        reply(schemes::update(self, who, req.into_inner()).await)
    }

    async fn list_schemes(
        &self,
        req: Request<ListSchemesRequest>,
    ) -> Result<Response<ListSchemesResponse>, Status> {
        reply(schemes::list(self, req.into_inner()).await)
    }

    async fn delete_scheme(
        &self,
        req: Request<DeleteSchemeRequest>,
    ) -> Result<Response<DeleteSchemeResponse>, Status> {
        let who = principal_of(&req)?;
        reply(schemes::delete(self, who, req.into_inner()).await)
    }

    async fn record_assessment(
        &self,
        req: Request<RecordAssessmentRequest>,
    ) -> Result<Response<RecordAssessmentResponse>, Status> {
        let who = principal_of(&req)?;
        reply(assessments::record(self, who, req.into_inner()).await)
    }

    async fn import_assessments(
        &self,
        req: Request<Streaming<ImportAssessmentsRequest>>,
    ) -> Result<Response<ImportAssessmentsResponse>, Status> {
        let who = principal_of(&req)?;
        assessments::import(self, who, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_household_water(
        &self,
        req: Request<GetHouseholdWaterRequest>,
    ) -> Result<Response<GetHouseholdWaterResponse>, Status> {
        reply(households::get_water(self, req.into_inner()).await)
    }

    async fn list_exceptions(
        &self,
        req: Request<ListExceptionsRequest>,
    ) -> Result<Response<ListExceptionsResponse>, Status> {
        reply(households::list_exceptions(self, req.into_inner()).await)
    }

    async fn summarize_by_region(
        &self,
        req: Request<SummarizeByRegionRequest>,
    ) -> Result<Response<SummarizeByRegionResponse>, Status> {
        reply(households::summarize(self, req.into_inner()).await)
    }

    async fn set_village_area(
        &self,
        req: Request<SetVillageAreaRequest>,
    ) -> Result<Response<SetVillageAreaResponse>, Status> {
        let who = principal_of(&req)?;
        reply(villages::set(self, who, req.into_inner()).await)
    }

    async fn list_village_areas(
        &self,
        req: Request<ListVillageAreasRequest>,
    ) -> Result<Response<ListVillageAreasResponse>, Status> {
        reply(villages::list(self, req.into_inner()).await)
    }
}

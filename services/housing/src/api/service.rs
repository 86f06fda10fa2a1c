//! The tonic trait: each RPC takes the principal from the auth layer and calls its
//! implementation; errors become statuses through [`crate::error::HousingError`].

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::housing::v1::housing_service_server::HousingService;
use xk_contracts::pb::housing::v1::*;
use xk_runtime::idempotency::principal_of;

use super::HousingApi;

#[tonic::async_trait]
impl HousingService for HousingApi {
    async fn create_site(
        &self,
        req: Request<CreateSiteRequest>,
    ) -> Result<Response<CreateSiteResponse>, Status> {
        let p = principal_of(&req)?;
        self.create_site_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn get_site(
        &self,
        req: Request<GetSiteRequest>,
    ) -> Result<Response<GetSiteResponse>, Status> {
        self.get_site_impl(req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn update_site(
        &self,
        req: Request<UpdateSiteRequest>,
    ) -> Result<Response<UpdateSiteResponse>, Status> {
        let p = principal_of(&req)?;
        self.update_site_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn list_sites(
        &self,
        req: Request<ListSitesRequest>,
    ) -> Result<Response<ListSitesResponse>, Status> {
        self.list_sites_impl(req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn delete_site(
        &self,
        req: Request<DeleteSiteRequest>,
    ) -> Result<Response<DeleteSiteResponse>, Status> {
        let p = principal_of(&req)?;
        self.delete_site_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn create_relocation(
        &self,
        req: Request<CreateRelocationRequest>,
    ) -> Result<Response<CreateRelocationResponse>, Status> {
        let p = principal_of(&req)?;
        self.create_relocation_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn get_relocation(
        &self,
        req: Request<GetRelocationRequest>,
    ) -> Result<Response<GetRelocationResponse>, Status> {
        self.get_relocation_impl(req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn update_relocation(
        &self,
        req: Request<UpdateRelocationRequest>,
    ) -> Result<Response<UpdateRelocationResponse>, Status> {
        let p = principal_of(&req)?;
        self.update_relocation_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn list_relocations(
        &self,
        req: Request<ListRelocationsRequest>,
    ) -> Result<Response<ListRelocationsResponse>, Status> {
        self.list_relocations_impl(req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn import_relocations(
        &self,
        req: Request<Streaming<ImportRelocationsRequest>>,
    ) -> Result<Response<ImportRelocationsResponse>, Status> {
        let p = principal_of(&req)?;
        self.import_relocations_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_move_in(
        &self,
        req: Request<RecordMoveInRequest>,
    ) -> Result<Response<RecordMoveInResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_move_in_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn record_demolition(
        &self,
        req: Request<RecordDemolitionRequest>,
    ) -> Result<Response<RecordDemolitionResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_demolition_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn record_reclamation(
        &self,
        req: Request<RecordReclamationRequest>,
    ) -> Result<Response<RecordReclamationResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_reclamation_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn add_support_measure(
        &self,
        req: Request<AddSupportMeasureRequest>,
    ) -> Result<Response<AddSupportMeasureResponse>, Status> {
        let p = principal_of(&req)?;
        self.add_support_measure_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn record_appraisal(
        &self,
        req: Request<RecordAppraisalRequest>,
    ) -> Result<Response<RecordAppraisalResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_appraisal_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn complete_renovation(
        &self,
        req: Request<CompleteRenovationRequest>,
    ) -> Result<Response<CompleteRenovationResponse>, Status> {
        let p = principal_of(&req)?;
        self.complete_renovation_impl(p, req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn get_appraisal(
        &self,
        req: Request<GetAppraisalRequest>,
    ) -> Result<Response<GetAppraisalResponse>, Status> {
        self.get_appraisal_impl(req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn list_exceptions(
        &self,
        req: Request<ListExceptionsRequest>,
    ) -> Result<Response<ListExceptionsResponse>, Status> {
        self.list_exceptions_impl(req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
    async fn summarize_by_region(
        &self,
        req: Request<SummarizeByRegionRequest>,
    ) -> Result<Response<SummarizeByRegionResponse>, Status> {
        self.summarize_impl(req.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}

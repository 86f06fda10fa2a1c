//! The tonic trait: each RPC takes the principal from the auth layer and calls its
//! implementation.

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::health::v1::health_insurance_service_server::HealthInsuranceService;
use xk_contracts::pb::health::v1::*;
use xk_runtime::idempotency::principal_of;

use super::HealthApi;

#[tonic::async_trait]
impl HealthInsuranceService for HealthApi {
    async fn enrol(&self, req: Request<EnrolRequest>) -> Result<Response<EnrolResponse>, Status> {
        let p = principal_of(&req)?;
        self.enrol_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn import_enrolments(
        &self,
        req: Request<Streaming<ImportEnrolmentsRequest>>,
    ) -> Result<Response<ImportEnrolmentsResponse>, Status> {
        let p = principal_of(&req)?;
        self.import_enrolments_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn upsert_institution(
        &self,
        req: Request<UpsertInstitutionRequest>,
    ) -> Result<Response<UpsertInstitutionResponse>, Status> {
        let p = principal_of(&req)?;
        self.upsert_institution_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_institutions(
        &self,
        req: Request<ListInstitutionsRequest>,
    ) -> Result<Response<ListInstitutionsResponse>, Status> {
        self.list_institutions_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn settle_case(
        &self,
        req: Request<SettleCaseRequest>,
    ) -> Result<Response<SettleCaseResponse>, Status> {
        let p = principal_of(&req)?;
        self.settle_case_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn reverse_case(
        &self,
        req: Request<ReverseCaseRequest>,
    ) -> Result<Response<ReverseCaseResponse>, Status> {
        let p = principal_of(&req)?;
        self.reverse_case_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_person_year(
        &self,
        req: Request<GetPersonYearRequest>,
    ) -> Result<Response<GetPersonYearResponse>, Status> {
        self.get_person_year_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_cases(
        &self,
        req: Request<ListCasesRequest>,
    ) -> Result<Response<ListCasesResponse>, Status> {
        self.list_cases_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_person_payments(
        &self,
        req: Request<ListPersonPaymentsRequest>,
    ) -> Result<Response<ListPersonPaymentsResponse>, Status> {
        self.list_person_payments_impl(req.into_inner())
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
}

//! The tonic trait: each RPC takes the principal from the auth layer (writes), calls its
//! resource's handler, and turns an [`xk_runtime::ApiError`] into a status with `?`.

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::health::v1::health_insurance_service_server::HealthInsuranceService;
use xk_contracts::pb::health::v1::*;
use xk_runtime::idempotency::principal_of;

use super::{HealthApi, enrolments, institutions, reads, reversals, settlements};

/// A handler's answer as tonic wants it.
type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl HealthInsuranceService for HealthApi {
    async fn enrol(&self, req: Request<EnrolRequest>) -> Answer<EnrolResponse> {
        let who = principal_of(&req)?;
        Ok(Response::new(
            enrolments::enrol(self, who, req.into_inner()).await?,
        ))
    }

    async fn import_enrolments(
        &self,
        req: Request<Streaming<ImportEnrolmentsRequest>>,
    ) -> Answer<ImportEnrolmentsResponse> {
        let who = principal_of(&req)?;
        Ok(Response::new(
            enrolments::import(self, who, req.into_inner()).await?,
        ))
    }

    async fn upsert_institution(
        &self,
        req: Request<UpsertInstitutionRequest>,
    ) -> Answer<UpsertInstitutionResponse> {
        let who = principal_of(&req)?;
        Ok(Response::new(
            institutions::upsert(self, who, req.into_inner()).await?,
        ))
    }

    async fn list_institutions(
        &self,
        req: Request<ListInstitutionsRequest>,
    ) -> Answer<ListInstitutionsResponse> {
        Ok(Response::new(
            reads::list_institutions(self, req.into_inner()).await?,
        ))
    }

    async fn settle_case(&self, req: Request<SettleCaseRequest>) -> Answer<SettleCaseResponse> {
        let who = principal_of(&req)?;
        Ok(Response::new(
            settlements::settle(self, who, req.into_inner()).await?,
        ))
    }

    async fn reverse_case(&self, req: Request<ReverseCaseRequest>) -> Answer<ReverseCaseResponse> {
        let who = principal_of(&req)?;
        Ok(Response::new(
            reversals::reverse(self, who, req.into_inner()).await?,
        ))
    }

    async fn get_person_year(
        &self,
        req: Request<GetPersonYearRequest>,
    ) -> Answer<GetPersonYearResponse> {
        Ok(Response::new(
            reads::get_person_year(self, req.into_inner()).await?,
        ))
    }

    async fn list_cases(&self, req: Request<ListCasesRequest>) -> Answer<ListCasesResponse> {
        Ok(Response::new(
            reads::list_cases(self, req.into_inner()).await?,
        ))
    }

    async fn list_person_payments(
        &self,
        req: Request<ListPersonPaymentsRequest>,
    ) -> Answer<ListPersonPaymentsResponse> {
        Ok(Response::new(
            reads::list_person_payments(self, req.into_inner()).await?,
        ))
    }

    async fn list_exceptions(
        &self,
        req: Request<ListExceptionsRequest>,
    ) -> Answer<ListExceptionsResponse> {
        Ok(Response::new(
            reads::list_exceptions(self, req.into_inner()).await?,
        ))
    }

    async fn summarize_by_region(
        &self,
        req: Request<SummarizeByRegionRequest>,
    ) -> Answer<SummarizeByRegionResponse> {
        Ok(Response::new(
            reads::summarize(self, req.into_inner()).await?,
        ))
    }
}

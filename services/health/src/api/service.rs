//! The tonic trait, from a table of RPCs. A write takes the principal from the auth layer
//! and claims its request id (which also checks it) before its handler runs; every
//! handler's [`xk_runtime::ApiError`] becomes a status through `?`.

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::health::v1::health_insurance_service_server::HealthInsuranceService;
use xk_contracts::pb::health::v1::*;
use xk_runtime::idempotency::{Idempotent, principal_of};

use super::{HealthApi, enrolments, institutions, reads, reversals, settlements};

/// A handler's answer as tonic wants it.
type Answer<T> = Result<Response<T>, Status>;

/// Writes the trait impl: `rpc(Request) -> Response: "Method" => handler;` for each
/// write, `rpc(Request) -> Response => handler;` for each read, then any method written
/// out by hand. A macro rather than a dozen copies of the same four lines.
macro_rules! rpcs {
    (
        writes { $($write:ident($wreq:ty) -> $wresp:ty: $method:literal => $whandler:path;)* }
        reads { $($read:ident($rreq:ty) -> $rresp:ty => $rhandler:path;)* }
        $($by_hand:tt)*
    ) => {
        #[tonic::async_trait]
        impl HealthInsuranceService for HealthApi {
            $(
                async fn $write(&self, req: Request<$wreq>) -> Answer<$wresp> {
                    let principal = principal_of(&req)?;
                    let req = req.into_inner();
                    let idem =
                        Idempotent::new(principal, $method, &req.request_id, "request_id", &req)?;
                    Ok(Response::new($whandler(self, idem, req).await?))
                }
            )*
            $(
                async fn $read(&self, req: Request<$rreq>) -> Answer<$rresp> {
                    Ok(Response::new($rhandler(self, req.into_inner()).await?))
                }
            )*
            $($by_hand)*
        }
    };
}

rpcs! {
    writes {
        enrol(EnrolRequest) -> EnrolResponse: "Enrol" => enrolments::enrol;
        upsert_institution(UpsertInstitutionRequest) -> UpsertInstitutionResponse:
            "UpsertInstitution" => institutions::upsert;
        settle_case(SettleCaseRequest) -> SettleCaseResponse: "SettleCase" => settlements::settle;
        reverse_case(ReverseCaseRequest) -> ReverseCaseResponse:
            "ReverseCase" => reversals::reverse;
    }
    reads {
        list_institutions(ListInstitutionsRequest) -> ListInstitutionsResponse =>
            reads::list_institutions;
        get_person_year(GetPersonYearRequest) -> GetPersonYearResponse => reads::get_person_year;
        list_cases(ListCasesRequest) -> ListCasesResponse => reads::list_cases;
        list_person_payments(ListPersonPaymentsRequest) -> ListPersonPaymentsResponse =>
            reads::list_person_payments;
        list_exceptions(ListExceptionsRequest) -> ListExceptionsResponse =>
            reads::list_exceptions;
        summarize_by_region(SummarizeByRegionRequest) -> SummarizeByRegionResponse =>
            reads::summarize;
    }

    // Each batch of the stream claims its own request id (see `enrolments::import`).
    async fn import_enrolments(
        &self,
        req: Request<Streaming<ImportEnrolmentsRequest>>,
    ) -> Answer<ImportEnrolmentsResponse> {
        let principal = principal_of(&req)?;
        Ok(Response::new(
            enrolments::import(self, principal, req.into_inner()).await?,
        ))
    }
}

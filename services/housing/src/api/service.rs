//! The tonic trait, from one table of RPCs: a write RPC's request id is claimed for the
//! caller (the principal from the auth layer) before its [`Write::handle`] runs; every
//! handler's [`ApiError`] becomes a status through the runtime's one mapping.

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::housing::v1::housing_service_server::HousingService;
use xk_contracts::pb::housing::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::{Idempotent, principal_of};

use super::{HousingApi, Read, Write, import};

/// The handler's answer as the RPC's.
fn answer<R>(result: Result<R, ApiError>) -> Result<Response<R>, Status> {
    Ok(Response::new(result?))
}

/// Implements [`HousingService`] from the lists of its write RPCs, read RPCs and
/// client-streaming imports: `rpc(Request) -> Response;`.
macro_rules! housing_service {
    (
        writes { $($write:ident($wreq:ident) -> $wresp:ident;)* }
        reads { $($read:ident($rreq:ident) -> $rresp:ident;)* }
        imports { $($import:ident($ireq:ident) -> $iresp:ident => $ihandler:path;)* }
    ) => {
        #[tonic::async_trait]
        impl HousingService for HousingApi {
            $(
                async fn $write(&self, req: Request<$wreq>) -> Result<Response<$wresp>, Status> {
                    let principal = principal_of(&req)?;
                    let req = req.into_inner();
                    // The method as the idempotency keys and the audit log name it: the
                    // request message's name without "Request".
                    let method = stringify!($wreq).trim_end_matches("Request");
                    let idem = Idempotent::new(principal, method, &req.request_id, "request_id", &req)?;
                    answer(req.handle(self, &idem).await)
                }
            )*
            $(
                async fn $read(&self, req: Request<$rreq>) -> Result<Response<$rresp>, Status> {
                    answer(req.into_inner().handle(self).await)
                }
            )*
            $(
                async fn $import(
                    &self,
                    req: Request<Streaming<$ireq>>,
                ) -> Result<Response<$iresp>, Status> {
                    let principal = principal_of(&req)?;
                    answer($ihandler(self, principal, req.into_inner()).await)
                }
            )*
        }
    };
}

housing_service! {
    writes {
        create_site(CreateSiteRequest) -> CreateSiteResponse;
        update_site(UpdateSiteRequest) -> UpdateSiteResponse;
        delete_site(DeleteSiteRequest) -> DeleteSiteResponse;
        create_relocation(CreateRelocationRequest) -> CreateRelocationResponse;
        update_relocation(UpdateRelocationRequest) -> UpdateRelocationResponse;
        record_move_in(RecordMoveInRequest) -> RecordMoveInResponse;
        record_demolition(RecordDemolitionRequest) -> RecordDemolitionResponse;
        record_reclamation(RecordReclamationRequest) -> RecordReclamationResponse;
        add_support_measure(AddSupportMeasureRequest) -> AddSupportMeasureResponse;
        record_appraisal(RecordAppraisalRequest) -> RecordAppraisalResponse;
        complete_renovation(CompleteRenovationRequest) -> CompleteRenovationResponse;
    }
    reads {
        get_site(GetSiteRequest) -> GetSiteResponse;
        list_sites(ListSitesRequest) -> ListSitesResponse;
        get_relocation(GetRelocationRequest) -> GetRelocationResponse;
        list_relocations(ListRelocationsRequest) -> ListRelocationsResponse;
        get_appraisal(GetAppraisalRequest) -> GetAppraisalResponse;
        list_exceptions(ListExceptionsRequest) -> ListExceptionsResponse;
        summarize_by_region(SummarizeByRegionRequest) -> SummarizeByRegionResponse;
    }
    imports {
        import_relocations(ImportRelocationsRequest) -> ImportRelocationsResponse
            => import::relocations;
    }
}

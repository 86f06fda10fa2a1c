//! The tonic trait, from one table of RPC → handler: a write RPC's handler gets the
//! caller's principal from the auth layer (for the idempotency claim and the audit row);
//! every handler's [`ApiError`] becomes a status through the runtime's one mapping.

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::housing::v1::housing_service_server::HousingService;
use xk_contracts::pb::housing::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::principal_of;

use super::{HousingApi, appraisals, import, milestones, reads, relocations, sites, support};

/// The handler's answer as the RPC's.
fn answer<R>(result: Result<R, ApiError>) -> Result<Response<R>, Status> {
    Ok(Response::new(result?))
}

/// Implements [`HousingService`] from `writes { rpc(Request) -> Response => handler; … }`
/// and `reads { … }`.
macro_rules! housing_service {
    (
        writes { $($write:ident($wreq:ty) -> $wresp:ty => $whandler:path;)* }
        reads { $($read:ident($rreq:ty) -> $rresp:ty => $rhandler:path;)* }
    ) => {
        #[tonic::async_trait]
        impl HousingService for HousingApi {
            $(
                async fn $write(&self, req: Request<$wreq>) -> Result<Response<$wresp>, Status> {
                    let principal = principal_of(&req)?;
                    answer($whandler(self, principal, req.into_inner()).await)
                }
            )*
            $(
                async fn $read(&self, req: Request<$rreq>) -> Result<Response<$rresp>, Status> {
                    answer($rhandler(self, req.into_inner()).await)
                }
            )*
        }
    };
}

housing_service! {
    writes {
        create_site(CreateSiteRequest) -> CreateSiteResponse => sites::create;
        update_site(UpdateSiteRequest) -> UpdateSiteResponse => sites::update;
        delete_site(DeleteSiteRequest) -> DeleteSiteResponse => sites::delete;
        create_relocation(CreateRelocationRequest) -> CreateRelocationResponse
            => relocations::create;
        update_relocation(UpdateRelocationRequest) -> UpdateRelocationResponse
            => relocations::update;
        import_relocations(Streaming<ImportRelocationsRequest>) -> ImportRelocationsResponse
            => import::relocations;
        record_move_in(RecordMoveInRequest) -> RecordMoveInResponse
            => milestones::record_move_in;
        record_demolition(RecordDemolitionRequest) -> RecordDemolitionResponse
            => milestones::record_demolition;
        record_reclamation(RecordReclamationRequest) -> RecordReclamationResponse
            => milestones::record_reclamation;
        add_support_measure(AddSupportMeasureRequest) -> AddSupportMeasureResponse
            => support::add;
        record_appraisal(RecordAppraisalRequest) -> RecordAppraisalResponse
            => appraisals::record;
        complete_renovation(CompleteRenovationRequest) -> CompleteRenovationResponse
            => appraisals::complete_renovation;
    }
    reads {
        get_site(GetSiteRequest) -> GetSiteResponse => reads::get_site;
        list_sites(ListSitesRequest) -> ListSitesResponse => reads::list_sites;
        get_relocation(GetRelocationRequest) -> GetRelocationResponse => reads::get_relocation;
        list_relocations(ListRelocationsRequest) -> ListRelocationsResponse
            => reads::list_relocations;
        get_appraisal(GetAppraisalRequest) -> GetAppraisalResponse => reads::get_appraisal;
        list_exceptions(ListExceptionsRequest) -> ListExceptionsResponse
            => reads::list_exceptions;
        summarize_by_region(SummarizeByRegionRequest) -> SummarizeByRegionResponse
            => reads::summarize_by_region;
    }
}

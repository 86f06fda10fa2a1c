//! The tonic trait, from the runtime's table of RPCs ([`xk_runtime::rpc_service!`]): a
//! write RPC's request id is claimed for the caller (the principal from the auth layer)
//! before its [`Write::handle`] runs; every handler's [`ApiError`] becomes a status
//! through the runtime's one mapping.

use xk_contracts::pb::housing::v1::housing_service_server::HousingService;
use xk_contracts::pb::housing::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::Idempotent;

use super::{HousingApi, Read, Write, import};

/// A write RPC claimed under `idem`: the request's own [`Write::handle`].
async fn write<W: Write>(api: &HousingApi, idem: Idempotent, req: W) -> Result<W::Reply, ApiError> {
    req.handle(api, &idem).await
}

/// A read RPC: the request's own [`Read::handle`].
async fn read<R: Read>(api: &HousingApi, req: R) -> Result<R::Reply, ApiError> {
    req.handle(api).await
}

xk_runtime::rpc_service! {
    impl HousingService for HousingApi;
    writes via write {
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
    reads via read {
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

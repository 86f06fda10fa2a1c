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
    writes {
        create_site(CreateSiteRequest) -> CreateSiteResponse => write;
        update_site(UpdateSiteRequest) -> UpdateSiteResponse => write;
        delete_site(DeleteSiteRequest) -> DeleteSiteResponse => write;
        create_relocation(CreateRelocationRequest) -> CreateRelocationResponse => write;
        update_relocation(UpdateRelocationRequest) -> UpdateRelocationResponse => write;
        record_move_in(RecordMoveInRequest) -> RecordMoveInResponse => write;
        record_demolition(RecordDemolitionRequest) -> RecordDemolitionResponse => write;
        record_reclamation(RecordReclamationRequest) -> RecordReclamationResponse => write;
        add_support_measure(AddSupportMeasureRequest) -> AddSupportMeasureResponse => write;
        record_appraisal(RecordAppraisalRequest) -> RecordAppraisalResponse => write;
        complete_renovation(CompleteRenovationRequest) -> CompleteRenovationResponse => write;
    }
    reads {
        get_site(GetSiteRequest) -> GetSiteResponse => read;
        list_sites(ListSitesRequest) -> ListSitesResponse => read;
        get_relocation(GetRelocationRequest) -> GetRelocationResponse => read;
        list_relocations(ListRelocationsRequest) -> ListRelocationsResponse => read;
        get_appraisal(GetAppraisalRequest) -> GetAppraisalResponse => read;
        list_exceptions(ListExceptionsRequest) -> ListExceptionsResponse => read;
        summarize_by_region(SummarizeByRegionRequest) -> SummarizeByRegionResponse => read;
    }
    imports {
        import_relocations(ImportRelocationsRequest) -> ImportRelocationsResponse
            => import::relocations;
    }
}

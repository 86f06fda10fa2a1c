//! The tonic trait, from the runtime's table of RPCs ([`xk_runtime::rpc_service!`]): each
//! write claims its request id for the principal the auth layer attached before its
//! handler runs, each RPC calls its handler in the resource's module, and the handler's
//! [`xk_runtime::ApiError`] becomes a `Status`.

use xk_contracts::pb::water::v1::water_service_server::WaterService;
use xk_contracts::pb::water::v1::*;

use super::{WaterApi, assessments, households, schemes, villages};

xk_runtime::rpc_service! {
    impl WaterService for WaterApi;
    writes {
        create_scheme(CreateSchemeRequest) -> CreateSchemeResponse => schemes::create;
        update_scheme(UpdateSchemeRequest) -> UpdateSchemeResponse => schemes::update;
        delete_scheme(DeleteSchemeRequest) -> DeleteSchemeResponse => schemes::delete;
        record_assessment(RecordAssessmentRequest) -> RecordAssessmentResponse
            => assessments::record;
        set_village_area(SetVillageAreaRequest) -> SetVillageAreaResponse => villages::set;
    }
    reads {
        get_scheme(GetSchemeRequest) -> GetSchemeResponse => schemes::get;
        list_schemes(ListSchemesRequest) -> ListSchemesResponse => schemes::list;
        get_household_water(GetHouseholdWaterRequest) -> GetHouseholdWaterResponse
            => households::get_water;
        list_exceptions(ListExceptionsRequest) -> ListExceptionsResponse
            => households::list_exceptions;
        summarize_by_region(SummarizeByRegionRequest) -> SummarizeByRegionResponse
            => households::summarize;
        list_village_areas(ListVillageAreasRequest) -> ListVillageAreasResponse
            => villages::list;
    }
    imports {
        import_assessments(ImportAssessmentsRequest) -> ImportAssessmentsResponse
            => assessments::import;
    }
}

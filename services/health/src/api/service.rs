//! The tonic trait, from the runtime's table of RPCs ([`xk_runtime::rpc_service!`]). A
//! write takes the principal from the auth layer and claims its request id (which also
//! checks it) before its handler runs; every handler's [`xk_runtime::ApiError`] becomes a
//! status through `?`. Each batch of the import stream claims its own request id (see
//! `enrolments::import`).

use xk_contracts::pb::health::v1::health_insurance_service_server::HealthInsuranceService;
use xk_contracts::pb::health::v1::*;

use super::{HealthApi, enrolments, institutions, reads, reversals, settlements};

xk_runtime::rpc_service! {
    impl HealthInsuranceService for HealthApi;
    writes {
        enrol(EnrolRequest) -> EnrolResponse => enrolments::enrol;
        upsert_institution(UpsertInstitutionRequest) -> UpsertInstitutionResponse
            => institutions::upsert;
        settle_case(SettleCaseRequest) -> SettleCaseResponse => settlements::settle;
        reverse_case(ReverseCaseRequest) -> ReverseCaseResponse => reversals::reverse;
    }
    reads {
        list_institutions(ListInstitutionsRequest) -> ListInstitutionsResponse
            => reads::list_institutions;
        get_person_year(GetPersonYearRequest) -> GetPersonYearResponse => reads::get_person_year;
        list_cases(ListCasesRequest) -> ListCasesResponse => reads::list_cases;
        list_person_payments(ListPersonPaymentsRequest) -> ListPersonPaymentsResponse
            => reads::list_person_payments;
        list_exceptions(ListExceptionsRequest) -> ListExceptionsResponse
            => reads::list_exceptions;
        summarize_by_region(SummarizeByRegionRequest) -> SummarizeByRegionResponse
            => reads::summarize;
    }
    imports {
        import_enrolments(ImportEnrolmentsRequest) -> ImportEnrolmentsResponse
            => enrolments::import;
    }
}

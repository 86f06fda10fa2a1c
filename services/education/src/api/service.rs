//! The tonic trait, from the runtime's table of RPCs ([`xk_runtime::rpc_service!`]): a
//! write claims its request id for the principal the auth layer attached (a retry is
//! answered with the first answer, a reused id with another body is refused) and applies
//! ([`Write::apply`], in the resource's module); a read calls its handler; the handler's
//! [`ApiError`] becomes a status through the one mapping, `From<ApiError> for Status`.

use xk_contracts::pb::education::v1::education_service_server::EducationService;
use xk_contracts::pb::education::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::Idempotent;

use super::rpc::Write;
use super::{EducationApi, expenses, import, reads};

/// A unary write claimed under `idem`: the request's own [`Write::apply`].
async fn apply<T: Write>(
    api: &EducationApi,
    idem: Idempotent,
    req: T,
) -> Result<T::Response, ApiError> {
    req.apply(api, idem).await
}

xk_runtime::rpc_service! {
    impl EducationService for EducationApi;
    writes via apply {
        create_student(CreateStudentRequest) -> CreateStudentResponse;
        update_student(UpdateStudentRequest) -> UpdateStudentResponse;
        send_letter(SendLetterRequest) -> SendLetterResponse;
        record_letter_reply(RecordLetterReplyRequest) -> RecordLetterReplyResponse;
        record_visit(RecordVisitRequest) -> RecordVisitResponse;
        open_case(OpenCaseRequest) -> OpenCaseResponse;
        add_follow_up(AddFollowUpRequest) -> AddFollowUpResponse;
        close_case(CloseCaseRequest) -> CloseCaseResponse;
        record_subsidy(RecordSubsidyRequest) -> RecordSubsidyResponse;
        record_survey(RecordSurveyRequest) -> RecordSurveyResponse;
        record_schooling_expense(RecordSchoolingExpenseRequest)
            -> RecordSchoolingExpenseResponse;
    }
    reads {
        get_student(GetStudentRequest) -> GetStudentResponse => reads::get_student;
        list_students(ListStudentsRequest) -> ListStudentsResponse => reads::list_students;
        list_exceptions(ListExceptionsRequest) -> ListExceptionsResponse => reads::list_exceptions;
        summarize_by_region(SummarizeByRegionRequest) -> SummarizeByRegionResponse
            => reads::summarize;
        list_schooling_expenses(ListSchoolingExpensesRequest) -> ListSchoolingExpensesResponse
            => expenses::list_schooling_expenses;
    }
    imports {
        import_students(ImportStudentsRequest) -> ImportStudentsResponse
            => import::import_students;
    }
}

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
    writes {
        create_student(CreateStudentRequest) -> CreateStudentResponse => apply;
        update_student(UpdateStudentRequest) -> UpdateStudentResponse => apply;
        send_letter(SendLetterRequest) -> SendLetterResponse => apply;
        record_letter_reply(RecordLetterReplyRequest) -> RecordLetterReplyResponse => apply;
        record_visit(RecordVisitRequest) -> RecordVisitResponse => apply;
        open_case(OpenCaseRequest) -> OpenCaseResponse => apply;
        add_follow_up(AddFollowUpRequest) -> AddFollowUpResponse => apply;
        close_case(CloseCaseRequest) -> CloseCaseResponse => apply;
        record_subsidy(RecordSubsidyRequest) -> RecordSubsidyResponse => apply;
        record_survey(RecordSurveyRequest) -> RecordSurveyResponse => apply;
        record_schooling_expense(RecordSchoolingExpenseRequest)
            -> RecordSchoolingExpenseResponse => apply;
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

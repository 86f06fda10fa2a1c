//! The tonic trait: each RPC takes the principal from the auth layer (writes) and calls
//! its implementation.

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::education::v1::education_service_server::EducationService;
use xk_contracts::pb::education::v1::*;
use xk_runtime::idempotency::principal_of;

use super::EducationApi;

#[tonic::async_trait]
impl EducationService for EducationApi {
    async fn create_student(
        &self,
        req: Request<CreateStudentRequest>,
    ) -> Result<Response<CreateStudentResponse>, Status> {
        let p = principal_of(&req)?;
        self.create_student_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_student(
        &self,
        req: Request<GetStudentRequest>,
    ) -> Result<Response<GetStudentResponse>, Status> {
        self.get_student_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn update_student(
        &self,
        req: Request<UpdateStudentRequest>,
    ) -> Result<Response<UpdateStudentResponse>, Status> {
        let p = principal_of(&req)?;
        self.update_student_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_students(
        &self,
        req: Request<ListStudentsRequest>,
    ) -> Result<Response<ListStudentsResponse>, Status> {
        self.list_students_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn import_students(
        &self,
        req: Request<Streaming<ImportStudentsRequest>>,
    ) -> Result<Response<ImportStudentsResponse>, Status> {
        let p = principal_of(&req)?;
        self.import_students_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn send_letter(
        &self,
        req: Request<SendLetterRequest>,
    ) -> Result<Response<SendLetterResponse>, Status> {
        let p = principal_of(&req)?;
        self.send_letter_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_letter_reply(
        &self,
        req: Request<RecordLetterReplyRequest>,
    ) -> Result<Response<RecordLetterReplyResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_letter_reply_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_visit(
        &self,
        req: Request<RecordVisitRequest>,
    ) -> Result<Response<RecordVisitResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_visit_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn open_case(
        &self,
        req: Request<OpenCaseRequest>,
    ) -> Result<Response<OpenCaseResponse>, Status> {
        let p = principal_of(&req)?;
        self.open_case_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn add_follow_up(
        &self,
        req: Request<AddFollowUpRequest>,
    ) -> Result<Response<AddFollowUpResponse>, Status> {
        let p = principal_of(&req)?;
        self.add_follow_up_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn close_case(
        &self,
        req: Request<CloseCaseRequest>,
    ) -> Result<Response<CloseCaseResponse>, Status> {
        let p = principal_of(&req)?;
        self.close_case_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_subsidy(
        &self,
        req: Request<RecordSubsidyRequest>,
    ) -> Result<Response<RecordSubsidyResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_subsidy_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_survey(
        &self,
        req: Request<RecordSurveyRequest>,
    ) -> Result<Response<RecordSurveyResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_survey_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_exceptions(
        &self,
        req: Request<ListExceptionsRequest>,
    ) -> Result<Response<ListExceptionsResponse>, Status> {
        self.list_exceptions_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn summarize_by_region(
        &self,
        req: Request<SummarizeByRegionRequest>,
    ) -> Result<Response<SummarizeByRegionResponse>, Status> {
        self.summarize_impl(req.into_inner())
            .await
            .map(Response::new)
    }

    async fn record_schooling_expense(
        &self,
        req: Request<RecordSchoolingExpenseRequest>,
    ) -> Result<Response<RecordSchoolingExpenseResponse>, Status> {
        let p = principal_of(&req)?;
        self.record_schooling_expense_impl(p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn list_schooling_expenses(
        &self,
        req: Request<ListSchoolingExpensesRequest>,
    ) -> Result<Response<ListSchoolingExpensesResponse>, Status> {
        self.list_schooling_expenses_impl(req.into_inner())
            .await
            .map(Response::new)
    }
}

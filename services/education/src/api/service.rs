//! The tonic trait: each RPC takes the principal the auth layer attached (writes), calls
//! its handler in the resource's module, and maps the handler's [`ApiError`] to a status
//! (the one mapping, `From<ApiError> for Status`).

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::education::v1::education_service_server::EducationService;
use xk_contracts::pb::education::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::principal_of;

use super::{
    EducationApi, cases, expenses, import, letters, reads, students, subsidies, surveys, visits,
};

/// A handler's answer as tonic wants it.
fn answer<T>(r: Result<T, ApiError>) -> Result<Response<T>, Status> {
    r.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl EducationService for EducationApi {
    async fn create_student(
        &self,
        req: Request<CreateStudentRequest>,
    ) -> Result<Response<CreateStudentResponse>, Status> {
        let p = principal_of(&req)?;
        answer(students::create_student(self, p, req.into_inner()).await)
    }

    async fn get_student(
        &self,
        req: Request<GetStudentRequest>,
    ) -> Result<Response<GetStudentResponse>, Status> {
        answer(reads::get_student(self, req.into_inner()).await)
    }

    async fn update_student(
        &self,
        req: Request<UpdateStudentRequest>,
    ) -> Result<Response<UpdateStudentResponse>, Status> {
        let p = principal_of(&req)?;
        answer(students::update_student(self, p, req.into_inner()).await)
    }

    async fn list_students(
        &self,
        req: Request<ListStudentsRequest>,
    ) -> Result<Response<ListStudentsResponse>, Status> {
        answer(reads::list_students(self, req.into_inner()).await)
    }

    async fn import_students(
        &self,
        req: Request<Streaming<ImportStudentsRequest>>,
    ) -> Result<Response<ImportStudentsResponse>, Status> {
        let p = principal_of(&req)?;
        import::import_students(self, p, req.into_inner())
            .await
            .map(Response::new)
    }

    async fn send_letter(
        &self,
        req: Request<SendLetterRequest>,
    ) -> Result<Response<SendLetterResponse>, Status> {
        let p = principal_of(&req)?;
        answer(letters::send_letter(self, p, req.into_inner()).await)
    }

    async fn record_letter_reply(
        &self,
        req: Request<RecordLetterReplyRequest>,
    ) -> Result<Response<RecordLetterReplyResponse>, Status> {
        let p = principal_of(&req)?;
        answer(letters::record_letter_reply(self, p, req.into_inner()).await)
    }

    async fn record_visit(
        &self,
        req: Request<RecordVisitRequest>,
    ) -> Result<Response<RecordVisitResponse>, Status> {
        let p = principal_of(&req)?;
        answer(visits::record_visit(self, p, req.into_inner()).await)
    }

    async fn open_case(
        &self,
        req: Request<OpenCaseRequest>,
    ) -> Result<Response<OpenCaseResponse>, Status> {
        let p = principal_of(&req)?;
        answer(cases::open_case(self, p, req.into_inner()).await)
    }

    async fn add_follow_up(
        &self,
        req: Request<AddFollowUpRequest>,
    ) -> Result<Response<AddFollowUpResponse>, Status> {
        let p = principal_of(&req)?;
        answer(cases::add_follow_up(self, p, req.into_inner()).await)
    }

    async fn close_case(
        &self,
        req: Request<CloseCaseRequest>,
    ) -> Result<Response<CloseCaseResponse>, Status> {
        let p = principal_of(&req)?;
        answer(cases::close_case(self, p, req.into_inner()).await)
    }

    async fn record_subsidy(
        &self,
        req: Request<RecordSubsidyRequest>,
    ) -> Result<Response<RecordSubsidyResponse>, Status> {
        let p = principal_of(&req)?;
        answer(subsidies::record_subsidy(self, p, req.into_inner()).await)
    }

    async fn record_survey(
        &self,
        req: Request<RecordSurveyRequest>,
    ) -> Result<Response<RecordSurveyResponse>, Status> {
        let p = principal_of(&req)?;
        answer(surveys::record_survey(self, p, req.into_inner()).await)
    }

    async fn list_exceptions(
        &self,
        req: Request<ListExceptionsRequest>,
    ) -> Result<Response<ListExceptionsResponse>, Status> {
        answer(reads::list_exceptions(self, req.into_inner()).await)
    }

    async fn summarize_by_region(
        &self,
        req: Request<SummarizeByRegionRequest>,
    ) -> Result<Response<SummarizeByRegionResponse>, Status> {
        answer(reads::summarize(self, req.into_inner()).await)
    }

    async fn record_schooling_expense(
        &self,
        req: Request<RecordSchoolingExpenseRequest>,
    ) -> Result<Response<RecordSchoolingExpenseResponse>, Status> {
        let p = principal_of(&req)?;
        answer(expenses::record_schooling_expense(self, p, req.into_inner()).await)
    }

    async fn list_schooling_expenses(
        &self,
        req: Request<ListSchoolingExpensesRequest>,
    ) -> Result<Response<ListSchoolingExpensesResponse>, Status> {
        answer(expenses::list_schooling_expenses(self, req.into_inner()).await)
    }
}

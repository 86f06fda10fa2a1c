//! The tonic trait: a write claims its request id for the principal the auth layer
//! attached ([`claim`]: a retry is answered with the first answer, a reused id with another
//! body is refused) and applies ([`Write::apply`], in the resource's module); a read calls
//! its handler; the handler's [`ApiError`] becomes a status through the one mapping,
//! `From<ApiError> for Status`.

use tonic::{Request, Response, Status, Streaming};
use xk_contracts::pb::education::v1::education_service_server::EducationService;
use xk_contracts::pb::education::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::{Idempotent, principal_of};

use super::rpc::{Rpc, Write};
use super::{EducationApi, expenses, import, reads};

/// The idempotency claim of a write (who, which RPC, which request id, the body's
/// fingerprint), checked before anything else, and the request.
fn claim<T: Rpc>(req: Request<T>) -> Result<(Idempotent, T), Status> {
    let principal = principal_of(&req)?;
    let req = req.into_inner();
    let idem = Idempotent::new(principal, T::METHOD, req.request_id(), "request_id", &req)?;
    Ok((idem, req))
}

/// A handler's answer as tonic wants it.
fn answer<T>(r: Result<T, ApiError>) -> Result<Response<T>, Status> {
    r.map(Response::new).map_err(Status::from)
}

impl EducationApi {
    /// A unary write: the claim, then the request's own [`Write::apply`].
    async fn write<T: Write>(&self, req: Request<T>) -> Result<Response<T::Response>, Status> {
        let (idem, req) = claim(req)?;
        answer(req.apply(self, idem).await)
    }
}

#[tonic::async_trait]
impl EducationService for EducationApi {
    async fn create_student(
        &self,
        req: Request<CreateStudentRequest>,
    ) -> Result<Response<CreateStudentResponse>, Status> {
        self.write(req).await
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
        self.write(req).await
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
        self.write(req).await
    }

    async fn record_letter_reply(
        &self,
        req: Request<RecordLetterReplyRequest>,
    ) -> Result<Response<RecordLetterReplyResponse>, Status> {
        self.write(req).await
    }

    async fn record_visit(
        &self,
        req: Request<RecordVisitRequest>,
    ) -> Result<Response<RecordVisitResponse>, Status> {
        self.write(req).await
    }

    async fn open_case(
        &self,
        req: Request<OpenCaseRequest>,
    ) -> Result<Response<OpenCaseResponse>, Status> {
        self.write(req).await
    }

    async fn add_follow_up(
        &self,
        req: Request<AddFollowUpRequest>,
    ) -> Result<Response<AddFollowUpResponse>, Status> {
        self.write(req).await
    }

    async fn close_case(
        &self,
        req: Request<CloseCaseRequest>,
    ) -> Result<Response<CloseCaseResponse>, Status> {
        self.write(req).await
    }

    async fn record_subsidy(
        &self,
        req: Request<RecordSubsidyRequest>,
    ) -> Result<Response<RecordSubsidyResponse>, Status> {
        self.write(req).await
    }

    async fn record_survey(
        &self,
        req: Request<RecordSurveyRequest>,
    ) -> Result<Response<RecordSurveyResponse>, Status> {
        self.write(req).await
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
        self.write(req).await
    }

    async fn list_schooling_expenses(
        &self,
        req: Request<ListSchoolingExpensesRequest>,
    ) -> Result<Response<ListSchoolingExpensesResponse>, Status> {
        answer(expenses::list_schooling_expenses(self, req.into_inner()).await)
    }
}

//! What a unary write RPC is to the api: its name, its answer and its request id
//! ([`Rpc`], one table for all of them below), and how it applies ([`Write`], implemented
//! by each request message in its resource's module, after mini-redis's one command per
//! file). A leaf of the api: `service` and the resource modules use it.

use xk_contracts::pb::education::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::Idempotent;

use super::EducationApi;

/// A unary write request: the RPC it belongs to and the id its caller retries it under.
pub(super) trait Rpc: prost::Message + Sized {
    /// The RPC's name: the idempotency key's method, and the audit log's.
    const METHOD: &'static str;
    /// The RPC's answer.
    type Response;
    /// The request id.
    fn request_id(&self) -> &str;
}

/// How a write request applies.
pub(super) trait Write: Rpc {
    /// Validates the request (INVALID_ARGUMENT naming every bad field, nothing touched),
    /// then applies its domain rule and store change as one [`xk_runtime::Db::write`] under
    /// `idem`, the request id's claim.
    fn apply(
        self,
        api: &EducationApi,
        idem: Idempotent,
    ) -> impl Future<Output = Result<Self::Response, ApiError>> + Send;
}

/// Every unary write request carries `request_id`; the table says which RPC each one is
/// and what it answers.
macro_rules! writes {
    ($($request:ty => $method:literal, $response:ty;)+) => {$(
        impl Rpc for $request {
            const METHOD: &'static str = $method;
            type Response = $response;
            fn request_id(&self) -> &str {
                &self.request_id
            }
        }
    )+};
}

writes! {
    CreateStudentRequest => "CreateStudent", CreateStudentResponse;
    UpdateStudentRequest => "UpdateStudent", UpdateStudentResponse;
    SendLetterRequest => "SendLetter", SendLetterResponse;
    RecordLetterReplyRequest => "RecordLetterReply", RecordLetterReplyResponse;
    RecordVisitRequest => "RecordVisit", RecordVisitResponse;
    OpenCaseRequest => "OpenCase", OpenCaseResponse;
    AddFollowUpRequest => "AddFollowUp", AddFollowUpResponse;
    CloseCaseRequest => "CloseCase", CloseCaseResponse;
    RecordSubsidyRequest => "RecordSubsidy", RecordSubsidyResponse;
    RecordSurveyRequest => "RecordSurvey", RecordSurveyResponse;
    RecordSchoolingExpenseRequest => "RecordSchoolingExpense", RecordSchoolingExpenseResponse;
}

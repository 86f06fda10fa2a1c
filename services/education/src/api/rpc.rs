//! What a unary write RPC is to the api: its answer ([`Rpc`], one table for all of them
//! below; the runtime's `rpc_service!` claims the request id under the RPC's name), and
//! how it applies ([`Write`], implemented by each request message in its resource's
//! module, after mini-redis's one command per file). A leaf of the api: `service` and the
//! resource modules use it.

use xk_contracts::pb::education::v1::*;
use xk_runtime::ApiError;
use xk_runtime::idempotency::Idempotent;

use super::EducationApi;

/// A unary write request and the answer of its RPC.
pub(super) trait Rpc: prost::Message + Sized {
    /// The RPC's answer.
    type Response;
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

/// The table says what each unary write request answers.
macro_rules! writes {
    ($($request:ty => $response:ty;)+) => {$(
        impl Rpc for $request {
            type Response = $response;
        }
    )+};
}

writes! {
    CreateStudentRequest => CreateStudentResponse;
    UpdateStudentRequest => UpdateStudentResponse;
    SendLetterRequest => SendLetterResponse;
    RecordLetterReplyRequest => RecordLetterReplyResponse;
    RecordVisitRequest => RecordVisitResponse;
    OpenCaseRequest => OpenCaseResponse;
    AddFollowUpRequest => AddFollowUpResponse;
    CloseCaseRequest => CloseCaseResponse;
    RecordSubsidyRequest => RecordSubsidyResponse;
    RecordSurveyRequest => RecordSurveyResponse;
    RecordSchoolingExpenseRequest => RecordSchoolingExpenseResponse;
}

//! The tower layers of this module, in the stack every service is served behind (assembled
//! in one place, [`crate::server::start_service`]):
//!
//! calls ([`crate::budget`]) -> trace -> auth -> deadline (and error mapping) -> bounded
//! write and read queues ([`crate::shed`], gRPC health exempt) -> conflict retry
//! ([`crate::retry`])
//!
//! - trace: one span per call with the method and the request id (`x-request-id`, made up
//!   when absent and echoed back), a child of the caller's span when the call carries a
//!   W3C `traceparent` ([`crate::traces`]), and one line when the call ends with its gRPC status and
//!   latency, at a level set by the outcome ([`CallOutcome`]): DEBUG for what a caller
//!   expects (INFO with [`crate::telemetry::set_log_calls`]), WARN for overload and
//!   unavailability, ERROR for a server fault.
//! - auth: bearer token -> principal -> [`ServiceSpec::authorize`]; health and reflection
//!   are open so generic tools work without a token.
//! - deadline: the client's `grpc-timeout`, capped by the server's maximum; a call past it
//!   answers DEADLINE_EXCEEDED (a raw tower timeout would reach the client as INTERNAL).
//! - queues (in [`crate::shed`]): past its class's queue depth a call is refused at once
//!   with RESOURCE_EXHAUSTED, and an admitted call that cannot start within the wait
//!   bound is refused too, so latency stays bounded under overload; health is never shed.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use http::{HeaderValue, Request, Response};
use tonic::Status;
use tower::{BoxError, Layer, Service};

use crate::auth::{Access, Principal, ServiceSpec, TokenTable};

/// Header carrying one request id across services and into logs.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Process-unique request ids for calls that arrive without one: a random prefix per
/// process (so ids from replicas do not collide) and a counter.
fn next_request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| crate::auth::random_token()[..8].to_string());
    format!("{prefix}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The request id of a call, put into request extensions by the trace layer.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn is_open_path(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.") || path.starts_with("/grpc.reflection.")
}

/// Splits `/pkg.Service/Method` into (service, method).
fn split_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix('/')?;
    rest.split_once('/')
}

/// Layer adding [`Auth`].
#[derive(Clone)]
pub struct AuthLayer {
    tokens: Arc<TokenTable>,
    spec: ServiceSpec,
}

impl AuthLayer {
    /// Authenticates against `tokens` and authorizes by `spec`.
    pub fn new(tokens: Arc<TokenTable>, spec: ServiceSpec) -> Self {
        Self { tokens, spec }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;
    fn layer(&self, inner: S) -> Auth<S> {
        Auth {
            inner,
            tokens: self.tokens.clone(),
            spec: self.spec,
        }
    }
}

/// Bearer-token authentication and per-method authorization.
#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    tokens: Arc<TokenTable>,
    spec: ServiceSpec,
}

impl<S> Auth<S> {
    fn check<B>(&self, req: &Request<B>) -> Result<Option<Principal>, Status> {
        let path = req.uri().path();
        if is_open_path(path) {
            return Ok(None);
        }
        let header = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .ok_or_else(|| Status::unauthenticated("missing authorization: Bearer <token>"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| Status::unauthenticated("authorization must be 'Bearer <token>'"))?;
        let principal = self
            .tokens
            .lookup(token.trim())
            .ok_or_else(|| Status::unauthenticated("unknown token"))?;
        match split_path(path) {
            // An unknown service or method falls through to routing (UNIMPLEMENTED).
            Some((svc, method))
                if svc == self.spec.grpc_name
                    && self.spec.authorize(principal, method) == Access::Denied =>
            {
                return Err(Status::permission_denied(format!(
                    "{} may not call {}/{}",
                    principal.name(),
                    self.spec.name,
                    method
                )));
            }
            _ => {}
        }
        Ok(Some(principal))
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Auth<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // Take the service that was polled ready; leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        match self.check(&req) {
            Ok(principal) => {
                if let Some(p) = principal {
                    tracing::Span::current().record("principal", p.name());
                    req.extensions_mut().insert(p);
                }
                Box::pin(inner.call(req))
            }
            Err(status) => {
                tracing::Span::current().record("principal", "refused");
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

/// Layer adding [`Deadline`].
#[derive(Clone, Copy)]
pub struct DeadlineLayer {
    max: Duration,
}

impl DeadlineLayer {
    /// Caps every call at `max`, or the client's shorter deadline.
    pub fn new(max: Duration) -> Self {
        Self { max }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;
    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            max: self.max,
        }
    }
}

/// Enforces deadlines and turns every error of the layers below into a gRPC status.
#[derive(Clone)]
pub struct Deadline<S> {
    inner: S,
    max: Duration,
}

/// Parses a `grpc-timeout` header value (`100m`, `5S`, …).
pub fn parse_grpc_timeout(v: &str) -> Option<Duration> {
    // ASCII only: splitting off the unit below must land on a character boundary.
    if v.len() < 2 || v.len() > 9 || !v.is_ascii() {
        return None;
    }
    let (digits, unit) = v.split_at(v.len() - 1);
    // ASCII digits only: `u64::from_str` would also take a leading `+`, which the
    // gRPC wire format does not allow.
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Maps an error raised below the service (a full queue, …) to a status.
fn error_status(e: BoxError) -> Status {
    match e.downcast_ref::<crate::shed::Overloaded>() {
        Some(refused) => Status::resource_exhausted(refused.to_string()),
        None => Status::from_error(e),
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Deadline<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Readiness errors are reported from `call` as a status instead.
        match self.inner.poll_ready(cx) {
            Poll::Ready(Err(e)) => {
                tracing::warn!(error = %e.into(), "service not ready");
                Poll::Ready(Ok(()))
            }
            other => other.map_err(Into::into),
        }
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let client = req
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout);
        let limit = client.map_or(self.max, |c| c.min(self.max));
        Box::pin(async move {
            match tokio::time::timeout(limit, inner.call(req)).await {
                Ok(Ok(resp)) => Ok(resp),
                Ok(Err(e)) => {
                    let e = e.into();
                    let shed = e.is::<crate::shed::Overloaded>();
                    let mut resp = error_status(e).into_http();
                    if shed {
                        resp.extensions_mut().insert(crate::metrics::ShedMarker);
                    }
                    Ok(resp)
                }
                Err(_) => Ok(Status::deadline_exceeded(format!(
                    "deadline of {} ms exceeded",
                    limit.as_millis()
                ))
                .into_http()),
            }
        })
    }
}

/// What a finished call's status says about the server, which sets its log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// An answer, or a refusal of the caller's own request (NOT_FOUND, ALREADY_EXISTS,
    /// INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, CANCELLED, …): the
    /// caller handles it and the operator has nothing to do. DEBUG, or INFO when asked.
    Expected,
    /// Overload, a missed deadline, a dependency down (RESOURCE_EXHAUSTED,
    /// DEADLINE_EXCEEDED, UNAVAILABLE): the operator may need to act. WARN.
    Degraded,
    /// The server failed (INTERNAL, UNKNOWN, DATA_LOSS). ERROR.
    Fault,
}

impl CallOutcome {
    /// The outcome a status code stands for.
    pub fn of(code: tonic::Code) -> CallOutcome {
        use tonic::Code;
        match code {
            Code::Internal | Code::Unknown | Code::DataLoss => CallOutcome::Fault,
            Code::ResourceExhausted | Code::DeadlineExceeded | Code::Unavailable => {
                CallOutcome::Degraded
            }
            _ => CallOutcome::Expected,
        }
    }
}

/// The one line of a finished call.
fn log_call(latency_ms: f64, code: tonic::Code) {
    match CallOutcome::of(code) {
        CallOutcome::Fault => tracing::error!(latency_ms, code = ?code, "call failed"),
        CallOutcome::Degraded => tracing::warn!(latency_ms, code = ?code, "call failed"),
        CallOutcome::Expected if crate::telemetry::log_calls() => {
            tracing::info!(latency_ms, code = ?code, "call done")
        }
        CallOutcome::Expected => tracing::debug!(latency_ms, code = ?code, "call done"),
    }
}

/// Layer adding [`Trace`].
#[derive(Clone, Copy)]
pub struct TraceLayer {
    service: &'static str,
}

impl TraceLayer {
    /// Traces calls of the named service.
    pub fn new(service: &'static str) -> Self {
        Self { service }
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;
    fn layer(&self, inner: S) -> Trace<S> {
        Trace {
            inner,
            service: self.service,
        }
    }
}

/// One span and one log line per call.
#[derive(Clone)]
pub struct Trace<S> {
    inner: S,
    service: &'static str,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Trace<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        use tracing::Instrument;
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let request_id = req
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .map(str::to_string)
            .unwrap_or_else(next_request_id);
        req.extensions_mut().insert(RequestId(request_id.clone()));
        let method = req.uri().path().to_string();
        let span = tracing::info_span!(
            "rpc",
            service = self.service,
            method = %method,
            request_id = %request_id,
            principal = tracing::field::Empty,
            otel.kind = tracing::field::Empty,
            otel.name = tracing::field::Empty
        );
        crate::traces::server_span(&span, &method, req.headers());
        let started = Instant::now();
        Box::pin(
            async move {
                let result = inner.call(req).await;
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                match &result {
                    Ok(resp) => {
                        // Trailers-only answers (every error) carry grpc-status in the
                        // headers; a streamed OK carries it in the trailers.
                        let code = resp
                            .headers()
                            .get("grpc-status")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse::<i32>().ok())
                            .map(tonic::Code::from_i32)
                            .unwrap_or(tonic::Code::Ok);
                        log_call(ms, code);
                    }
                    Err(e) => tracing::error!(latency_ms = ms, error = %e, "call errored"),
                }
                result.map(|mut resp| {
                    if let Ok(v) = HeaderValue::from_str(&request_id) {
                        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
                    }
                    resp
                })
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grpc_timeouts() {
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse_grpc_timeout("9n"), Some(Duration::from_nanos(9)));
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout("m"), None);
        assert_eq!(parse_grpc_timeout("123456789S"), None);
        assert_eq!(parse_grpc_timeout("+5m"), None, "a sign is not a digit");
        assert_eq!(
            parse_grpc_timeout("5盛"),
            None,
            "no panic on a multi-byte unit"
        );
    }

    #[test]
    fn only_server_trouble_is_louder_than_debug() {
        use tonic::Code;
        for code in [
            Code::Ok,
            Code::Cancelled,
            Code::InvalidArgument,
            Code::NotFound,
            Code::AlreadyExists,
            Code::PermissionDenied,
            Code::FailedPrecondition,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unimplemented,
            Code::Unauthenticated,
        ] {
            assert_eq!(CallOutcome::of(code), CallOutcome::Expected, "{code:?}");
        }
        for code in [
            Code::ResourceExhausted,
            Code::DeadlineExceeded,
            Code::Unavailable,
        ] {
            assert_eq!(CallOutcome::of(code), CallOutcome::Degraded, "{code:?}");
        }
        for code in [Code::Internal, Code::Unknown, Code::DataLoss] {
            assert_eq!(CallOutcome::of(code), CallOutcome::Fault, "{code:?}");
        }
    }

    #[test]
    fn splits_grpc_paths() {
        assert_eq!(
            split_path("/xiaokang.registry.v1.RegistryService/GetHousehold"),
            Some(("xiaokang.registry.v1.RegistryService", "GetHousehold"))
        );
        assert!(is_open_path("/grpc.health.v1.Health/Check"));
        assert!(!is_open_path(
            "/xiaokang.registry.v1.RegistryService/GetHousehold"
        ));
    }
}

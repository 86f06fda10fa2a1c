//! Running a unary call again when its transaction lost a race, written once for every
//! service.
//!
//! A handler whose transaction met a serialization failure or a deadlock (PostgreSQL), or
//! any other race its service knows to be harmless to repeat, answers
//! [`crate::errors::conflict_retry`]: ABORTED with the [`RETRY_MARKER`] header. Its
//! transaction rolled back, so it wrote nothing. This layer keeps the body of every unary
//! request (one message, so bounded by the max message size, which tonic enforces anyway)
//! and, seeing the marker, runs the call again with the same request, up to
//! `retries` times with a short jittered pause. Running a call twice is safe: the failed
//! attempt wrote nothing, and the request id makes a write land at most once.
//!
//! It sits innermost in the stack, so retries spend the call's own deadline and
//! concurrency permit. The marker never leaves the server: when the retries run out the
//! caller sees a plain ABORTED. Streaming methods pass through untouched (an import
//! retries its batch itself, with the client's help).

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use prost::Message;
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service, ServiceExt};

use crate::errors::RETRY_MARKER;

/// Bytes of gRPC framing before each message: a compression flag and a 4-byte length.
const GRPC_FRAME_HEADER: usize = 5;

/// The paths (`/package.Service/Method`) of every method of `descriptor_set` that takes
/// and returns one message.
pub fn unary_methods(descriptor_set: &[u8]) -> Result<HashSet<String>, prost::DecodeError> {
    let set = prost_types::FileDescriptorSet::decode(descriptor_set)?;
    Ok(set
        .file
        .iter()
        .flat_map(|file| {
            file.service.iter().flat_map(move |service| {
                service
                    .method
                    .iter()
                    .filter(|m| !m.client_streaming() && !m.server_streaming())
                    .map(move |m| format!("/{}.{}/{}", file.package(), service.name(), m.name()))
            })
        })
        .collect())
}

/// The unary methods of every xiaokang contract, decoded once per process.
fn contract_unary_methods() -> anyhow::Result<Arc<HashSet<String>>> {
    static METHODS: OnceLock<Arc<HashSet<String>>> = OnceLock::new();
    if let Some(m) = METHODS.get() {
        return Ok(m.clone());
    }
    let methods = Arc::new(unary_methods(xk_contracts::FILE_DESCRIPTOR_SET)?);
    Ok(METHODS.get_or_init(|| methods).clone())
}

/// Layer adding [`RetryConflict`].
#[derive(Clone)]
pub struct RetryConflictLayer {
    /// Paths of the methods that may be run again.
    unary: Arc<HashSet<String>>,
    /// How many times a call is run again after its first attempt.
    retries: u32,
    /// The largest request body kept for a retry.
    max_body: usize,
}

impl RetryConflictLayer {
    /// Retries the unary methods of every xiaokang contract up to `retries` times;
    /// requests above `max_message_bytes` are refused with OUT_OF_RANGE, as tonic would.
    pub fn new(retries: u32, max_message_bytes: usize) -> anyhow::Result<Self> {
        Ok(Self::for_methods(
            contract_unary_methods()?,
            retries,
            max_message_bytes,
        ))
    }

    /// As [`RetryConflictLayer::new`] for the given method paths (tests).
    pub fn for_methods(
        unary: Arc<HashSet<String>>,
        retries: u32,
        max_message_bytes: usize,
    ) -> Self {
        Self {
            unary,
            retries,
            max_body: max_message_bytes.saturating_add(GRPC_FRAME_HEADER),
        }
    }
}

impl<S> Layer<S> for RetryConflictLayer {
    type Service = RetryConflict<S>;
    fn layer(&self, inner: S) -> RetryConflict<S> {
        RetryConflict {
            inner,
            layer: self.clone(),
        }
    }
}

/// Runs a unary call again while it answers with the [`RETRY_MARKER`] and retries are
/// left.
#[derive(Clone)]
pub struct RetryConflict<S> {
    inner: S,
    layer: RetryConflictLayer,
}

/// Removes the marker so that it never reaches a client.
fn without_marker<B>(mut resp: Response<B>) -> Response<B> {
    resp.headers_mut().remove(RETRY_MARKER);
    resp
}

impl<S, ResBody> Service<Request<Body>> for RetryConflict<S>
where
    S: Service<Request<Body>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if self.layer.retries == 0 || !self.layer.unary.contains(req.uri().path()) {
            return Box::pin(async move { inner.call(req).await.map(without_marker) });
        }
        let retries = self.layer.retries;
        let max_body = self.layer.max_body;
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let bytes = match Limited::new(body, max_body).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                    return Ok(Status::out_of_range(format!(
                        "request larger than the limit of {} bytes",
                        max_body - GRPC_FRAME_HEADER
                    ))
                    .into_http());
                }
                Err(e) => {
                    tracing::debug!(error = %e, "request body not received");
                    return Ok(Status::cancelled("the request was not received whole").into_http());
                }
            };
            let attempt = |inner: &mut S| {
                let req = Request::from_parts(parts.clone(), Body::new(Full::new(bytes.clone())));
                inner.call(req)
            };
            let mut resp = attempt(&mut inner).await?;
            for retry in 1..=retries {
                if !resp.headers().contains_key(RETRY_MARKER) {
                    break;
                }
                // Jitter, so that the racers of a deadlock do not meet again in step.
                let pause = Duration::from_millis(u64::from(retry) * rand::random_range(1..=10));
                tracing::info!(
                    retry,
                    pause_ms = pause.as_millis() as u64,
                    "transaction conflict: running the call again"
                );
                tokio::time::sleep(pause).await;
                inner.ready().await?;
                resp = attempt(&mut inner).await?;
            }
            Ok(without_marker(resp))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_methods_are_split_by_streaming() {
        let unary = unary_methods(xk_contracts::FILE_DESCRIPTOR_SET).unwrap();
        assert!(unary.contains("/xiaokang.registry.v1.RegistryService/RecordIncome"));
        assert!(unary.contains("/xiaokang.registry.v1.RegistryService/GetHousehold"));
        assert!(
            !unary.contains("/xiaokang.registry.v1.RegistryService/ImportHouseholds"),
            "a client stream cannot be replayed"
        );
        assert!(
            !unary.iter().any(|m| m.contains("/Export")),
            "server streams excluded"
        );
    }

    use std::sync::Mutex;

    const WRITE: &str = "/test.v1.TestService/Write";
    const STREAM: &str = "/test.v1.TestService/Import";

    /// A handler that answers `conflict_retry` for its first `failures` calls, then OK;
    /// it records every request body it received.
    fn flaky(
        failures: usize,
        bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    ) -> impl Service<
        Request<Body>,
        Response = Response<Body>,
        Error = std::convert::Infallible,
        Future = BoxFuture<'static, Result<Response<Body>, std::convert::Infallible>>,
    > + Clone {
        tower::service_fn(move |req: Request<Body>| {
            let bodies = bodies.clone();
            Box::pin(async move {
                let body = match req.into_body().collect().await {
                    Ok(b) => b.to_bytes().to_vec(),
                    Err(_) => Vec::new(),
                };
                let calls = {
                    let mut seen = bodies.lock().unwrap();
                    seen.push(body);
                    seen.len()
                };
                Ok(if calls <= failures {
                    crate::errors::conflict_retry("lost a race").into_http()
                } else {
                    Response::new(Body::empty())
                })
            }) as BoxFuture<'static, _>
        })
    }

    async fn run(path: &str, failures: usize, retries: u32) -> (Response<Body>, Vec<Vec<u8>>) {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let unary = Arc::new(HashSet::from([WRITE.to_string()]));
        let service = RetryConflictLayer::for_methods(unary, retries, 1024)
            .layer(flaky(failures, bodies.clone()));
        let req = Request::builder()
            .uri(format!("http://localhost{path}"))
            .body(Body::new(Full::new(bytes_of("one message"))))
            .unwrap();
        let resp = service.oneshot(req).await.unwrap();
        let seen = bodies.lock().unwrap().clone();
        (resp, seen)
    }

    fn bytes_of(s: &str) -> tonic::codegen::Bytes {
        tonic::codegen::Bytes::from(s.to_string())
    }

    fn grpc_code<B>(resp: &Response<B>) -> Option<String> {
        resp.headers()
            .get("grpc-status")
            .map(|v| v.to_str().unwrap_or("?").to_string())
    }

    #[tokio::test]
    async fn a_conflict_is_run_again_with_the_same_body_until_it_succeeds() {
        let (resp, bodies) = run(WRITE, 2, 3).await;
        assert_eq!(grpc_code(&resp), None, "answered OK after two conflicts");
        assert_eq!(
            bodies.len(),
            3,
            "two failed attempts and the one that succeeded"
        );
        assert!(bodies.iter().all(|b| b == b"one message"), "{bodies:?}");
    }

    #[tokio::test]
    async fn when_retries_run_out_the_caller_sees_a_plain_aborted() {
        let (resp, bodies) = run(WRITE, 10, 3).await;
        assert_eq!(bodies.len(), 4, "the first attempt and three retries");
        assert_eq!(grpc_code(&resp).as_deref(), Some("10"), "ABORTED");
        assert!(
            !resp.headers().contains_key(RETRY_MARKER),
            "the marker stays inside"
        );
    }

    #[tokio::test]
    async fn streaming_methods_and_zero_retries_pass_through() {
        let (resp, bodies) = run(STREAM, 1, 3).await;
        assert_eq!(bodies.len(), 1, "a stream is never replayed");
        assert_eq!(grpc_code(&resp).as_deref(), Some("10"));
        assert!(!resp.headers().contains_key(RETRY_MARKER));
        let (_, bodies) = run(WRITE, 1, 0).await;
        assert_eq!(bodies.len(), 1, "retries switched off");
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_out_of_range_and_never_reaches_the_handler() {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let unary = Arc::new(HashSet::from([WRITE.to_string()]));
        let service = RetryConflictLayer::for_methods(unary, 3, 4).layer(flaky(0, bodies.clone()));
        let req = Request::builder()
            .uri(format!("http://localhost{WRITE}"))
            .body(Body::new(Full::new(bytes_of("ten bytes!"))))
            .unwrap();
        let resp = service.oneshot(req).await.unwrap();
        assert_eq!(grpc_code(&resp).as_deref(), Some("11"), "OUT_OF_RANGE");
        assert!(bodies.lock().unwrap().is_empty());
    }
}

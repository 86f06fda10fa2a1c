//! The budget of request bytes in flight, per service and per connection, and the count
//! of calls in flight per connection (which the idle timeout of [`crate::connections`]
//! reads).
//!
//! The request body of every call (gRPC health excepted) is read through [`BudgetBody`],
//! which follows the gRPC framing (1 flag byte, 4 length bytes, the message). When a
//! message's header arrives, its announced length is reserved from the connection's and
//! the service's budget, before tonic allocates the buffer for it; if either is short the
//! call fails with RESOURCE_EXHAUSTED and nothing is buffered. A message's reservation is
//! held until the next message of the same stream starts (the handler has taken the
//! previous one) or the call ends (its response body is done), so a client stream of many
//! batches costs one batch, and a unary call holds its bytes while it is served.
//! Messages over the maximum message size are left to tonic, which refuses them
//! (OUT_OF_RANGE) on reading the header.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures::future::BoxFuture;
use http::{Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::Semaphore;
use tonic::Status;
use tonic::body::Body;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tower::{Layer, Service};

use crate::connections::{ConnectionRegistry, ConnectionState};
use crate::settings::ServeSettings;

/// gRPC's frame header: compression flag and big-endian message length.
const FRAME_HEADER: usize = 5;

/// Paths outside the byte budget: health must answer however loaded the service is.
pub fn is_exempt_from_limits(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/")
}

/// The byte budgets of one service as configured, raised where a configured value could
/// never admit a single largest message (logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// All calls of the service together.
    pub service_bytes: usize,
    /// The calls of one connection together.
    pub connection_bytes: usize,
    /// Messages longer than this are tonic's to refuse, not the budget's.
    pub max_message_bytes: usize,
}

impl Budgets {
    /// The budgets of `settings`.
    pub fn from_settings(settings: &ServeSettings) -> Self {
        let one_message = settings.max_message_bytes.saturating_add(FRAME_HEADER);
        let connection_bytes = settings.connection_budget_bytes.max(one_message);
        let service_bytes = settings.request_budget_bytes.max(connection_bytes);
        if connection_bytes != settings.connection_budget_bytes
            || service_bytes != settings.request_budget_bytes
        {
            tracing::warn!(
                connection_budget_bytes = connection_bytes,
                request_budget_bytes = service_bytes,
                "byte budget raised to admit one largest message (XK_MAX_MESSAGE_BYTES)"
            );
        }
        Self {
            service_bytes,
            connection_bytes,
            max_message_bytes: settings.max_message_bytes,
        }
    }
}

/// Layer adding [`CallTracking`].
#[derive(Clone)]
pub struct CallLayer {
    registry: Arc<ConnectionRegistry>,
    service_budget: Arc<Semaphore>,
    max_message_bytes: usize,
}

impl CallLayer {
    /// Tracks calls on the connections of `registry` and charges `budgets`.
    pub fn new(registry: Arc<ConnectionRegistry>, budgets: Budgets) -> Self {
        Self {
            registry,
            service_budget: Arc::new(Semaphore::new(
                budgets.service_bytes.min(Semaphore::MAX_PERMITS),
            )),
            max_message_bytes: budgets.max_message_bytes,
        }
    }
}

impl<S> Layer<S> for CallLayer {
    type Service = CallTracking<S>;
    fn layer(&self, inner: S) -> CallTracking<S> {
        CallTracking {
            inner,
            layer: self.clone(),
        }
    }
}

/// Counts each call on its connection and reads its request through [`BudgetBody`].
#[derive(Clone)]
pub struct CallTracking<S> {
    inner: S,
    layer: CallLayer,
}

/// The peer of the connection a request came on (plaintext or TLS).
fn peer_of<B>(req: &Request<B>) -> Option<std::net::SocketAddr> {
    let ext = req.extensions();
    ext.get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| {
            ext.get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|tls| tls.get_ref().remote_addr())
        })
}

impl<S> Service<Request<Body>> for CallTracking<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let connection = peer_of(&req).and_then(|peer| self.layer.registry.get(peer));
        let call = Arc::new(CallGuard::start(
            connection,
            self.layer.service_budget.clone(),
        ));
        let req = if is_exempt_from_limits(req.uri().path()) {
            req
        } else {
            let max_message_bytes = self.layer.max_message_bytes;
            let call = call.clone();
            req.map(|body| Body::new(BudgetBody::new(body, call, max_message_bytes)))
        };
        let response = self.inner.call(req);
        Box::pin(async move {
            let response = response.await?;
            // The call ends when its response body is done (a stream may run long after
            // the headers).
            Ok(response.map(|body| {
                Body::new(CallBody {
                    inner: body,
                    _call: call,
                })
            }))
        })
    }
}

/// One call: counted on its connection, holding the reservation of its current message.
struct CallGuard {
    connection: Option<Arc<ConnectionState>>,
    service_budget: Arc<Semaphore>,
    /// Bytes reserved now, from both budgets.
    held: Mutex<usize>,
}

impl CallGuard {
    fn start(connection: Option<Arc<ConnectionState>>, service_budget: Arc<Semaphore>) -> Self {
        if let Some(c) = &connection {
            c.call_started();
        }
        Self {
            connection,
            service_budget,
            held: Mutex::new(0),
        }
    }

    /// Releases the previous message's bytes and reserves `bytes` for the next one.
    fn reserve(&self, bytes: usize) -> Result<(), Status> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        self.release(std::mem::take(&mut *held));
        let Ok(permits) = u32::try_from(bytes) else {
            return Err(Status::resource_exhausted("message larger than any budget"));
        };
        if let Some(connection) = &self.connection {
            match connection.budget.try_acquire_many(permits) {
                Ok(p) => p.forget(),
                Err(_) => {
                    return Err(Status::resource_exhausted(
                        "request bytes in flight on this connection are over its budget \
                         (XK_CONNECTION_BUDGET_BYTES); retry with backoff",
                    ));
                }
            }
        }
        match self.service_budget.try_acquire_many(permits) {
            Ok(p) => p.forget(),
            Err(_) => {
                if let Some(connection) = &self.connection {
                    connection.budget.add_permits(bytes);
                }
                return Err(Status::resource_exhausted(
                    "request bytes in flight on this service are over its budget \
                     (XK_REQUEST_BUDGET_BYTES); retry with backoff",
                ));
            }
        }
        *held = bytes;
        Ok(())
    }

    fn release(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        self.service_budget.add_permits(bytes);
        if let Some(connection) = &self.connection {
            connection.budget.add_permits(bytes);
        }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        let held = std::mem::take(self.held.get_mut().unwrap_or_else(|e| e.into_inner()));
        self.release(held);
        if let Some(c) = &self.connection {
            c.call_ended();
        }
    }
}

/// Follows the gRPC framing of a byte stream and reports each message's announced length.
#[derive(Debug, Default, Clone)]
pub struct FrameParser {
    header: [u8; FRAME_HEADER],
    header_len: usize,
    /// Bytes of the current message still to come.
    body_left: usize,
}

impl FrameParser {
    /// Feeds the next bytes; `on_message` gets the length of every message whose header
    /// completes in them, and may stop the parse with an error.
    pub fn feed<E>(
        &mut self,
        mut bytes: &[u8],
        mut on_message: impl FnMut(usize) -> Result<(), E>,
    ) -> Result<(), E> {
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let skip = self.body_left.min(bytes.len());
                self.body_left -= skip;
                bytes = &bytes[skip..];
                continue;
            }
            let take = (FRAME_HEADER - self.header_len).min(bytes.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&bytes[..take]);
            self.header_len += take;
            bytes = &bytes[take..];
            if self.header_len == FRAME_HEADER {
                self.header_len = 0;
                let len = u32::from_be_bytes([
                    self.header[1],
                    self.header[2],
                    self.header[3],
                    self.header[4],
                ]) as usize;
                self.body_left = len;
                on_message(len)?;
            }
        }
        Ok(())
    }
}

pin_project_lite::pin_project! {
    /// A request body that reserves each message's bytes before passing them on.
    struct BudgetBody {
        #[pin]
        inner: Body,
        parser: FrameParser,
        call: Arc<CallGuard>,
        max_message_bytes: usize,
        refused: bool,
    }
}

impl BudgetBody {
    fn new(inner: Body, call: Arc<CallGuard>, max_message_bytes: usize) -> Self {
        Self {
            inner,
            parser: FrameParser::default(),
            call,
            max_message_bytes,
            refused: false,
        }
    }
}

impl HttpBody for BudgetBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = self.project();
        if *this.refused {
            return Poll::Ready(None);
        }
        let frame = ready!(this.inner.poll_frame(cx));
        if let Some(data) = frame.as_ref().and_then(|f| f.as_ref().ok()?.data_ref()) {
            let call = &**this.call;
            let max = *this.max_message_bytes;
            let reserved = this.parser.feed(data, |len| {
                if len > max {
                    // tonic refuses it (OUT_OF_RANGE) on its header, before buffering.
                    return Ok(());
                }
                call.reserve(len + FRAME_HEADER)
            });
            if let Err(status) = reserved {
                *this.refused = true;
                return Poll::Ready(Some(Err(status)));
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.refused || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

pin_project_lite::pin_project! {
    /// A response body that keeps its call counted (and its bytes held) until it is done.
    struct CallBody {
        #[pin]
        inner: Body,
        _call: Arc<CallGuard>,
    }
}

impl HttpBody for CallBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len: usize) -> Vec<u8> {
        let mut f = vec![0u8];
        f.extend_from_slice(&(len as u32).to_be_bytes());
        f.extend(std::iter::repeat_n(7u8, len));
        f
    }

    fn lengths(chunks: &[&[u8]]) -> Vec<usize> {
        let mut parser = FrameParser::default();
        let mut seen = Vec::new();
        for chunk in chunks {
            parser
                .feed(chunk, |len| {
                    seen.push(len);
                    Ok::<(), ()>(())
                })
                .unwrap();
        }
        seen
    }

    #[test]
    fn finds_every_message_header_however_the_bytes_are_split() {
        let mut stream = frame(3);
        stream.extend(frame(0));
        stream.extend(frame(70_000));
        stream.extend(frame(1));
        assert_eq!(lengths(&[&stream]), [3, 0, 70_000, 1]);
        // One byte at a time: headers split across chunks.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(lengths(&bytes), [3, 0, 70_000, 1]);
        // Chunks that end inside a header and inside a body.
        let bytes: Vec<&[u8]> = stream.chunks(4).collect();
        assert_eq!(lengths(&bytes), [3, 0, 70_000, 1]);
    }

    #[test]
    fn reservations_move_with_the_stream_and_are_returned_when_the_call_ends() {
        let service = Arc::new(Semaphore::new(100));
        let connection = Arc::new(ConnectionState::new(60));
        let call = CallGuard::start(Some(connection.clone()), service.clone());
        call.reserve(50).unwrap();
        assert_eq!(
            (
                service.available_permits(),
                connection.budget.available_permits()
            ),
            (50, 10)
        );
        // The next message of the stream replaces the previous one.
        call.reserve(40).unwrap();
        assert_eq!(service.available_permits(), 60);
        let other = CallGuard::start(Some(connection.clone()), service.clone());
        let refused = other.reserve(30).unwrap_err();
        assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
        assert!(refused.message().contains("XK_CONNECTION_BUDGET_BYTES"));
        assert_eq!(
            service.available_permits(),
            60,
            "nothing taken by a refusal"
        );
        drop(call);
        assert_eq!(
            (
                service.available_permits(),
                connection.budget.available_permits()
            ),
            (100, 60)
        );
    }

    #[test]
    fn the_service_budget_refuses_past_its_total_and_gives_back_the_connection_part() {
        let service = Arc::new(Semaphore::new(50));
        let first = Arc::new(ConnectionState::new(40));
        let second = Arc::new(ConnectionState::new(40));
        let a = CallGuard::start(Some(first), service.clone());
        a.reserve(40).unwrap();
        let b = CallGuard::start(Some(second.clone()), service.clone());
        let refused = b.reserve(20).unwrap_err();
        assert!(refused.message().contains("XK_REQUEST_BUDGET_BYTES"));
        assert_eq!(second.budget.available_permits(), 40);
    }

    #[test]
    fn budgets_always_admit_one_largest_message() {
        let settings = ServeSettings {
            max_message_bytes: 1000,
            connection_budget_bytes: 10,
            request_budget_bytes: 500,
            ..ServeSettings::default()
        };
        let budgets = Budgets::from_settings(&settings);
        assert_eq!(
            (budgets.connection_bytes, budgets.service_bytes),
            (1005, 1005)
        );
        let defaults = Budgets::from_settings(&ServeSettings::default());
        assert_eq!(defaults.connection_bytes, 2 * (4 << 20) + 10);
        assert_eq!(defaults.service_bytes, 64 << 20);
    }

    #[test]
    fn only_health_is_exempt() {
        assert!(is_exempt_from_limits("/grpc.health.v1.Health/Check"));
        assert!(is_exempt_from_limits("/grpc.health.v1.Health/Watch"));
        assert!(!is_exempt_from_limits(
            "/grpc.reflection.v1.ServerReflection/Info"
        ));
        assert!(!is_exempt_from_limits(
            "/xiaokang.registry.v1.RegistryService/CreateHousehold"
        ));
    }
}

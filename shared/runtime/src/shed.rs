//! Load shedding in front of the global concurrency limit, with gRPC health exempt: a
//! balancer's health check must answer SERVING while the service sheds its calls, or the
//! balancer takes a busy (but healthy) replica out and moves its load onto the others.
//!
//! Past the limit a call is refused at once with RESOURCE_EXHAUSTED (mapped by the
//! deadline layer) rather than queued, so latency stays bounded under overload.

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::Request;
use tower::limit::{ConcurrencyLimit, GlobalConcurrencyLimitLayer};
use tower::load_shed::LoadShed;
use tower::{BoxError, Layer, Service, ServiceExt};

use crate::budget::is_exempt_from_limits;

/// Layer adding [`Shed`].
#[derive(Clone)]
pub struct ShedLayer {
    limit: GlobalConcurrencyLimitLayer,
}

impl ShedLayer {
    /// At most `max_calls` calls (health aside) in flight across the service.
    pub fn new(max_calls: usize) -> Self {
        Self {
            limit: GlobalConcurrencyLimitLayer::new(max_calls),
        }
    }
}

impl<S: Clone> Layer<S> for ShedLayer {
    type Service = Shed<S>;
    fn layer(&self, inner: S) -> Shed<S> {
        Shed {
            limited: LoadShed::new(self.limit.layer(inner.clone())),
            open: inner,
        }
    }
}

/// Sends health calls straight to the service and every other call through load shedding
/// and the concurrency limit.
#[derive(Clone)]
pub struct Shed<S> {
    limited: LoadShed<ConcurrencyLimit<S>>,
    open: S,
}

impl<S, B> Service<Request<B>> for Shed<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    S::Response: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<S::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Only the open path is polled here: the limited one is polled per call below,
        // where load shedding answers at once (ready, or refused), never waits.
        self.open.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        if is_exempt_from_limits(req.uri().path()) {
            let response = self.open.call(req);
            return Box::pin(async move { response.await.map_err(Into::into) });
        }
        let mut limited = self.limited.clone();
        Box::pin(async move { limited.ready().await?.call(req).await })
    }
}

//! Bounded queues in front of the handlers, one for writes and one for reads, with gRPC
//! health exempt: a balancer's health check must answer SERVING while the service sheds
//! its calls, or the balancer takes a busy (but healthy) replica out and moves its load
//! onto the others.
//!
//! A call is admitted in three steps, each refusing at once with [`Overloaded`] (mapped
//! to RESOURCE_EXHAUSTED by the deadline layer) rather than letting latency grow:
//!
//! 1. the service-wide cap (`XK_CONCURRENCY_LIMIT`): calls admitted across both classes;
//! 2. its class's queue depth (`XK_WRITE_QUEUE_DEPTH`, `XK_READ_QUEUE_DEPTH`): calls of
//!    the class admitted, running or waiting; past it the call is refused without waiting;
//! 3. a running slot of its class (`XK_WRITE_CONCURRENCY`, `XK_READ_CONCURRENCY`), waited
//!    for at most `XK_QUEUE_WAIT_MS`; a call that cannot start within it is refused.
//!
//! Writes and reads are queued apart ([`ServiceSpec::read_methods`] tells them apart), so
//! a burst of writes waiting for SQLite's one writer cannot hold the slots reads need.
//! A refused call never reaches its handler, so it writes nothing.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use http::Request;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::{BoxError, Layer, Service, ServiceExt};

use crate::auth::ServiceSpec;
use crate::budget::is_exempt_from_limits;

/// Time a call waited for a running slot of its class, by service and class (refused
/// waits included, at the bound).
pub const QUEUE_WAIT: &str = "xk_queue_wait_seconds";

/// Which queue a call goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallClass {
    /// A method not in [`ServiceSpec::read_methods`]: it may write.
    Write,
    /// A read method, reflection, or a path the service does not serve (UNIMPLEMENTED,
    /// cheap): none of them writes.
    Read,
    /// gRPC health: never queued.
    Exempt,
}

impl CallClass {
    /// The class of a call to `path` (`/package.Service/Method`) of `spec`.
    pub fn of(spec: &ServiceSpec, path: &str) -> CallClass {
        if is_exempt_from_limits(path) {
            return CallClass::Exempt;
        }
        let own_method = path
            .strip_prefix('/')
            .and_then(|p| p.split_once('/'))
            .filter(|(service, _)| *service == spec.grpc_name)
            .map(|(_, method)| method);
        match own_method {
            Some(method) if !spec.read_methods.contains(&method) => CallClass::Write,
            _ => CallClass::Read,
        }
    }

    /// Its metrics label and its name in messages.
    pub fn label(self) -> &'static str {
        match self {
            CallClass::Write => "write",
            CallClass::Read => "read",
            CallClass::Exempt => "exempt",
        }
    }
}

/// The bounds of one class's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueBounds {
    /// Calls of the class admitted at once, running or waiting (at least 1).
    pub depth: usize,
    /// Calls of the class running at once (at least 1, at most `depth`).
    pub running: usize,
    /// Longest an admitted call waits for a running slot before it is refused.
    pub wait: Duration,
}

/// Why a call was refused: RESOURCE_EXHAUSTED for the caller, a shed for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Overloaded {
    /// The service-wide cap on calls admitted was reached.
    #[error("server overloaded: too many calls in flight; retry with backoff")]
    Service,
    /// The class's queue was full: refused without waiting.
    #[error("server overloaded: the {} queue is full; retry with backoff", .0.label())]
    QueueFull(CallClass),
    /// The call waited its longest for a running slot of its class.
    #[error(
        "server overloaded: no {} slot free within {} ms; retry with backoff",
        .0.label(), .1.as_millis()
    )]
    Waited(CallClass, Duration),
}

/// One class's queue: depth permits (taken without waiting) and running permits (waited
/// for up to the bound).
#[derive(Debug, Clone)]
pub struct ClassQueue {
    /// Which class it queues, named in its refusals.
    class: CallClass,
    /// One permit per place in the queue, taken without waiting.
    depth: Arc<Semaphore>,
    /// One permit per running slot, waited for up to the bound.
    running: Arc<Semaphore>,
    /// The permits `depth` and `running` started with, to tell how many are taken.
    bounds: QueueBounds,
}

/// What an admitted call holds until its response future ends.
#[derive(Debug)]
pub struct Admitted {
    /// Its place in the queue (dropped last).
    _depth: OwnedSemaphorePermit,
    /// Its running slot.
    _running: OwnedSemaphorePermit,
    /// How long it waited for the running slot.
    pub waited: Duration,
}

impl ClassQueue {
    /// A queue of `class` bounded by `bounds` (depth and running raised to 1, running
    /// capped at depth).
    pub fn new(class: CallClass, bounds: QueueBounds) -> Self {
        let depth = bounds.depth.clamp(1, Semaphore::MAX_PERMITS);
        let running = bounds.running.clamp(1, depth);
        Self {
            class,
            depth: Arc::new(Semaphore::new(depth)),
            running: Arc::new(Semaphore::new(running)),
            bounds: QueueBounds {
                depth,
                running,
                wait: bounds.wait,
            },
        }
    }

    /// Calls admitted now (running or waiting).
    pub fn admitted(&self) -> usize {
        self.bounds.depth - self.depth.available_permits()
    }

    /// Calls running now.
    pub fn running(&self) -> usize {
        self.bounds.running - self.running.available_permits()
    }

    /// Admits a call: a place in the queue at once or [`Overloaded::QueueFull`], then a
    /// running slot within the wait bound or [`Overloaded::Waited`].
    pub async fn admit(&self) -> Result<Admitted, (Overloaded, Duration)> {
        let depth = self
            .depth
            .clone()
            .try_acquire_owned()
            .map_err(|_| (Overloaded::QueueFull(self.class), Duration::ZERO))?;
        let started = Instant::now();
        let running = match self.running.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                match tokio::time::timeout(self.bounds.wait, self.running.clone().acquire_owned())
                    .await
                {
                    Ok(Ok(permit)) => permit,
                    // Timed out (or the semaphore closed, which this module never does).
                    _ => {
                        return Err((
                            Overloaded::Waited(self.class, self.bounds.wait),
                            started.elapsed(),
                        ));
                    }
                }
            }
        };
        Ok(Admitted {
            _depth: depth,
            _running: running,
            waited: started.elapsed(),
        })
    }
}

/// Layer adding [`Shed`].
#[derive(Clone)]
pub struct ShedLayer {
    /// Tells reads from writes.
    spec: ServiceSpec,
    /// Shared by every clone of the service (one set per service).
    queues: Arc<Queues>,
}

/// The queues of one service.
#[derive(Debug)]
struct Queues {
    /// Calls admitted across both classes.
    service: Arc<Semaphore>,
    /// Methods not in the service's read list.
    write: ClassQueue,
    /// Read methods, reflection and unknown paths.
    read: ClassQueue,
    /// The [`QUEUE_WAIT`] series of the write and the read class, registered once (a
    /// lookup by labels per call costs a hash of them); `None` with the metrics layer off,
    /// for the overhead benchmark's baseline.
    waits: Option<[metrics::Histogram; 2]>,
}

impl ShedLayer {
    /// At most `max_calls` calls (health aside) admitted across the service, and each
    /// class within its bounds.
    pub fn new(
        spec: ServiceSpec,
        max_calls: usize,
        write: QueueBounds,
        read: QueueBounds,
        metrics: bool,
    ) -> Self {
        Self {
            spec,
            queues: Arc::new(Queues {
                service: Arc::new(Semaphore::new(max_calls.clamp(1, Semaphore::MAX_PERMITS))),
                write: ClassQueue::new(CallClass::Write, write),
                read: ClassQueue::new(CallClass::Read, read),
                waits: metrics.then(|| {
                    [CallClass::Write, CallClass::Read].map(|class| {
                        metrics::histogram!(QUEUE_WAIT, "service" => spec.name, "class" => class.label())
                    })
                }),
            }),
        }
    }

    /// What the queues hold, for tests and the operator's eye.
    pub fn status(&self) -> QueueStatus {
        QueueStatus(self.queues.clone())
    }
}

/// A view of a service's queues ([`crate::server::HostedService::queues`]).
#[derive(Debug, Clone)]
pub struct QueueStatus(Arc<Queues>);

impl QueueStatus {
    /// The queue of `class` (health, never queued, reads as the read queue).
    pub fn queue(&self, class: CallClass) -> &ClassQueue {
        self.0.queue(class)
    }
}

impl<S: Clone> Layer<S> for ShedLayer {
    type Service = Shed<S>;
    fn layer(&self, inner: S) -> Shed<S> {
        Shed {
            inner,
            spec: self.spec,
            queues: self.queues.clone(),
        }
    }
}

/// Sends health calls straight to the service and every other call through its queue.
#[derive(Clone)]
pub struct Shed<S> {
    /// The rest of the stack.
    inner: S,
    /// Tells reads from writes.
    spec: ServiceSpec,
    /// The service's queues.
    queues: Arc<Queues>,
}

impl Queues {
    fn queue(&self, class: CallClass) -> &ClassQueue {
        match class {
            CallClass::Write => &self.write,
            _ => &self.read,
        }
    }

    /// Admits a call of `class`, holding its permits in the answer.
    async fn admit(
        &self,
        class: CallClass,
    ) -> Result<(OwnedSemaphorePermit, Admitted), Overloaded> {
        let queue = self.queue(class);
        let whole = self
            .service
            .clone()
            .try_acquire_owned()
            .map_err(|_| Overloaded::Service)?;
        let admitted = queue.admit().await;
        let waited = match &admitted {
            Ok(a) => Some(a.waited),
            Err((Overloaded::Waited(..), waited)) => Some(*waited),
            Err(_) => None,
        };
        if let (Some([write, read]), Some(waited)) = (&self.waits, waited) {
            let series = if class == CallClass::Write {
                write
            } else {
                read
            };
            series.record(waited.as_secs_f64());
        }
        admitted.map(|a| (whole, a)).map_err(|(e, _)| e)
    }
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
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let class = CallClass::of(&self.spec, req.uri().path());
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if class == CallClass::Exempt {
            let response = inner.call(req);
            return Box::pin(async move { response.await.map_err(Into::into) });
        }
        let queues = self.queues.clone();
        Box::pin(async move {
            let _permits = queues.admit(class).await?;
            inner.ready().await.map_err(Into::into)?;
            inner.call(req).await.map_err(Into::into)
        })
    }
}

#[cfg(test)]
mod tests;

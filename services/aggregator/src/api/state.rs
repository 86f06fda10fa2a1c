//! What every handler shares: the service's state, the upstream context of one incoming
//! call (its budget and request id), and the request checks several RPCs make.

use std::sync::Arc;
use std::time::Duration;

use chrono::Datelike;
use tonic::{Code, Request, Status};
use xk_contracts::pb::common::v1::RegionLevel;
use xk_runtime::Db;
use xk_runtime::errors::Violations;
use xk_runtime::layers::{REQUEST_ID_HEADER, RequestId, parse_grpc_timeout};
use xk_runtime::policy::PolicyBook;
use xk_runtime::rpc::CallContext;

use crate::domain::deadline::call_budget;
use crate::policy::RiskPolicy;
use crate::upstream::{CallCtx, Clients};

pub(super) use xk_runtime::clock::today;

/// The aggregator service.
#[derive(Clone)]
pub struct AggregatorApi {
    /// The aggregator's own database (snapshots, idempotency, audit).
    pub(super) db: Db,
    /// The five services.
    pub(super) clients: Clients,
    /// The monitoring triggers per year for ListAtRiskHouseholds (the aggregator's own
    /// `policy.toml`, or `--policy-file`). The poverty line of CheckExitEligibility is
    /// not here: it is the registry's, read from the registry (GetPolicy) on each call.
    pub(super) risk_policy: Arc<PolicyBook<RiskPolicy>>,
}

impl AggregatorApi {
    /// The service over `db`, calling the services through `clients`.
    pub fn new(db: Db, clients: Clients, risk_policy: PolicyBook<RiskPolicy>) -> Self {
        Self {
            db,
            clients,
            risk_policy: Arc::new(risk_policy),
        }
    }
}

impl CallContext for AggregatorApi {
    type Context = CallCtx;

    /// The context of the upstream calls `req` makes: its budget and request id.
    fn context<T>(&self, req: &Request<T>) -> Result<CallCtx, Status> {
        let budget = budget(req, self.clients.default_deadline)?;
        Ok(self.clients.context(budget, request_id(req)))
    }
}

/// The incoming call's `grpc-timeout`, if it sent one.
pub(super) fn incoming_deadline<T>(req: &Request<T>) -> Option<Duration> {
    req.metadata()
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_grpc_timeout)
}

/// The upstream budget of an incoming call: its `grpc-timeout` (or the default) minus the
/// margin; DEADLINE_EXCEEDED when nothing useful is left.
fn budget<T>(req: &Request<T>, default: Duration) -> Result<Duration, Status> {
    call_budget(incoming_deadline(req), default)
        .ok_or_else(|| Status::deadline_exceeded("the deadline leaves no time to ask the services"))
}

/// The incoming call's request id (set by the runtime's trace layer), to send upstream.
pub(super) fn request_id<T>(req: &Request<T>) -> Option<String> {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .or_else(|| {
            req.metadata()
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
}

/// A `group_by` from the wire: unspecified means townships; an unknown level is a
/// violation of `field`.
pub(super) fn group_by(v: i32, field: &str, violations: &mut Violations) -> i32 {
    match RegionLevel::try_from(v) {
        Ok(RegionLevel::Unspecified) => RegionLevel::Township as i32,
        Ok(l) => l as i32,
        Err(_) => {
            violations.add(field, format!("unknown region level {v}"));
            0
        }
    }
}

/// Checks a request's `year`: 0 (the default) or 2000-2100.
pub(super) fn check_year(year: i32, violations: &mut Violations) {
    if year != 0 && !(2000..=2100).contains(&year) {
        violations.add("year", format!("must be 0 or 2000-2100, got {year}"));
    }
}

/// A checked `year`, with 0 meaning the current one.
pub(super) fn year_or_current(year: i32) -> i32 {
    if year == 0 { today().year() } else { year }
}

/// Whether a status means "the service has nothing for this id".
pub(super) fn is_absent(s: &Status) -> bool {
    s.code() == Code::NotFound
}

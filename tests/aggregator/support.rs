//! Starting the aggregator and calling it.

use std::time::Duration;

use chrono::NaiveDate;
use tokio::net::TcpListener;
use tonic::Code;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use xiaokang::testing::{Bearer, TestService, test_tokens};
use xk_aggregator::Upstream;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_runtime::Principal;

use crate::county::YEAR;

/// The aggregator's client with a principal's bearer.
pub type Agg = AggregatorServiceClient<InterceptedService<Channel, Bearer>>;

/// Starts the aggregator calling `urls` with its own test token.
pub async fn start_aggregator(urls: [String; 5], default_deadline: Duration) -> TestService {
    let token = test_tokens().1[&Principal::Aggregator].clone();
    let mut upstream = Upstream::single(urls, token);
    upstream.default_deadline = default_deadline;
    start_aggregator_with(upstream).await
}

/// Starts the aggregator with an upstream configuration.
pub async fn start_aggregator_with(upstream: Upstream) -> TestService {
    TestService::start_aggregator(upstream).await.unwrap()
}

/// A client of the aggregator calling as `p`.
pub async fn agg(svc: &TestService, p: Principal) -> Agg {
    AggregatorServiceClient::with_interceptor(svc.channel().await.unwrap(), svc.bearer(p))
}

/// Today in China (UTC+8), as the services mean it.
pub fn today() -> NaiveDate {
    xk_runtime::clock::today()
}

/// The township summary of `prefix` for the county's year, with an optional deadline.
pub async fn summary(c: &mut Agg, prefix: &str, deadline: Option<Duration>) -> Summary {
    let mut req = tonic::Request::new(GetSummaryRequest {
        region_prefix: prefix.into(),
        as_of: None,
        year: YEAR,
        group_by: RegionLevel::Township as i32,
        latest_year_with_data: false,
    });
    if let Some(d) = deadline {
        req.set_timeout(d);
    }
    c.get_summary(req)
        .await
        .unwrap()
        .into_inner()
        .summary
        .unwrap()
}

/// A section's state and code.
pub fn state(s: &Option<SectionStatus>) -> (SectionState, Code) {
    let s = s.clone().unwrap();
    (
        SectionState::try_from(s.state).unwrap(),
        Code::from_i32(s.code),
    )
}

/// An address nothing listens on: a port bound and released at once.
pub async fn dead_address() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

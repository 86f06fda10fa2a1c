//! The five services and the aggregator, each stoppable on its own, and the county's
//! constants.

use chrono::NaiveDate;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use xiaokang::testing::{Bearer, TestService, test_tokens};
use xk_aggregator::Upstream;
use xk_contracts::pb::aggregator::v1::aggregator_service_client::AggregatorServiceClient;
use xk_contracts::types::ResidentId;
use xk_runtime::Principal;

use crate::common;

/// Two villages of 城关镇 and one of 石花镇.
pub const V1: &str = "420625100201";
pub const V2: &str = "420625100202";
pub const V3: &str = "420625101203";
/// The income and coverage year judged.
pub const YEAR: i32 = 2020;
/// The triggers of 2020 in the aggregator's built-in policy.toml, restated here: the
/// monitoring line (1.5 x about 4,000 yuan), the fall percent and the large payment.
pub const LINE: i64 = 600_000;
pub const LARGE: i64 = 500_000;

/// The aggregator's client with a principal's bearer.
pub type Agg = AggregatorServiceClient<InterceptedService<Channel, Bearer>>;

/// The five services and the aggregator, each stoppable on its own.
pub struct County {
    pub registry: Option<TestService>,
    pub education: Option<TestService>,
    pub health: Option<TestService>,
    pub housing: Option<TestService>,
    pub water: Option<TestService>,
    pub aggregator: TestService,
}

impl County {
    pub async fn start() -> County {
        Self::start_paging(xk_aggregator::upstream::DEFAULT_LIST_PAGE_SIZE).await
    }

    /// As [`County::start`], the aggregator reading the services `page` records at a time.
    pub async fn start_paging(page: i32) -> County {
        let (registry, education, health, housing, water) = tokio::join!(
            TestService::start(xk_registry::SPEC),
            TestService::start(xk_education::SPEC),
            TestService::start(xk_health::SPEC),
            TestService::start(xk_housing::SPEC),
            TestService::start(xk_water::SPEC),
        );
        let (registry, education, health, housing, water) = (
            registry.unwrap(),
            education.unwrap(),
            health.unwrap(),
            housing.unwrap(),
            water.unwrap(),
        );
        let token = test_tokens().1[&Principal::Aggregator].clone();
        let mut upstream = Upstream::single(
            [
                registry.hosted.url(),
                education.hosted.url(),
                health.hosted.url(),
                housing.hosted.url(),
                water.hosted.url(),
            ],
            token,
        );
        upstream.list_page_size = page;
        let aggregator = TestService::start_aggregator(upstream).await.unwrap();
        County {
            registry: Some(registry),
            education: Some(education),
            health: Some(health),
            housing: Some(housing),
            water: Some(water),
            aggregator,
        }
    }

    /// A client of the aggregator calling as `p`.
    pub async fn agg(&self, p: Principal) -> Agg {
        AggregatorServiceClient::with_interceptor(
            self.aggregator.channel().await.unwrap(),
            self.aggregator.bearer(p),
        )
    }

    /// Stops the aggregator and every service still running.
    pub async fn stop(self) {
        self.aggregator.stop().await.unwrap();
        for s in [
            self.registry,
            self.education,
            self.health,
            self.housing,
            self.water,
        ]
        .into_iter()
        .flatten()
        {
            s.stop().await.unwrap();
        }
    }
}

/// Today in China (UTC+8), as the services mean it.
pub fn today() -> NaiveDate {
    xk_runtime::clock::today()
}

/// A child of household `n`, about ten years old today (in compulsory-education scope).
pub fn child_id(n: u32) -> String {
    let birth = today() - chrono::Duration::days(365 * 10 + 90 + i64::from(n));
    ResidentId::build("420625", birth, 300 + n as u16)
        .as_str()
        .to_string()
}

/// A contract date.
pub fn date(y: i32, m: i32, d: i32) -> xk_contracts::pb::common::v1::Date {
    common::date(y, m, d)
}

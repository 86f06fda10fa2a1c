//! Fixtures shared by the suite-level tests.
#![allow(dead_code)]

pub mod capture;
pub mod raw;

use chrono::NaiveDate;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use xiaokang::testing::{Bearer, TestService};
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::registry::v1::*;
use xk_contracts::types::ResidentId;
use xk_runtime::{Bureau, Principal};

/// A registry client acting as `p`.
pub type Client = RegistryServiceClient<InterceptedService<Channel, Bearer>>;

/// The poverty-alleviation office's own principal.
pub const OFFICE: Principal = Principal::Bureau(Bureau::PovertyOffice);

/// A client for `svc` acting as `p`.
pub async fn client(svc: &TestService, p: Principal) -> Client {
    RegistryServiceClient::with_interceptor(svc.channel().await.unwrap(), svc.bearer(p))
}

/// A client that sends the given bearer (or none).
pub async fn client_with(svc: &TestService, token: Option<&str>) -> Client {
    RegistryServiceClient::with_interceptor(
        svc.channel().await.unwrap(),
        Bearer(token.map(str::to_string)),
    )
}

fn member(id: String, relation: Relation, i: usize) -> Member {
    Member {
        resident_id: id,
        name: format!("测试{i}"),
        relation: relation as i32,
        health: HealthCondition::Healthy as i32,
        labour: LabourCapacity::Full as i32,
        registered_year: 0,
        removed_on: None,
        removal_reason: 0,
    }
}

/// Household number `n` in `village` with `size` members (distinct resident ids across n).
pub fn household(n: u32, village: &str, size: usize, status: ArchiveStatus) -> Household {
    let members = (0..size)
        .map(|i| {
            let id = person_id(n, i as u32);
            member(
                id,
                if i == 0 {
                    Relation::Head
                } else {
                    Relation::Child
                },
                i,
            )
        })
        .collect();
    Household {
        household_id: format!("HH{n:06}"),
        village_code: village.to_string(),
        members,
        causes: vec![PovertyCause::Illness as i32],
        status: status as i32,
        identified_year: 2014,
        exited_year: if status == ArchiveStatus::Exited {
            2018
        } else {
            0
        },
        monitoring: None,
        incomes: vec![],
        timeline: vec![],
        etag: String::new(),
    }
}

/// A distinct valid resident id for member `i` of household `n`.
pub fn person_id(n: u32, i: u32) -> String {
    // Birth dates spread over days; the sequence carries the member index.
    let base = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap();
    let birth = base + chrono::Duration::days(n as i64);
    ResidentId::build("420625", birth, 100 + i as u16)
        .as_str()
        .to_string()
}

/// A date message.
pub fn date(y: i32, m: i32, d: i32) -> xk_contracts::pb::common::v1::Date {
    xk_contracts::pb::common::v1::Date {
        year: y,
        month: m,
        day: d,
    }
}

/// The field paths of an INVALID_ARGUMENT status.
pub fn violated_fields(s: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}

/// The (field path, description) pairs of an INVALID_ARGUMENT status, in order.
pub fn violations(s: &tonic::Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|f| (f.field, f.description))
                .collect()
        })
        .unwrap_or_default()
}

/// Creates a household as the office.
pub async fn create(
    c: &mut Client,
    request_id: &str,
    h: Household,
) -> Result<Household, tonic::Status> {
    c.create_household(CreateHouseholdRequest {
        request_id: request_id.into(),
        household: Some(h),
    })
    .await
    .map(|r| r.into_inner().household.unwrap())
}

/// Every household id, via paged List.
pub async fn all_ids(c: &mut Client) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_households(ListHouseholdsRequest {
                page_size: 1000,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        ids.extend(page.households.into_iter().map(|h| h.household_id));
        if page.next_page_token.is_empty() {
            return ids;
        }
        token = page.next_page_token;
    }
}

/// A registry client for the service at `url` that sends the given bearer (or none).
pub async fn client_with_url(url: &str, token: Option<&str>) -> Client {
    let ch = tonic::transport::Endpoint::from_shared(url.to_string())
        .unwrap()
        .connect()
        .await
        .unwrap();
    RegistryServiceClient::with_interceptor(ch, Bearer(token.map(str::to_string)))
}

/// Rows of `table` in a service's database, read directly (not through the service).
pub async fn count_rows(url: &str, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(url.replace("?mode=rwc", ""))
        .await
        .unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    let n = row.try_get_by_index::<i64>(0).unwrap();
    db.close().await.unwrap();
    n
}

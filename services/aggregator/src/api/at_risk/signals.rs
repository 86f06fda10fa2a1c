//! The reads of the at-risk walk, one village at a time: the registry's households and
//! disaster expenses, and each service's signals (each a filtered list read, paged to the
//! end). Education's two signals are read together: one source, one failure.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::NaiveDate;
use tonic::{Request, Response, Status};
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::{education, health, housing, registry, water};

use crate::risk;
use crate::upstream::{
    CallCtx, EducationClient, HealthClient, HousingClient, RegistryClient, ServiceClient,
    WaterClient,
};

/// Every page of one list read: `request` builds a page's request from its token, `rpc`
/// calls the service, `page` splits an answer into its items and the next token.
async fn all_pages<C, T, R, Item, Fut>(
    ctx: &CallCtx,
    request: impl Fn(String) -> T,
    rpc: impl Fn(C, Request<T>) -> Fut,
    page: impl Fn(R) -> (Vec<Item>, String),
) -> Result<Vec<Item>, Status>
where
    C: ServiceClient,
    T: Clone,
    Fut: Future<Output = Result<Response<R>, Status>>,
{
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let (items, next) = page(ctx.call(request(token), &rpc).await?);
        out.extend(items);
        if next.is_empty() {
            return Ok(out);
        }
        token = next;
    }
}

/// One village's households (registry).
pub(super) async fn village_households(
    ctx: &CallCtx,
    village: &str,
) -> Result<Vec<registry::v1::Household>, Status> {
    let page_size = ctx.clients().list_page_size;
    all_pages(
        ctx,
        |page_token| registry::v1::ListHouseholdsRequest {
            region_prefix: village.to_string(),
            page_size,
            page_token,
            ..Default::default()
        },
        |mut c: RegistryClient, r| async move { c.list_households(r).await },
        |r| (r.households, r.next_page_token),
    )
    .await
}

/// The village's households' disaster expenses of the year (registry).
pub(super) async fn village_disaster(
    ctx: &CallCtx,
    village: &str,
    year: i32,
) -> Result<Vec<registry::v1::DisasterExpense>, Status> {
    let page_size = ctx.clients().list_page_size;
    all_pages(
        ctx,
        |page_token| registry::v1::ListDisasterExpensesRequest {
            year,
            region_prefix: village.to_string(),
            page_size,
            page_token,
        },
        |mut c: RegistryClient, r| async move { c.list_disaster_expenses(r).await },
        |r| (r.expenses, r.next_page_token),
    )
    .await
}

/// The village's people with a personal medical payment in the year (health's
/// person-year totals, net of reversals), by resident id.
pub(super) async fn village_payments(
    ctx: &CallCtx,
    village: &str,
    year: i32,
) -> Result<BTreeMap<String, i64>, Status> {
    let page_size = ctx.clients().list_page_size;
    let people = all_pages(
        ctx,
        |page_token| health::v1::ListPersonPaymentsRequest {
            coverage_year: year,
            region_prefix: village.to_string(),
            min_personal_total_fen: 0,
            page_size,
            page_token,
        },
        |mut c: HealthClient, r| async move { c.list_person_payments(r).await },
        |r| (r.people, r.next_page_token),
    )
    .await?;
    Ok(risk::person_payments(&people))
}

/// What education tells the walk about one village.
pub(super) struct EducationSignals {
    /// Students dropped out or never enrolled.
    pub(super) students: Vec<education::v1::Student>,
    /// Schooling expenses of the year.
    pub(super) schooling: Vec<education::v1::SchoolingExpense>,
}

/// Education's two signals of the village: out-of-school students (one filtered read per
/// status) and schooling expenses of the year.
pub(super) async fn village_education(
    ctx: &CallCtx,
    village: &str,
    year: i32,
) -> Result<EducationSignals, Status> {
    use education::v1::StudentStatus as S;
    let page_size = ctx.clients().list_page_size;
    let students = |status: S| {
        all_pages(
            ctx,
            move |page_token| education::v1::ListStudentsRequest {
                region_prefix: village.to_string(),
                status: status as i32,
                page_size,
                page_token,
            },
            |mut c: EducationClient, r| async move { c.list_students(r).await },
            |r| (r.students, r.next_page_token),
        )
    };
    let schooling = all_pages(
        ctx,
        |page_token| education::v1::ListSchoolingExpensesRequest {
            year,
            region_prefix: village.to_string(),
            page_size,
            page_token,
        },
        |mut c: EducationClient, r| async move { c.list_schooling_expenses(r).await },
        |r| (r.expenses, r.next_page_token),
    );
    let (dropped_out, never_enrolled, schooling) = tokio::join!(
        students(S::DroppedOut),
        students(S::NeverEnrolled),
        schooling
    );
    let mut students = dropped_out?;
    students.extend(never_enrolled?);
    Ok(EducationSignals {
        students,
        schooling: schooling?,
    })
}

/// The village's households whose current water verdict is unsafe.
pub(super) async fn village_unsafe_water(
    ctx: &CallCtx,
    village: &str,
) -> Result<Vec<water::v1::HouseholdException>, Status> {
    let page_size = ctx.clients().list_page_size;
    all_pages(
        ctx,
        |page_token| water::v1::ListExceptionsRequest {
            kind: water::v1::ExceptionKind::Unsafe as i32,
            region_prefix: village.to_string(),
            household_ids: vec![],
            page_size,
            page_token,
        },
        |mut c: WaterClient, r| async move { c.list_exceptions(r).await },
        |r| (r.exceptions, r.next_page_token),
    )
    .await
}

/// The village's relocated households with labour and no member employed.
pub(super) async fn village_jobless(
    ctx: &CallCtx,
    village: &str,
    as_of: NaiveDate,
) -> Result<Vec<housing::v1::HousingException>, Status> {
    let page_size = ctx.clients().list_page_size;
    all_pages(
        ctx,
        |page_token| housing::v1::ListExceptionsRequest {
            region_prefix: village.to_string(),
            kind: housing::v1::ExceptionKind::NoEmployment as i32,
            as_of: Some(date_to_pb(as_of)),
            page_size,
            page_token,
        },
        |mut c: HousingClient, r| async move { c.list_exceptions(r).await },
        |r| (r.exceptions, r.next_page_token),
    )
    .await
}

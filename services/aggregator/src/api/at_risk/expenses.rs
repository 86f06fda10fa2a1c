//! The rigid-expenses reads of the at-risk walk: the village's disaster expenses
//! (registry) and schooling expenses (education), paged like every other signal, and
//! education's two signals of a village read together (one source, one failure).

use tonic::Status;
use xk_contracts::pb::education::v1::education_service_client::EducationServiceClient;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::{education, registry};

use super::super::MAX_UPSTREAM_MESSAGE;
use super::{all_pages, village_out_of_school};
use crate::upstream::{CallCtx, Clients};

/// The village's households' disaster expenses of the year (registry).
pub(super) async fn village_disaster(
    ctx: &CallCtx,
    c: &Clients,
    village: &str,
    year: i32,
) -> Result<Vec<registry::v1::DisasterExpense>, Status> {
    all_pages(|page_token| {
        let ch = c.registry.clone();
        let msg = registry::v1::ListDisasterExpensesRequest {
            year,
            region_prefix: village.to_string(),
            page_size: c.list_page_size,
            page_token,
        };
        async move {
            let r = ctx
                .read(msg, move |r| {
                    let mut cl = RegistryServiceClient::new(ch.clone())
                        .max_decoding_message_size(MAX_UPSTREAM_MESSAGE);
                    async move { cl.list_disaster_expenses(r).await }
                })
                .await?;
            Ok((r.expenses, r.next_page_token))
        }
    })
    .await
}

/// The village's schooling expenses of the year (education).
async fn village_schooling(
    ctx: &CallCtx,
    c: &Clients,
    village: &str,
    year: i32,
) -> Result<Vec<education::v1::SchoolingExpense>, Status> {
    all_pages(|page_token| {
        let ch = c.education.clone();
        let msg = education::v1::ListSchoolingExpensesRequest {
            year,
            region_prefix: village.to_string(),
            page_size: c.list_page_size,
            page_token,
        };
        async move {
            let r = ctx
                .read(msg, move |r| {
                    let mut cl = EducationServiceClient::new(ch.clone())
                        .max_decoding_message_size(MAX_UPSTREAM_MESSAGE);
                    async move { cl.list_schooling_expenses(r).await }
                })
                .await?;
            Ok((r.expenses, r.next_page_token))
        }
    })
    .await
}

/// Education's two signals of the village: out-of-school students and schooling expenses.
pub(super) async fn village_education(
    ctx: &CallCtx,
    c: &Clients,
    village: &str,
    year: i32,
) -> Result<EducationSignals, Status> {
    let (students, schooling) = tokio::join!(
        village_out_of_school(ctx, c, village),
        village_schooling(ctx, c, village, year)
    );
    Ok(EducationSignals {
        students: students?,
        schooling: schooling?,
    })
}

/// What education tells the walk about one village.
pub(super) struct EducationSignals {
    /// Students dropped out or never enrolled.
    pub(super) students: Vec<education::v1::Student>,
    /// Schooling expenses of the year.
    pub(super) schooling: Vec<education::v1::SchoolingExpense>,
}

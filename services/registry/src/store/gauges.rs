//! The registry's business gauges for `/metrics`: households by status, one aggregate
//! over the households table per refresh (the runtime refreshes on an interval, never
//! per scrape).

use futures::future::BoxFuture;
use sea_orm::{FromQueryResult, Statement};
use xk_contracts::pb::registry::v1::{ArchiveStatus as S, MonitoringStage as M};
use xk_runtime::Db;

/// The gauge: `xk_registry_households{service="registry",status}`.
pub const HOUSEHOLDS: &str = "xk_registry_households";

#[derive(Debug, FromQueryResult)]
struct StatusCounts {
    poor: Option<i64>,
    exited: Option<i64>,
    monitored: Option<i64>,
}

/// Counts poor and exited households in the archive and households under open
/// monitoring (the same rules as SummarizeByRegion), and sets the gauge.
pub fn refresh(db: Db) -> BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move {
        let when =
            |cond: String| format!("CAST(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS BIGINT)");
        let sql = format!(
            "SELECT {} AS poor, {} AS exited, {} AS monitored FROM households",
            when(format!("status = {}", S::Poor as i32)),
            when(format!("status = {}", S::Exited as i32)),
            when(format!(
                "monitoring_stage IN ({}, {})",
                M::Identified as i32,
                M::HelpAssigned as i32
            )),
        );
        let conn = db.conn();
        let counts = StatusCounts::find_by_statement(Statement::from_string(
            conn.get_database_backend(),
            sql,
        ))
        .one(conn)
        .await?;
        // SUM over no rows is NULL: an empty archive counts zero.
        let (poor, exited, monitored) = counts
            .map(|c| (c.poor, c.exited, c.monitored))
            .unwrap_or_default();
        for (status, n) in [("poor", poor), ("exited", exited), ("monitored", monitored)] {
            xk_runtime::metrics::set_gauge(
                HOUSEHOLDS,
                "registry",
                &[("status", status)],
                n.unwrap_or(0) as f64,
            );
        }
        Ok(())
    })
}

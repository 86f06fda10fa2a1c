//! Education's business gauge for `/metrics`: children whose compulsory-education
//! guarantee does not hold today and who have no open case (SummarizeByRegion's
//! `not_guaranteed_without_case` over the county), one count per refresh, never per scrape.

use futures::future::BoxFuture;
use xk_runtime::Db;
use xk_runtime::db::placeholder;

/// The gauge: `xk_education_out_of_school_without_case{service="education"}`.
pub const OUT_OF_SCHOOL_WITHOUT_CASE: &str = "xk_education_out_of_school_without_case";

/// Counts the children as SummarizeByRegion does for today and sets the gauge.
pub fn refresh(db: Db) -> BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move {
        // A stored guarantee holds unless it lapsed (the same rule as the summary).
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM students \
             WHERE NOT (guaranteed AND (guaranteed_until IS NULL OR guaranteed_until >= {})) \
             AND NOT open_case",
            placeholder(db.backend(), 1)
        );
        let today = xk_runtime::clock::today();
        let children = xk_runtime::metrics::count(&db, sql, vec![today.into()]).await?;
        xk_runtime::metrics::set_gauge(
            OUT_OF_SCHOOL_WITHOUT_CASE,
            "education",
            &[],
            children as f64,
        );
        Ok(())
    })
}

//! Housing's business gauge for `/metrics`: relocated households not yet moved in, one
//! count over `relocations` per refresh (never per scrape).

use futures::future::BoxFuture;
use xk_runtime::Db;

/// The gauge: `xk_housing_not_moved_in_households{service="housing"}`.
pub const NOT_MOVED_IN_HOUSEHOLDS: &str = "xk_housing_not_moved_in_households";

/// Counts relocations whose household has not moved in and sets the gauge.
pub fn refresh(db: Db) -> BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move {
        let sql = "SELECT CAST(COUNT(*) AS BIGINT) FROM relocations WHERE NOT moved_in".to_string();
        let waiting = xk_runtime::metrics::count(&db, sql, vec![]).await?;
        xk_runtime::metrics::set_gauge(NOT_MOVED_IN_HOUSEHOLDS, "housing", &[], waiting as f64);
        Ok(())
    })
}

//! Water's business gauge for `/metrics`: households whose drinking water is judged
//! unsafe, one count over `water_current` per refresh (never per scrape).

use futures::future::BoxFuture;
use xk_runtime::Db;

use crate::domain::Verdict;

/// The gauge: `xk_water_unsafe_households{service="water"}`.
pub const UNSAFE_HOUSEHOLDS: &str = "xk_water_unsafe_households";

/// Counts households with the `Unsafe` verdict (as SummarizeByRegion does) and sets the
/// gauge.
pub fn refresh(db: Db) -> BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM water_current WHERE verdict = {}",
            Verdict::Unsafe.score()
        );
        let unsafe_households = xk_runtime::metrics::count(&db, sql, vec![]).await?;
        xk_runtime::metrics::set_gauge(UNSAFE_HOUSEHOLDS, "water", &[], unsafe_households as f64);
        Ok(())
    })
}

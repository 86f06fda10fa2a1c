//! Health's business gauges for `/metrics`: registered-poor people over the year's cap on
//! in-county, in-policy hospital payments, for the latest coverage year with data (the year
//! the county report shows by default). Two aggregate queries per refresh, never per
//! scrape.

use std::sync::Arc;

use chrono::Datelike;
use futures::future::BoxFuture;
use xk_runtime::Db;
use xk_runtime::db::placeholder;
use xk_runtime::metrics::{count, set_gauge};
use xk_runtime::server::GaugeRefresh;

use crate::domain::PolicyBook;

/// The gauge: `xk_health_people_over_cap{service="health"}`.
pub const PEOPLE_OVER_CAP: &str = "xk_health_people_over_cap";

/// The coverage year the over-cap gauge counts: `xk_health_over_cap_coverage_year` (0 while
/// no person has a settled year). A separate gauge rather than a label, so the series set
/// does not grow by one every year.
pub const OVER_CAP_YEAR: &str = "xk_health_over_cap_coverage_year";

/// A refresher that reads the caps from `book` (the same book the service settles with).
pub fn refresher(book: PolicyBook) -> GaugeRefresh {
    let book = Arc::new(book);
    Arc::new(move |db: Db| -> BoxFuture<'static, anyhow::Result<()>> {
        let book = book.clone();
        Box::pin(async move {
            let backend = db.backend();
            let this_year = xk_runtime::clock::today().year();
            let year = count(
                &db,
                format!(
                    "SELECT CAST(MAX(coverage_year) AS BIGINT) FROM person_years \
                     WHERE coverage_year <= {}",
                    placeholder(backend, 1)
                ),
                vec![this_year.into()],
            )
            .await?;
            let cap = i32::try_from(year)
                .ok()
                .and_then(|y| book.for_year(y))
                .map(|p| p.supplementary.annual_personal_cap_fen);
            // No settled year, or a year before the book's first: no cap applies, so nobody
            // is over it.
            let over = match cap {
                Some(cap) => {
                    count(
                        &db,
                        format!(
                            "SELECT CAST(COUNT(*) AS BIGINT) FROM person_years \
                             WHERE coverage_year = {} AND in_county_personal_fen > {}",
                            placeholder(backend, 1),
                            placeholder(backend, 2)
                        ),
                        vec![year.into(), cap.into()],
                    )
                    .await?
                }
                None => 0,
            };
            set_gauge(PEOPLE_OVER_CAP, "health", &[], over as f64);
            set_gauge(OVER_CAP_YEAR, "health", &[], year as f64);
            Ok(())
        })
    })
}

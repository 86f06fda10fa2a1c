//! The water service's per-village running totals (issue 16): SummarizeByRegion reads
//! `water_current_rollup` instead of `water_current` whenever rollups are kept.
//!
//! One rollup, over `water_current` (one row per assessed household), scoped by
//! `village_code` (the unit the summary groups by). Every figure of
//! [`super::summary::summarize`] is a count or a people sum under a condition on one column
//! of the current row, so each column a condition tests is a key, kept as it is:
//! - `verdict`: the safe / basically safe / unsafe households and people;
//! - `quantity`, `quality`, `convenience`, `supply_guarantee`: the failed-indicator counts;
//! - `seasonal_checked`, `seasonal_shortage`: the seasonal-check households and people.
//!
//! `people` is the one measure (every people figure sums it). No figure compares a date
//! with the request (the summary is of the current statuses, whatever their dates), so
//! there is no date key and the floor does not change the definition.

use chrono::NaiveDate;
use sea_orm::DbBackend;
use xk_runtime::rollup::Rollup;

/// The rollup table over `water_current`.
pub const CURRENT_ROLLUP: &str = "water_current_rollup";

/// The water service's rollups. `floor` and `backend` are the runtime's usual arguments;
/// neither changes this definition, as no key is a date.
pub fn definitions(_floor: NaiveDate, _backend: DbBackend) -> Vec<Rollup> {
    vec![
        Rollup::new(CURRENT_ROLLUP, "water_current", &["village_code"])
            .keys(&[
                "verdict",
                "quantity",
                "quality",
                "convenience",
                "supply_guarantee",
                "seasonal_checked",
                "seasonal_shortage",
            ])
            .sum("people"),
    ]
}

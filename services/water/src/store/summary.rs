//! SummarizeByRegion in SQL: one GROUP BY over the `water_current` table's covering index
//! (region first), so nothing is pulled row by row into memory, or, the same figures, over
//! its per-village rollup ([`super::rollups`]), where each row stands for `n` households.

use super::rollups::CURRENT_ROLLUP;
use crate::domain::{Grade, Verdict};
use sea_orm::ConnectionTrait;
use xk_contracts::pb::water::v1::WaterCounts;
use xk_runtime::ApiError;
use xk_runtime::query;
use xk_runtime::query::grouped::{GroupedCount, count_by_region, sum_of, sum_when};
use xk_runtime::rollup::Source;
use xk_runtime::{figures, sum_fields};

/// What to count.
#[derive(Debug, Clone)]
pub struct SummaryQuery {
    /// Region prefix (6, 9 or 12 digits).
    pub prefix: String,
    /// Group key length: 6, 9 or 12 (never shorter than the prefix).
    pub group_len: usize,
}

/// Counts per region under the prefix, in code order, all read from `source` (the rollup
/// or the rows); regions with no assessed household are absent.
pub async fn summarize<C: ConnectionTrait>(
    conn: &C,
    q: &SummaryQuery,
    source: Source,
) -> Result<Vec<WaterCounts>, ApiError> {
    // A household: one row of `water_current`, or `n` of a rollup row.
    let one = source.count();
    let verdict = |v: Verdict| format!("verdict = {}", v.score());
    let (safe, basic, unsafe_) = (
        verdict(Verdict::Safe),
        verdict(Verdict::BasicallySafe),
        verdict(Verdict::Unsafe),
    );
    let failed = |col: &str| sum_when(&format!("{col} = {}", Grade::NotMet.score()), one);
    let figures = figures![WaterCounts;
        households = sum_of(one),
        people = sum_of("people"),
        safe_households = sum_when(&safe, one),
        safe_people = sum_when(&safe, "people"),
        basically_safe_households = sum_when(&basic, one),
        basically_safe_people = sum_when(&basic, "people"),
        unsafe_households = sum_when(&unsafe_, one),
        unsafe_people = sum_when(&unsafe_, "people"),
        quantity_failed_households = failed("quantity"),
        quality_failed_households = failed("quality"),
        convenience_failed_households = failed("convenience"),
        supply_guarantee_failed_households = failed("supply_guarantee"),
        seasonal_checked_households = sum_when("seasonal_checked", one),
        seasonal_checked_people = sum_when("seasonal_checked", "people"),
        seasonal_shortage_households = sum_when("seasonal_shortage", one),
        seasonal_shortage_people = sum_when("seasonal_shortage", "people"),
    ];
    let table = source.table(CURRENT_ROLLUP, "water_current");
    let current = GroupedCount::new(table, "village_code", figures);
    let region: fn(&mut WaterCounts) -> &mut String = |c| &mut c.region_code;
    count_by_region(conn, (&q.prefix, q.group_len), region, [current]).await
}

/// Adds up group counts into the total for the prefix.
pub fn total(prefix: &str, groups: &[WaterCounts]) -> WaterCounts {
    let add = sum_fields!(WaterCounts;
        households, people, safe_households, safe_people, basically_safe_households,
        basically_safe_people, unsafe_households, unsafe_people, quantity_failed_households,
        quality_failed_households, convenience_failed_households,
        supply_guarantee_failed_households, seasonal_checked_households,
        seasonal_checked_people, seasonal_shortage_households, seasonal_shortage_people,
    );
    query::grouped::total(prefix, groups, |t| &mut t.region_code, add)
}

//! SummarizeByRegion in SQL: two GROUP BYs over covering indexes (relocations by origin
//! village, appraisals by village), merged per region. Nothing is pulled row by row. The
//! same figures read the tables' per-village rollups ([`super::rollups`]) instead, where
//! each row stands for `n` records.

use sea_orm::ConnectionTrait;
use xk_contracts::pb::housing::v1::{Grade, RegionCounts};
use xk_runtime::ApiError;
use xk_runtime::query;
use xk_runtime::query::grouped::{GroupedCount, count_by_region, sum_of, sum_when};
use xk_runtime::rollup::Source;
use xk_runtime::{figures, sum_fields};

use super::rollups::{APPRAISALS_ROLLUP, RELOCATIONS_ROLLUP};

/// Counts per region under `prefix`, grouped by the first `group_len` digits, in code
/// order, all read from `source` (the rollups or the rows); regions without data are
/// absent.
pub async fn summarize<C: ConnectionTrait>(
    conn: &C,
    prefix: &str,
    group_len: usize,
    source: Source,
) -> Result<Vec<RegionCounts>, ApiError> {
    // A household: one row of the table, or `n` of a rollup row.
    let one = source.count();
    let relocations = figures![RegionCounts;
        relocated_households = sum_of(one),
        relocated_people = sum_of("members"),
        moved_in_households = sum_when("moved_in", one),
        moved_in_people = sum_when("moved_in", "members"),
        demolition_required_households = sum_when("demolition_required", one),
        demolished_households = sum_when("demolished", one),
        reclaimed_centi_mu = sum_of("reclaimed_centi_mu"),
        with_support_households = sum_when("has_support", one),
        with_labour_households = sum_when("has_labour", one),
        with_employment_households = sum_when("has_labour AND employment_ok", one),
    ];
    let grade = |x: Grade| sum_when(&format!("grade = {}", x as i32), one);
    let appraisals = figures![RegionCounts;
        appraised_a = grade(Grade::A),
        appraised_b = grade(Grade::B),
        appraised_c = grade(Grade::C),
        appraised_d = grade(Grade::D),
        dangerous_not_renovated = sum_when("dangerous_open", one),
    ];
    let queries = [
        GroupedCount::new(
            source.table(RELOCATIONS_ROLLUP, "relocations"),
            "origin_village_code",
            relocations,
        ),
        GroupedCount::new(
            source.table(APPRAISALS_ROLLUP, "appraisals"),
            "village_code",
            appraisals,
        ),
    ];
    let region: fn(&mut RegionCounts) -> &mut String = |c| &mut c.region_code;
    count_by_region(conn, (prefix, group_len), region, queries).await
}

/// Adds up group counts into the total for the prefix.
pub fn total(prefix: &str, groups: &[RegionCounts]) -> RegionCounts {
    let add = sum_fields!(RegionCounts;
        relocated_households, relocated_people, moved_in_households, moved_in_people,
        demolition_required_households, demolished_households, reclaimed_centi_mu,
        with_support_households, with_labour_households, with_employment_households,
        appraised_a, appraised_b, appraised_c, appraised_d, dangerous_not_renovated,
    );
    query::grouped::total(prefix, groups, |t| &mut t.region_code, add)
}

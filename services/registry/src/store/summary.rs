//! SummarizeByRegion in SQL: three GROUP BYs over covering indexes (households, members,
//! villages), merged per region. Nothing is pulled row by row into memory.
//!
//! One list of figures serves both sources ([`Source`]): the rows, or the per-village
//! rollups of [`crate::store::rollups`], whose columns keep the rows' names so every
//! condition reads the same; only a row's count becomes the rollup row's `n`.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use xk_contracts::pb::registry::v1::{
    ArchiveStatus as S, MonitoringCategory as Cat, MonitoringStage as M, RegionCounts,
};
use xk_runtime::ApiError;
use xk_runtime::db::placeholder;
use xk_runtime::query;
use xk_runtime::query::grouped::{GroupedCount, count_by_region, sum_of, sum_when};
use xk_runtime::rollup::Source;
use xk_runtime::{figures, sum_fields};

/// What to count.
#[derive(Debug, Clone)]
pub struct SummaryQuery {
    /// Region prefix (6, 9 or 12 digits).
    pub prefix: String,
    /// Group key length: 6, 9 or 12.
    pub group_len: usize,
    /// Year for "identified/exited in year" and the village income check.
    pub year: i32,
    /// Baseline cohort year.
    pub baseline_year: i32,
    /// Cases identified on or before this day and still without help are alerts.
    pub alert_cutoff: NaiveDate,
    /// Collective income a poor village must reach.
    pub village_income_fen: i64,
}

/// Counts per region under the prefix, in code order; empty regions are absent. Households
/// and members are read from `source` (the villages table is small on both paths).
pub async fn summarize<C: ConnectionTrait>(
    conn: &C,
    q: &SummaryQuery,
    source: Source,
) -> Result<Vec<RegionCounts>, ApiError> {
    let one = source.count();
    let ph = |n| placeholder(conn.get_database_backend(), n);
    let archive = format!("status IN ({}, {})", S::Poor as i32, S::Exited as i32);
    let open = format!(
        "monitoring_stage IN ({}, {})",
        M::Identified as i32,
        M::HelpAssigned as i32
    );
    let cat = |c: Cat| format!("{open} AND monitoring_category = {}", c as i32);
    let (unstable, edge, hardship) = (
        cat(Cat::UnstableExited),
        cat(Cat::Edge),
        cat(Cat::SuddenHardship),
    );
    let identified_in_year = format!("{archive} AND identified_year = {}", ph(3));
    let exited_in_year = format!("status = {} AND exited_year = {}", S::Exited as i32, ph(4));
    let alert = format!(
        "monitoring_stage = {} AND monitoring_identified_on <= {}",
        M::Identified as i32,
        ph(5)
    );
    let poor = format!("status = {}", S::Poor as i32);
    let exited = format!("status = {}", S::Exited as i32);
    let households = figures![RegionCounts;
        archive_households = sum_when(&archive, one),
        archive_people = sum_when(&archive, "people"),
        poor_households = sum_when(&poor, one),
        poor_people = sum_when(&poor, "people"),
        exited_households = sum_when(&exited, one),
        exited_people = sum_when(&exited, "people"),
        identified_in_year_households = sum_when(&identified_in_year, one),
        identified_in_year_people = sum_when(&identified_in_year, "people"),
        exited_in_year_households = sum_when(&exited_in_year, one),
        exited_in_year_people = sum_when(&exited_in_year, "people"),
        monitored_households = sum_when(&open, one),
        monitored_people = sum_when(&open, "people"),
        unstable_exited_households = sum_when(&unstable, one),
        unstable_exited_people = sum_when(&unstable, "people"),
        edge_households = sum_when(&edge, one),
        edge_people = sum_when(&edge, "people"),
        sudden_hardship_households = sum_when(&hardship, one),
        sudden_hardship_people = sum_when(&hardship, "people"),
        monitoring_alerts = sum_when(&alert, one),
    ];
    let members = figures![RegionCounts;
        baseline_people = sum_of(one),
        baseline_removed_people = sum_when("removed", one),
    ];
    let met = format!(
        "poor_village AND collective_income_year = {} AND collective_income_fen >= {}",
        ph(3),
        ph(4)
    );
    let villages = figures![RegionCounts;
        villages = sum_when("NOT is_community", "1"),
        communities = sum_when("is_community", "1"),
        poor_villages = sum_when("poor_village", "1"),
        poor_villages_income_met = sum_when(&met, "1"),
    ];
    // Over the rows, each grouped by the whole village code, the covering indexes' own
    // order (about twice as fast at the county's size as a SUBSTR key), the village groups
    // folded into townships (or the county) after; over the rollups, by the region's own
    // digits ([`GroupedCount::grouped_for`]).
    let queries = [
        GroupedCount::new(
            source.table("households_rollup", "households"),
            "village_code",
            households,
        )
        .bind(vec![q.year.into(), q.year.into(), q.alert_cutoff.into()]),
        GroupedCount::new(
            source.table("members_rollup", "members"),
            "village_code",
            members,
        )
        .filter(
            format!("registered_year = {}", ph(3)),
            vec![q.baseline_year.into()],
        ),
        GroupedCount::new("villages", "village_code", villages)
            .bind(vec![q.year.into(), q.village_income_fen.into()]),
    ];
    let region: fn(&mut RegionCounts) -> &mut String = |c| &mut c.region_code;
    let queries = queries.map(|q| q.grouped_for(source));
    count_by_region(conn, (&q.prefix, q.group_len), region, queries).await
}

/// Adds up group counts into the total for the prefix.
pub fn total(prefix: &str, groups: &[RegionCounts]) -> RegionCounts {
    let add = sum_fields!(RegionCounts;
        archive_households, archive_people, poor_households, poor_people, exited_households,
        exited_people, identified_in_year_households, identified_in_year_people,
        exited_in_year_households, exited_in_year_people, baseline_people,
        baseline_removed_people, monitored_households, monitored_people,
        unstable_exited_households, unstable_exited_people, edge_households, edge_people,
        sudden_hardship_households, sudden_hardship_people, monitoring_alerts, villages,
        communities, poor_villages, poor_villages_income_met,
    );
    query::grouped::total(prefix, groups, |t| &mut t.region_code, add)
}

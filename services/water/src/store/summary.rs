//! SummarizeByRegion in SQL: one GROUP BY over the `water_current` table's covering index
//! (region first), so nothing is pulled row by row into memory.

use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use xk_contracts::pb::water::v1::WaterCounts;
use xk_runtime::ApiError;
use xk_runtime::db::placeholder;

use super::support::prefix_range;
use crate::domain::{Grade, Verdict};

/// What to count.
#[derive(Debug, Clone)]
pub struct SummaryQuery {
    /// Region prefix (6, 9 or 12 digits).
    pub prefix: String,
    /// Group key length: 6, 9 or 12 (never shorter than the prefix).
    pub group_len: usize,
}

/// One group as the database returns it.
#[derive(Debug, FromQueryResult)]
struct Row {
    /// The group key: the first `group_len` digits of the village code.
    g: String,
    /// Households with a current status.
    households: i64,
    /// Their people.
    people: i64,
    /// Households 安全.
    safe_households: i64,
    /// Their people.
    safe_people: i64,
    /// Households 基本安全.
    basic_households: i64,
    /// Their people.
    basic_people: i64,
    /// Households 不安全.
    unsafe_households: i64,
    /// Their people.
    unsafe_people: i64,
    /// Households with quantity 未达标.
    quantity_failed: i64,
    /// Households with quality 未达标.
    quality_failed: i64,
    /// Households with convenience 未达标.
    convenience_failed: i64,
    /// Households with the supply guarantee 未达标.
    supply_failed: i64,
    /// Households with any seasonal check.
    seasonal_households: i64,
    /// Their people.
    seasonal_people: i64,
    /// Households whose latest seasonal check found a shortage.
    shortage_households: i64,
    /// Their people.
    shortage_people: i64,
}

fn sum(cond: &str, what: &str) -> String {
    format!("CAST(SUM(CASE WHEN {cond} THEN {what} ELSE 0 END) AS BIGINT)")
}

/// Counts per region under the prefix, in code order; regions with no assessed household
/// are absent.
pub async fn summarize<C: ConnectionTrait>(
    conn: &C,
    q: &SummaryQuery,
) -> Result<Vec<WaterCounts>, ApiError> {
    let backend = conn.get_database_backend();
    let (lo, hi) = prefix_range(&q.prefix);
    let g = format!("SUBSTR(village_code, 1, {})", q.group_len);
    let verdict = |v: Verdict| format!("verdict = {}", v.score());
    let failed = |col: &str| format!("{col} = {}", Grade::NotMet.score());
    let cols = [
        "COUNT(*) AS households".to_string(),
        "CAST(SUM(people) AS BIGINT) AS people".to_string(),
        sum(&verdict(Verdict::Safe), "1") + " AS safe_households",
        sum(&verdict(Verdict::Safe), "people") + " AS safe_people",
        sum(&verdict(Verdict::BasicallySafe), "1") + " AS basic_households",
        sum(&verdict(Verdict::BasicallySafe), "people") + " AS basic_people",
        sum(&verdict(Verdict::Unsafe), "1") + " AS unsafe_households",
        sum(&verdict(Verdict::Unsafe), "people") + " AS unsafe_people",
        sum(&failed("quantity"), "1") + " AS quantity_failed",
        sum(&failed("quality"), "1") + " AS quality_failed",
        sum(&failed("convenience"), "1") + " AS convenience_failed",
        sum(&failed("supply_guarantee"), "1") + " AS supply_failed",
        sum("seasonal_checked", "1") + " AS seasonal_households",
        sum("seasonal_checked", "people") + " AS seasonal_people",
        sum("seasonal_shortage", "1") + " AS shortage_households",
        sum("seasonal_shortage", "people") + " AS shortage_people",
    ]
    .join(", ");
    let sql = format!(
        "SELECT {g} AS g, {cols} FROM water_current \
         WHERE village_code >= {} AND village_code <= {} GROUP BY {g} ORDER BY g",
        placeholder(backend, 1),
        placeholder(backend, 2),
    );
    let rows = Row::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [lo.into(), hi.into()],
    ))
    .all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WaterCounts {
            region_code: r.g,
            households: r.households,
            people: r.people,
            safe_households: r.safe_households,
            safe_people: r.safe_people,
            basically_safe_households: r.basic_households,
            basically_safe_people: r.basic_people,
            unsafe_households: r.unsafe_households,
            unsafe_people: r.unsafe_people,
            quantity_failed_households: r.quantity_failed,
            quality_failed_households: r.quality_failed,
            convenience_failed_households: r.convenience_failed,
            supply_guarantee_failed_households: r.supply_failed,
            seasonal_checked_households: r.seasonal_households,
            seasonal_checked_people: r.seasonal_people,
            seasonal_shortage_households: r.shortage_households,
            seasonal_shortage_people: r.shortage_people,
        })
        .collect())
}

/// Adds up group counts into the total for the prefix.
pub fn total(prefix: &str, groups: &[WaterCounts]) -> WaterCounts {
    let mut t = WaterCounts {
        region_code: prefix.to_string(),
        ..Default::default()
    };
    for g in groups {
        t.households += g.households;
        t.people += g.people;
        t.safe_households += g.safe_households;
        t.safe_people += g.safe_people;
        t.basically_safe_households += g.basically_safe_households;
        t.basically_safe_people += g.basically_safe_people;
        t.unsafe_households += g.unsafe_households;
        t.unsafe_people += g.unsafe_people;
        t.quantity_failed_households += g.quantity_failed_households;
        t.quality_failed_households += g.quality_failed_households;
        t.convenience_failed_households += g.convenience_failed_households;
        t.supply_guarantee_failed_households += g.supply_guarantee_failed_households;
        t.seasonal_checked_households += g.seasonal_checked_households;
        t.seasonal_checked_people += g.seasonal_checked_people;
        t.seasonal_shortage_households += g.seasonal_shortage_households;
        t.seasonal_shortage_people += g.seasonal_shortage_people;
    }
    t
}

//! SummarizeByRegion in SQL: three GROUP BYs over covering indexes (households, members,
//! villages), merged per region. Nothing is pulled row by row into memory.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};
use xk_contracts::pb::registry::v1::{
    ArchiveStatus as S, MonitoringCategory as Cat, MonitoringStage as M, RegionCounts,
};
use xk_runtime::ApiError;
use xk_runtime::db::placeholder;

use super::prefix_range;

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

#[derive(Debug, FromQueryResult)]
struct HouseholdRow {
    g: String,
    archive_households: i64,
    archive_people: i64,
    poor_households: i64,
    poor_people: i64,
    exited_households: i64,
    exited_people: i64,
    identified_in_year_households: i64,
    identified_in_year_people: i64,
    exited_in_year_households: i64,
    exited_in_year_people: i64,
    monitored_households: i64,
    monitored_people: i64,
    unstable_households: i64,
    unstable_people: i64,
    edge_households: i64,
    edge_people: i64,
    hardship_households: i64,
    hardship_people: i64,
    alerts: i64,
}

#[derive(Debug, FromQueryResult)]
struct MemberRow {
    g: String,
    baseline_people: i64,
    baseline_removed: i64,
}

#[derive(Debug, FromQueryResult)]
struct VillageRow {
    g: String,
    villages: i64,
    communities: i64,
    poor_villages: i64,
    poor_met: i64,
}

fn sum(cond: &str, what: &str) -> String {
    format!("CAST(SUM(CASE WHEN {cond} THEN {what} ELSE 0 END) AS BIGINT)")
}

/// Counts per region under the prefix, in code order; empty regions are absent.
pub async fn summarize<C: ConnectionTrait>(
    conn: &C,
    q: &SummaryQuery,
) -> Result<Vec<RegionCounts>, ApiError> {
    let backend = conn.get_database_backend();
    let ph = |n| placeholder(backend, n);
    let (lo, hi) = prefix_range(&q.prefix);
    // Grouped by the whole village code, the covering indexes' own order, so the database
    // aggregates as it scans instead of sorting every row for a SUBSTR key (about twice
    // as fast at the county's size); the ≤ 290 village rows are folded into townships
    // (or the county) below.
    let g = "village_code";
    let archive = format!("status IN ({}, {})", S::Poor as i32, S::Exited as i32);
    let open = format!(
        "monitoring_stage IN ({}, {})",
        M::Identified as i32,
        M::HelpAssigned as i32
    );
    let cat = |c: Cat| format!("{open} AND monitoring_category = {}", c as i32);
    let identified_in_year = format!("{archive} AND identified_year = {}", ph(3));
    let exited_in_year = format!("status = {} AND exited_year = {}", S::Exited as i32, ph(4));
    let alert = format!(
        "monitoring_stage = {} AND monitoring_identified_on <= {}",
        M::Identified as i32,
        ph(5)
    );
    let poor = format!("status = {}", S::Poor as i32);
    let exited = format!("status = {}", S::Exited as i32);
    let sql = format!(
        "SELECT {g} AS g, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {} \
         FROM households WHERE village_code >= {} AND village_code <= {} GROUP BY {g} ORDER BY g",
        sum(&archive, "1") + " AS archive_households",
        sum(&archive, "people") + " AS archive_people",
        sum(&poor, "1") + " AS poor_households",
        sum(&poor, "people") + " AS poor_people",
        sum(&exited, "1") + " AS exited_households",
        sum(&exited, "people") + " AS exited_people",
        sum(&identified_in_year, "1") + " AS identified_in_year_households",
        sum(&identified_in_year, "people") + " AS identified_in_year_people",
        sum(&exited_in_year, "1") + " AS exited_in_year_households",
        sum(&exited_in_year, "people") + " AS exited_in_year_people",
        sum(&open, "1") + " AS monitored_households",
        sum(&open, "people") + " AS monitored_people",
        sum(&cat(Cat::UnstableExited), "1") + " AS unstable_households",
        sum(&cat(Cat::UnstableExited), "people") + " AS unstable_people",
        sum(&cat(Cat::Edge), "1") + " AS edge_households",
        sum(&cat(Cat::Edge), "people") + " AS edge_people",
        sum(&cat(Cat::SuddenHardship), "1") + " AS hardship_households",
        sum(&cat(Cat::SuddenHardship), "people") + " AS hardship_people",
        sum(&alert, "1") + " AS alerts",
        ph(1),
        ph(2),
    );
    let values: Vec<Value> = vec![
        lo.clone().into(),
        hi.clone().into(),
        q.year.into(),
        q.year.into(),
        q.alert_cutoff.into(),
    ];
    let households =
        HouseholdRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(conn)
            .await?;

    let sql = format!(
        "SELECT {g} AS g, COUNT(*) AS baseline_people, {} AS baseline_removed FROM members \
         WHERE village_code >= {} AND village_code <= {} AND registered_year = {} GROUP BY {g} ORDER BY g",
        sum("removed", "1"),
        ph(1),
        ph(2),
        ph(3)
    );
    let members = MemberRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [lo.clone().into(), hi.clone().into(), q.baseline_year.into()],
    ))
    .all(conn)
    .await?;

    let met = format!(
        "poor_village AND collective_income_year = {} AND collective_income_fen >= {}",
        ph(1),
        ph(2)
    );
    let sql = format!(
        "SELECT {g} AS g, {} AS villages, {} AS communities, {} AS poor_villages, {} AS poor_met \
         FROM villages WHERE village_code >= {} AND village_code <= {} GROUP BY {g} ORDER BY g",
        sum("NOT is_community", "1"),
        sum("is_community", "1"),
        sum("poor_village", "1"),
        sum(&met, "1"),
        ph(3),
        ph(4),
    );
    let villages = VillageRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [
            q.year.into(),
            q.village_income_fen.into(),
            lo.into(),
            hi.into(),
        ],
    ))
    .all(conn)
    .await?;

    let mut groups: BTreeMap<String, RegionCounts> = BTreeMap::new();
    fn entry<'a>(groups: &'a mut BTreeMap<String, RegionCounts>, g: &str) -> &'a mut RegionCounts {
        groups.entry(g.to_string()).or_insert_with(|| RegionCounts {
            region_code: g.to_string(),
            ..Default::default()
        })
    }
    let key = |village: &str| village.get(..q.group_len).unwrap_or(village).to_string();
    for r in households {
        let c = entry(&mut groups, &key(&r.g));
        c.archive_households += r.archive_households;
        c.archive_people += r.archive_people;
        c.poor_households += r.poor_households;
        c.poor_people += r.poor_people;
        c.exited_households += r.exited_households;
        c.exited_people += r.exited_people;
        c.identified_in_year_households += r.identified_in_year_households;
        c.identified_in_year_people += r.identified_in_year_people;
        c.exited_in_year_households += r.exited_in_year_households;
        c.exited_in_year_people += r.exited_in_year_people;
        c.monitored_households += r.monitored_households;
        c.monitored_people += r.monitored_people;
        c.unstable_exited_households += r.unstable_households;
        c.unstable_exited_people += r.unstable_people;
        c.edge_households += r.edge_households;
        c.edge_people += r.edge_people;
        c.sudden_hardship_households += r.hardship_households;
        c.sudden_hardship_people += r.hardship_people;
        c.monitoring_alerts += r.alerts;
    }
    for r in members {
        let c = entry(&mut groups, &key(&r.g));
        c.baseline_people += r.baseline_people;
        c.baseline_removed_people += r.baseline_removed;
    }
    for r in villages {
        let c = entry(&mut groups, &key(&r.g));
        c.villages += r.villages;
        c.communities += r.communities;
        c.poor_villages += r.poor_villages;
        c.poor_villages_income_met += r.poor_met;
    }
    Ok(groups.into_values().collect())
}

/// Adds up group counts into the total for the prefix.
pub fn total(prefix: &str, groups: &[RegionCounts]) -> RegionCounts {
    let mut t = RegionCounts {
        region_code: prefix.to_string(),
        ..Default::default()
    };
    for g in groups {
        t.archive_households += g.archive_households;
        t.archive_people += g.archive_people;
        t.poor_households += g.poor_households;
        t.poor_people += g.poor_people;
        t.exited_households += g.exited_households;
        t.exited_people += g.exited_people;
        t.identified_in_year_households += g.identified_in_year_households;
        t.identified_in_year_people += g.identified_in_year_people;
        t.exited_in_year_households += g.exited_in_year_households;
        t.exited_in_year_people += g.exited_in_year_people;
        t.baseline_people += g.baseline_people;
        t.baseline_removed_people += g.baseline_removed_people;
        t.monitored_households += g.monitored_households;
        t.monitored_people += g.monitored_people;
        t.unstable_exited_households += g.unstable_exited_households;
        t.unstable_exited_people += g.unstable_exited_people;
        t.edge_households += g.edge_households;
        t.edge_people += g.edge_people;
        t.sudden_hardship_households += g.sudden_hardship_households;
        t.sudden_hardship_people += g.sudden_hardship_people;
        t.monitoring_alerts += g.monitoring_alerts;
        t.villages += g.villages;
        t.communities += g.communities;
        t.poor_villages += g.poor_villages;
        t.poor_villages_income_met += g.poor_villages_income_met;
    }
    t
}

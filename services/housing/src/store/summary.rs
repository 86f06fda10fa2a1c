//! SummarizeByRegion in SQL: two GROUP BYs over covering indexes (relocations by origin
//! village, appraisals by village), merged per region. Nothing is pulled row by row.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use xk_contracts::pb::housing::v1::{Grade, RegionCounts};
use xk_runtime::ApiError;
use xk_runtime::db::placeholder;

use super::prefix_range;

#[derive(Debug, FromQueryResult)]
struct RelocationRow {
    g: String,
    relocated_households: i64,
    relocated_people: i64,
    moved_in_households: i64,
    moved_in_people: i64,
    demolition_required_households: i64,
    demolished_households: i64,
    reclaimed_centi_mu: i64,
    with_support_households: i64,
    with_labour_households: i64,
    with_employment_households: i64,
}

#[derive(Debug, FromQueryResult)]
struct AppraisalRow {
    g: String,
    a: i64,
    b: i64,
    c: i64,
    d: i64,
    dangerous_open: i64,
}

fn sum(cond: &str, what: &str) -> String {
    format!("CAST(SUM(CASE WHEN {cond} THEN {what} ELSE 0 END) AS BIGINT)")
}

/// Counts per region under `prefix`, grouped by the first `group_len` digits, in code
/// order; regions without data are absent.
pub async fn summarize<C: ConnectionTrait>(
    conn: &C,
    prefix: &str,
    group_len: usize,
) -> Result<Vec<RegionCounts>, ApiError> {
    let backend = conn.get_database_backend();
    let ph = |n| placeholder(backend, n);
    let (lo, hi) = prefix_range(prefix);
    let g = format!("SUBSTR(origin_village_code, 1, {group_len})");
    let sql = format!(
        "SELECT {g} AS g, COUNT(*) AS relocated_households, \
         CAST(SUM(members) AS BIGINT) AS relocated_people, \
         {} AS moved_in_households, {} AS moved_in_people, \
         {} AS demolition_required_households, {} AS demolished_households, \
         CAST(SUM(reclaimed_centi_mu) AS BIGINT) AS reclaimed_centi_mu, \
         {} AS with_support_households, {} AS with_labour_households, \
         {} AS with_employment_households \
         FROM relocations WHERE origin_village_code >= {} AND origin_village_code <= {} \
         GROUP BY {g} ORDER BY g",
        sum("moved_in", "1"),
        sum("moved_in", "members"),
        sum("demolition_required", "1"),
        sum("demolished", "1"),
        sum("has_support", "1"),
        sum("has_labour", "1"),
        sum("has_labour AND employment_ok", "1"),
        ph(1),
        ph(2),
    );
    let relocations = RelocationRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [lo.clone().into(), hi.clone().into()],
    ))
    .all(conn)
    .await?;

    let g = format!("SUBSTR(village_code, 1, {group_len})");
    let grade = |x: Grade| format!("grade = {}", x as i32);
    let sql = format!(
        "SELECT {g} AS g, {} AS a, {} AS b, {} AS c, {} AS d, {} AS dangerous_open \
         FROM appraisals WHERE village_code >= {} AND village_code <= {} \
         GROUP BY {g} ORDER BY g",
        sum(&grade(Grade::A), "1"),
        sum(&grade(Grade::B), "1"),
        sum(&grade(Grade::C), "1"),
        sum(&grade(Grade::D), "1"),
        sum("dangerous_open", "1"),
        ph(1),
        ph(2),
    );
    let appraisals = AppraisalRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [lo.into(), hi.into()],
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
    for r in relocations {
        let c = entry(&mut groups, &r.g);
        c.relocated_households = r.relocated_households;
        c.relocated_people = r.relocated_people;
        c.moved_in_households = r.moved_in_households;
        c.moved_in_people = r.moved_in_people;
        c.demolition_required_households = r.demolition_required_households;
        c.demolished_households = r.demolished_households;
        c.reclaimed_centi_mu = r.reclaimed_centi_mu;
        c.with_support_households = r.with_support_households;
        c.with_labour_households = r.with_labour_households;
        c.with_employment_households = r.with_employment_households;
    }
    for r in appraisals {
        let c = entry(&mut groups, &r.g);
        c.appraised_a = r.a;
        c.appraised_b = r.b;
        c.appraised_c = r.c;
        c.appraised_d = r.d;
        c.dangerous_not_renovated = r.dangerous_open;
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
        t.relocated_households += g.relocated_households;
        t.relocated_people += g.relocated_people;
        t.moved_in_households += g.moved_in_households;
        t.moved_in_people += g.moved_in_people;
        t.demolition_required_households += g.demolition_required_households;
        t.demolished_households += g.demolished_households;
        t.reclaimed_centi_mu += g.reclaimed_centi_mu;
        t.with_support_households += g.with_support_households;
        t.with_labour_households += g.with_labour_households;
        t.with_employment_households += g.with_employment_households;
        t.appraised_a += g.appraised_a;
        t.appraised_b += g.appraised_b;
        t.appraised_c += g.appraised_c;
        t.appraised_d += g.appraised_d;
        t.dangerous_not_renovated += g.dangerous_not_renovated;
    }
    t
}

//! SummarizeByRegion in SQL: two GROUP BYs over covering indexes (enrolments and
//! person-years, both led by coverage year then village code), merged per region. Nothing
//! is pulled row by row into memory.
//!
//! The same figures read either the rows or their per-village rollups
//! ([`super::rollups`]), as the caller's [`Source`] says: the rollups keep the source
//! columns' names, so only the row count changes (`n` instead of 1).

use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use xk_contracts::pb::health::v1::{InstitutionCounts, RegionHealth};
use xk_runtime::ApiError;
use xk_runtime::db::placeholder;
use xk_runtime::query::grouped::{GroupedCount, count_by_region};
use xk_runtime::query::{self, prefix_range};
use xk_runtime::rollup::Source;
use xk_runtime::{figures, sum_fields};

use super::rollups::{ENROLMENTS_ROLLUP, PERSON_YEARS_ROLLUP};

/// What to count.
#[derive(Debug, Clone)]
pub struct SummaryQuery {
    /// Region prefix (6, 9 or 12 digits).
    pub prefix: String,
    /// Group key length: 6, 9 or 12.
    pub group_len: usize,
    /// The coverage year.
    pub year: i32,
    /// The year's annual personal cap (fen) from the policy: "over the cap" is judged
    /// against it, so the number comes from the policy, not the SQL. With
    /// [`Source::Rollups`] it must be the cap the rollups were built with
    /// ([`super::rollups::OverCap::baked_in`]).
    pub cap_fen: i64,
}

/// `SUM(what)` as BIGINT (PostgreSQL sums bigint to NUMERIC).
fn sum(what: &str) -> String {
    format!("CAST(COALESCE(SUM({what}), 0) AS BIGINT)")
}

/// Figures per region under the prefix, in code order, from `source` (rows or rollups);
/// regions without enrolments are absent.
pub async fn summarize<C: ConnectionTrait>(
    conn: &C,
    q: &SummaryQuery,
    source: Source,
) -> Result<Vec<RegionHealth>, ApiError> {
    let ph = |n| placeholder(conn.get_database_backend(), n);
    let count = source.count();
    let enrolments = figures![RegionHealth;
        insured_people = sum(count),
        registered_poor_insured = sum(&format!("CASE WHEN registered_poor THEN {count} ELSE 0 END")),
        premiums_fen = sum("premium_fen"),
        government_paid_fen = sum("government_paid_fen"),
        personal_paid_fen = sum("personal_paid_fen"),
    ];
    // The cap is on in-county, in-policy care of the registered poor only: out-of-county
    // payments must not make a person count as over it.
    let over_cap = format!(
        "CASE WHEN in_county_personal_fen > {} THEN {count} ELSE 0 END",
        ph(4)
    );
    // On the rollups `cases` is a sum, so the condition tests the key that holds
    // `cases > 0` of the rows (see the rollups' module docs): a pending delta that takes a
    // person-year with cases away (n = −1, cases = −3) must count under it too.
    let has_cases = match source {
        Source::Rollups => "with_cases = 1",
        Source::Rows => "cases > 0",
    };
    let with_cases = format!("CASE WHEN {has_cases} THEN {count} ELSE 0 END");
    let person_years = figures![RegionHealth;
        cases = sum("cases"),
        people_with_cases = sum(&with_cases),
        total_cost_fen = sum("total_fen"),
        basic_fen = sum("basic_fen"),
        serious_illness_fen = sum("serious_fen"),
        medical_assistance_fen = sum("assistance_fen"),
        supplementary_fen = sum("supplementary_fen"),
        personal_in_policy_fen = sum("personal_in_policy_fen"),
        personal_total_fen = sum("personal_total_fen"),
        people_over_cap = sum(&over_cap),
    ];
    // Grouped by the whole village code, which follows coverage year in the covering
    // indexes, so SQLite aggregates as it scans instead of sorting every row into a
    // temporary B-tree (3x faster at the county's 50,000 rows); the ≤ 290 village groups
    // are then folded into townships (or the county). The rollups' few rows per village
    // are grouped by the region's own digits instead ([`GroupedCount::grouped_for`]).
    let of_year = format!("coverage_year = {}", ph(3));
    let queries = [
        GroupedCount::new(
            source.table(ENROLMENTS_ROLLUP, "enrolments"),
            "village_code",
            enrolments,
        )
        .filter(&of_year, vec![q.year.into()]),
        GroupedCount::new(
            source.table(PERSON_YEARS_ROLLUP, "person_years"),
            "village_code",
            person_years,
        )
        .filter(&of_year, vec![q.year.into(), q.cap_fen.into()]),
    ];
    let region: fn(&mut RegionHealth) -> &mut String = |c| &mut c.region_code;
    let queries = queries.map(|q| q.grouped_for(source));
    count_by_region(conn, (&q.prefix, q.group_len), region, queries).await
}

#[derive(Debug, FromQueryResult)]
struct LatestYearRow {
    /// NULL when nobody under the prefix is enrolled up to the bound.
    y: Option<i32>,
}

/// The latest coverage year, not after `not_after`, in which anyone under `prefix` is
/// enrolled; `None` when nobody is. One MAX over the enrolment index led by coverage year.
pub async fn latest_enrolled_year<C: ConnectionTrait>(
    conn: &C,
    prefix: &str,
    not_after: i32,
) -> Result<Option<i32>, ApiError> {
    let backend = conn.get_database_backend();
    let ph = |n| placeholder(backend, n);
    let (lo, hi) = prefix_range(prefix);
    let sql = format!(
        "SELECT MAX(coverage_year) AS y FROM enrolments WHERE coverage_year <= {} \
         AND village_code >= {} AND village_code <= {}",
        ph(1),
        ph(2),
        ph(3)
    );
    let row = LatestYearRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [not_after.into(), lo.into(), hi.into()],
    ))
    .one(conn)
    .await?;
    Ok(row.and_then(|r| r.y))
}

/// Adds up the groups into the total for the prefix.
pub fn total(prefix: &str, groups: &[RegionHealth]) -> RegionHealth {
    let add = sum_fields!(RegionHealth;
        insured_people, registered_poor_insured, premiums_fen, government_paid_fen,
        personal_paid_fen, cases, people_with_cases, total_cost_fen, basic_fen,
        serious_illness_fen, medical_assistance_fen, supplementary_fen, personal_in_policy_fen,
        personal_total_fen, people_over_cap,
    );
    query::grouped::total(prefix, groups, |t| &mut t.region_code, add)
}

#[derive(Debug, FromQueryResult)]
struct InstitutionRow {
    designated: i64,
    in_county: i64,
    one_stop: i64,
    treat_first: i64,
}

/// Counts of the designated institutions, in one SQL aggregate.
pub async fn institutions<C: ConnectionTrait>(conn: &C) -> Result<InstitutionCounts, ApiError> {
    let backend = conn.get_database_backend();
    let flag =
        |c: &str| format!("CAST(COALESCE(SUM(CASE WHEN {c} THEN 1 ELSE 0 END), 0) AS BIGINT)");
    let sql = format!(
        "SELECT COUNT(*) AS designated, {} AS in_county, {} AS one_stop, {} AS treat_first \
         FROM institutions",
        flag("in_county"),
        flag("one_stop"),
        flag("treat_first_pay_later")
    );
    let row = InstitutionRow::find_by_statement(Statement::from_string(backend, sql))
        .one(conn)
        .await?;
    Ok(
        row.map_or_else(InstitutionCounts::default, |r| InstitutionCounts {
            designated: r.designated,
            in_county: r.in_county,
            one_stop: r.one_stop,
            treat_first_pay_later: r.treat_first,
        }),
    )
}

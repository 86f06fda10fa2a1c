//! SummarizeByRegion in SQL: two GROUP BYs over covering indexes (enrolments and
//! person-years, both led by coverage year then village code), merged per region. Nothing
//! is pulled row by row into memory.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use xk_contracts::pb::health::v1::{InstitutionCounts, RegionHealth};
use xk_runtime::db::placeholder;

use super::prefix_range;
use xk_runtime::ApiError;

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
    /// against it, so the number comes from the policy, not the SQL.
    pub cap_fen: i64,
}

/// One group of the enrolment GROUP BY.
#[derive(Debug, FromQueryResult)]
struct EnrolRow {
    /// Group key.
    g: String,
    /// Enrolments.
    insured: i64,
    /// Of which registered poor.
    poor: i64,
    /// Premiums.
    premiums: i64,
    /// Paid by government.
    government: i64,
    /// Paid by people.
    personal: i64,
}

/// One group of the person-year GROUP BY.
#[derive(Debug, FromQueryResult)]
struct YearRow {
    /// Group key.
    g: String,
    /// Live cases.
    cases: i64,
    /// People with a live case.
    people_with_cases: i64,
    /// Cost.
    total: i64,
    /// Layer 1.
    basic: i64,
    /// Layer 2.
    serious: i64,
    /// Layer 3.
    assistance: i64,
    /// Layer 4.
    supplementary: i64,
    /// Personal in-policy.
    personal_in_policy: i64,
    /// Personal in all.
    personal_total: i64,
    /// People whose in-county in-policy personal payment is over the cap.
    over_cap: i64,
}

/// `SUM(what)` as BIGINT (PostgreSQL sums bigint to NUMERIC).
fn sum(what: &str) -> String {
    format!("CAST(COALESCE(SUM({what}), 0) AS BIGINT)")
}

/// Figures per region under the prefix, in code order; regions without enrolments are
/// absent.
pub async fn summarize<C: ConnectionTrait>(
    conn: &C,
    q: &SummaryQuery,
) -> Result<Vec<RegionHealth>, ApiError> {
    let backend = conn.get_database_backend();
    let ph = |n| placeholder(backend, n);
    let (lo, hi) = prefix_range(&q.prefix);
    // Grouped by the whole village code, which is the covering index's own order, so
    // SQLite aggregates as it scans instead of sorting every row into a temporary
    // B-tree (3x faster at the county's 50,000 rows); the ≤ 290 village rows are then
    // folded into townships (or the county) below.
    let g = "village_code";
    let filter = format!(
        "coverage_year = {} AND village_code >= {} AND village_code <= {}",
        ph(1),
        ph(2),
        ph(3)
    );
    let sql = format!(
        "SELECT {g} AS g, COUNT(*) AS insured, {} AS poor, {} AS premiums, {} AS government, \
         {} AS personal FROM enrolments WHERE {filter} GROUP BY {g} ORDER BY g",
        sum("CASE WHEN registered_poor THEN 1 ELSE 0 END"),
        sum("premium_fen"),
        sum("government_paid_fen"),
        sum("personal_paid_fen"),
    );
    let enrols = EnrolRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [q.year.into(), lo.clone().into(), hi.clone().into()],
    ))
    .all(conn)
    .await?;

    let sql = format!(
        "SELECT {g} AS g, {} AS cases, {} AS people_with_cases, {} AS total, {} AS basic, \
         {} AS serious, {} AS assistance, {} AS supplementary, {} AS personal_in_policy, \
         {} AS personal_total, {} AS over_cap FROM person_years WHERE {filter} \
         GROUP BY {g} ORDER BY g",
        sum("cases"),
        sum("CASE WHEN cases > 0 THEN 1 ELSE 0 END"),
        sum("total_fen"),
        sum("basic_fen"),
        sum("serious_fen"),
        sum("assistance_fen"),
        sum("supplementary_fen"),
        sum("personal_in_policy_fen"),
        sum("personal_total_fen"),
        // The cap is on in-county, in-policy care of the registered poor only: out-of-county
        // payments must not make a person count as over it.
        sum(&format!(
            "CASE WHEN in_county_personal_fen > {} THEN 1 ELSE 0 END",
            ph(4)
        )),
    );
    let years = YearRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [q.year.into(), lo.into(), hi.into(), q.cap_fen.into()],
    ))
    .all(conn)
    .await?;

    let mut groups: BTreeMap<String, RegionHealth> = BTreeMap::new();
    fn entry<'a>(groups: &'a mut BTreeMap<String, RegionHealth>, g: &str) -> &'a mut RegionHealth {
        groups.entry(g.to_string()).or_insert_with(|| RegionHealth {
            region_code: g.to_string(),
            ..Default::default()
        })
    }
    let key = |village: &str| village.get(..q.group_len).unwrap_or(village).to_string();
    for r in enrols {
        let c = entry(&mut groups, &key(&r.g));
        c.insured_people += r.insured;
        c.registered_poor_insured += r.poor;
        c.premiums_fen += r.premiums;
        c.government_paid_fen += r.government;
        c.personal_paid_fen += r.personal;
    }
    for r in years {
        let c = entry(&mut groups, &key(&r.g));
        c.cases += r.cases;
        c.people_with_cases += r.people_with_cases;
        c.total_cost_fen += r.total;
        c.basic_fen += r.basic;
        c.serious_illness_fen += r.serious;
        c.medical_assistance_fen += r.assistance;
        c.supplementary_fen += r.supplementary;
        c.personal_in_policy_fen += r.personal_in_policy;
        c.personal_total_fen += r.personal_total;
        c.people_over_cap += r.over_cap;
    }
    Ok(groups.into_values().collect())
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
    let mut t = RegionHealth {
        region_code: prefix.to_string(),
        ..Default::default()
    };
    for g in groups {
        t.insured_people += g.insured_people;
        t.registered_poor_insured += g.registered_poor_insured;
        t.premiums_fen += g.premiums_fen;
        t.government_paid_fen += g.government_paid_fen;
        t.personal_paid_fen += g.personal_paid_fen;
        t.cases += g.cases;
        t.people_with_cases += g.people_with_cases;
        t.total_cost_fen += g.total_cost_fen;
        t.basic_fen += g.basic_fen;
        t.serious_illness_fen += g.serious_illness_fen;
        t.medical_assistance_fen += g.medical_assistance_fen;
        t.supplementary_fen += g.supplementary_fen;
        t.personal_in_policy_fen += g.personal_in_policy_fen;
        t.personal_total_fen += g.personal_total_fen;
        t.people_over_cap += g.people_over_cap;
    }
    t
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

//! SummarizeByRegion in SQL: three GROUP BYs over covering indexes (students, letters,
//! survey findings), merged per region. Nothing is pulled row by row into memory.
//!
//! The same figures read either the rows or their per-village rollups
//! ([`super::rollups`]), as the caller's [`Source`] says: the rollups keep the source
//! columns' names (the counts tested as `> 0` kept as 0/1 flags), so every condition
//! below reads both; only a row count becomes a sum of `n`. Survey findings are one row
//! per region already and are read as they are on both paths.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use xk_contracts::pb::education::v1::{RegionCounts, StudentStatus as S};
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
    /// Guarantees and letter deadlines are judged on this day.
    pub as_of: NaiveDate,
    /// Letters sent before this day without reply or proof are overdue (as_of minus the
    /// policy's reply days).
    pub overdue_before: NaiveDate,
    /// The survey whose findings are counted, if any.
    pub survey_id: Option<String>,
}

/// Counts per region under the prefix, in code order, from `source` (the rows or the
/// rollups, all figures from the one); empty regions are absent.
pub async fn summarize<C: ConnectionTrait>(
    conn: &C,
    source: Source,
    q: &SummaryQuery,
) -> Result<Vec<RegionCounts>, ApiError> {
    let ph = |n| placeholder(conn.get_database_backend(), n);
    // The rows one row stands for: 1 in the table, `n` in its rollup.
    let one = source.count();
    // A stored guarantee holds at as_of unless it lapsed (deferral expired, school year of
    // the last home-teaching visit over).
    let eff = format!(
        "(guaranteed AND (guaranteed_until IS NULL OR guaranteed_until >= {}))",
        ph(3)
    );
    let not_eff = format!("NOT {eff}");
    let st = |s: S| sum_when(&format!("status = {}", s as i32), one);
    let outside = format!(
        "status IN ({}, {}) AND letters_sent > 0",
        S::OutsideCounty as i32,
        S::OutsideProvince as i32
    );
    let students = figures![RegionCounts;
        students = sum_of(one),
        guaranteed = sum_when(&eff, one),
        not_guaranteed = sum_when(&not_eff, one),
        not_guaranteed_without_case = sum_when(&format!("{not_eff} AND NOT open_case"), one),
        in_county = st(S::InCounty),
        outside_county = st(S::OutsideCounty),
        outside_province = st(S::OutsideProvince),
        special_school = st(S::SpecialSchool),
        inclusive_class = st(S::InclusiveClass),
        home_teaching = st(S::HomeTeaching),
        deferral = st(S::Deferral),
        exemption = st(S::Exemption),
        dropped_out = st(S::DroppedOut),
        never_enrolled = st(S::NeverEnrolled),
        open_cases = sum_when("open_case", one),
        outside_with_letter = sum_when(&outside, one),
        incoming_students = sum_when("incoming", one),
        incoming_with_subsidy = sum_when("incoming AND subsidy_count > 0", one),
        incoming_subsidy_fen = sum_when("incoming", "subsidy_total_fen"),
        students_with_subsidy = sum_when("subsidy_count > 0", one),
        subsidy_fen = sum_when("1 = 1", "subsidy_total_fen"),
    ];
    let sent = format!("sent_on <= {}", ph(3));
    let confirmed = format!(
        "{sent} AND (has_proof OR (reply_on IS NOT NULL AND reply_on <= {}))",
        ph(3)
    );
    let overdue = format!(
        "sent_on < {} AND NOT has_proof AND (reply_on IS NULL OR reply_on > {})",
        ph(4),
        ph(3)
    );
    let letters = figures![RegionCounts;
        letters_sent = sum_when(&sent, one),
        letters_confirmed = sum_when(&confirmed, one),
        letters_overdue = sum_when(&overdue, one),
    ];
    let mut queries = vec![
        GroupedCount::new(
            source.table("students_rollup", "students"),
            "village_code",
            students,
        )
        .bind(vec![q.as_of.into()]),
        GroupedCount::new(
            source.table("letters_rollup", "letters"),
            "village_code",
            letters,
        )
        .bind(vec![q.as_of.into(), q.overdue_before.into()]),
    ];
    if let Some(id) = &q.survey_id {
        let findings = figures![RegionCounts;
            survey_children_surveyed = sum_of("children_surveyed"),
            survey_unable_to_attend_physical = sum_of("unable_physical"),
            survey_placed_nearby = sum_of("placed_nearby"),
            survey_taught_at_home = sum_of("taught_at_home"),
        ];
        let of_survey = format!("survey_id = {}", ph(3));
        queries.push(
            GroupedCount::new("survey_findings", "region_code", findings)
                .filter(of_survey, vec![id.clone().into()]),
        );
    }
    let region: fn(&mut RegionCounts) -> &mut String = |c| &mut c.region_code;
    count_by_region(conn, (&q.prefix, q.group_len), region, queries).await
}

/// Adds up group counts into the total for the prefix.
pub fn total(prefix: &str, groups: &[RegionCounts]) -> RegionCounts {
    let add = sum_fields!(RegionCounts;
        students, guaranteed, not_guaranteed, not_guaranteed_without_case, in_county,
        outside_county, outside_province, special_school, inclusive_class, home_teaching,
        deferral, exemption, dropped_out, never_enrolled, open_cases, outside_with_letter,
        letters_sent, letters_confirmed, letters_overdue, incoming_students,
        incoming_with_subsidy, incoming_subsidy_fen, students_with_subsidy, subsidy_fen,
        survey_children_surveyed, survey_unable_to_attend_physical, survey_placed_nearby,
        survey_taught_at_home,
    );
    query::grouped::total(prefix, groups, |t| &mut t.region_code, add)
}

//! SummarizeByRegion in SQL: three GROUP BYs over covering indexes (students, letters,
//! survey findings), merged per region. Nothing is pulled row by row into memory.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};
use xk_contracts::pb::education::v1::{RegionCounts, StudentStatus as S};
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
    /// Guarantees and letter deadlines are judged on this day.
    pub as_of: NaiveDate,
    /// Letters sent before this day without reply or proof are overdue (as_of minus the
    /// policy's reply days).
    pub overdue_before: NaiveDate,
    /// The survey whose findings are counted, if any.
    pub survey_id: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct StudentRow {
    g: String,
    students: i64,
    guaranteed: i64,
    not_guaranteed: i64,
    not_guaranteed_without_case: i64,
    in_county: i64,
    outside_county: i64,
    outside_province: i64,
    special_school: i64,
    inclusive_class: i64,
    home_teaching: i64,
    deferral: i64,
    exemption: i64,
    dropped_out: i64,
    never_enrolled: i64,
    open_cases: i64,
    outside_with_letter: i64,
    incoming_students: i64,
    incoming_with_subsidy: i64,
    incoming_subsidy_fen: i64,
    students_with_subsidy: i64,
    subsidy_fen: i64,
}

#[derive(Debug, FromQueryResult)]
struct LetterRow {
    g: String,
    sent: i64,
    confirmed: i64,
    overdue: i64,
}

#[derive(Debug, FromQueryResult)]
struct SurveyRow {
    g: String,
    surveyed: i64,
    unable: i64,
    nearby: i64,
    at_home: i64,
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
    let g = format!("SUBSTR(village_code, 1, {})", q.group_len);
    // A stored guarantee holds at as_of unless it lapsed (deferral expired, school year of
    // the last home-teaching visit over).
    let eff = format!(
        "(guaranteed AND (guaranteed_until IS NULL OR guaranteed_until >= {}))",
        ph(3)
    );
    let not_eff = format!("NOT {eff}");
    let st = |s: S| format!("status = {}", s as i32);
    let outside = format!(
        "status IN ({}, {}) AND letters_sent > 0",
        S::OutsideCounty as i32,
        S::OutsideProvince as i32
    );
    let cols = [
        ("COUNT(*)".to_string(), "students"),
        (sum(&eff, "1"), "guaranteed"),
        (sum(&not_eff, "1"), "not_guaranteed"),
        (
            sum(&format!("{not_eff} AND NOT open_case"), "1"),
            "not_guaranteed_without_case",
        ),
        (sum(&st(S::InCounty), "1"), "in_county"),
        (sum(&st(S::OutsideCounty), "1"), "outside_county"),
        (sum(&st(S::OutsideProvince), "1"), "outside_province"),
        (sum(&st(S::SpecialSchool), "1"), "special_school"),
        (sum(&st(S::InclusiveClass), "1"), "inclusive_class"),
        (sum(&st(S::HomeTeaching), "1"), "home_teaching"),
        (sum(&st(S::Deferral), "1"), "deferral"),
        (sum(&st(S::Exemption), "1"), "exemption"),
        (sum(&st(S::DroppedOut), "1"), "dropped_out"),
        (sum(&st(S::NeverEnrolled), "1"), "never_enrolled"),
        (sum("open_case", "1"), "open_cases"),
        (sum(&outside, "1"), "outside_with_letter"),
        (sum("incoming", "1"), "incoming_students"),
        (
            sum("incoming AND subsidy_count > 0", "1"),
            "incoming_with_subsidy",
        ),
        (sum("incoming", "subsidy_total_fen"), "incoming_subsidy_fen"),
        (sum("subsidy_count > 0", "1"), "students_with_subsidy"),
        (sum("1 = 1", "subsidy_total_fen"), "subsidy_fen"),
    ];
    let select: Vec<String> = cols.iter().map(|(e, n)| format!("{e} AS {n}")).collect();
    let sql = format!(
        "SELECT {g} AS g, {} FROM students WHERE village_code >= {} AND village_code <= {} \
         GROUP BY {g} ORDER BY g",
        select.join(", "),
        ph(1),
        ph(2),
    );
    let values: Vec<Value> = vec![lo.clone().into(), hi.clone().into(), q.as_of.into()];
    let students =
        StudentRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(conn)
            .await?;

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
    let sql = format!(
        "SELECT {g} AS g, {} AS sent, {} AS confirmed, {} AS overdue FROM letters \
         WHERE village_code >= {} AND village_code <= {} GROUP BY {g} ORDER BY g",
        sum(&sent, "1"),
        sum(&confirmed, "1"),
        sum(&overdue, "1"),
        ph(1),
        ph(2),
    );
    let letters = LetterRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [
            lo.clone().into(),
            hi.clone().into(),
            q.as_of.into(),
            q.overdue_before.into(),
        ],
    ))
    .all(conn)
    .await?;

    let surveys = match &q.survey_id {
        None => Vec::new(),
        Some(id) => {
            let gs = format!("SUBSTR(region_code, 1, {})", q.group_len);
            let sql = format!(
                "SELECT {gs} AS g, CAST(SUM(children_surveyed) AS BIGINT) AS surveyed, \
                 CAST(SUM(unable_physical) AS BIGINT) AS unable, \
                 CAST(SUM(placed_nearby) AS BIGINT) AS nearby, \
                 CAST(SUM(taught_at_home) AS BIGINT) AS at_home FROM survey_findings \
                 WHERE survey_id = {} AND region_code >= {} AND region_code <= {} \
                 GROUP BY {gs} ORDER BY g",
                ph(1),
                ph(2),
                ph(3)
            );
            SurveyRow::find_by_statement(Statement::from_sql_and_values(
                backend,
                sql,
                [id.clone().into(), lo.into(), hi.into()],
            ))
            .all(conn)
            .await?
        }
    };

    let mut groups: BTreeMap<String, RegionCounts> = BTreeMap::new();
    fn entry<'a>(groups: &'a mut BTreeMap<String, RegionCounts>, g: &str) -> &'a mut RegionCounts {
        groups.entry(g.to_string()).or_insert_with(|| RegionCounts {
            region_code: g.to_string(),
            ..Default::default()
        })
    }
    for r in students {
        let c = entry(&mut groups, &r.g);
        c.students = r.students;
        c.guaranteed = r.guaranteed;
        c.not_guaranteed = r.not_guaranteed;
        c.not_guaranteed_without_case = r.not_guaranteed_without_case;
        c.in_county = r.in_county;
        c.outside_county = r.outside_county;
        c.outside_province = r.outside_province;
        c.special_school = r.special_school;
        c.inclusive_class = r.inclusive_class;
        c.home_teaching = r.home_teaching;
        c.deferral = r.deferral;
        c.exemption = r.exemption;
        c.dropped_out = r.dropped_out;
        c.never_enrolled = r.never_enrolled;
        c.open_cases = r.open_cases;
        c.outside_with_letter = r.outside_with_letter;
        c.incoming_students = r.incoming_students;
        c.incoming_with_subsidy = r.incoming_with_subsidy;
        c.incoming_subsidy_fen = r.incoming_subsidy_fen;
        c.students_with_subsidy = r.students_with_subsidy;
        c.subsidy_fen = r.subsidy_fen;
    }
    for r in letters {
        let c = entry(&mut groups, &r.g);
        c.letters_sent = r.sent;
        c.letters_confirmed = r.confirmed;
        c.letters_overdue = r.overdue;
    }
    for r in surveys {
        let c = entry(&mut groups, &r.g);
        c.survey_children_surveyed = r.surveyed;
        c.survey_unable_to_attend_physical = r.unable;
        c.survey_placed_nearby = r.nearby;
        c.survey_taught_at_home = r.at_home;
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
        t.students += g.students;
        t.guaranteed += g.guaranteed;
        t.not_guaranteed += g.not_guaranteed;
        t.not_guaranteed_without_case += g.not_guaranteed_without_case;
        t.in_county += g.in_county;
        t.outside_county += g.outside_county;
        t.outside_province += g.outside_province;
        t.special_school += g.special_school;
        t.inclusive_class += g.inclusive_class;
        t.home_teaching += g.home_teaching;
        t.deferral += g.deferral;
        t.exemption += g.exemption;
        t.dropped_out += g.dropped_out;
        t.never_enrolled += g.never_enrolled;
        t.open_cases += g.open_cases;
        t.outside_with_letter += g.outside_with_letter;
        t.letters_sent += g.letters_sent;
        t.letters_confirmed += g.letters_confirmed;
        t.letters_overdue += g.letters_overdue;
        t.incoming_students += g.incoming_students;
        t.incoming_with_subsidy += g.incoming_with_subsidy;
        t.incoming_subsidy_fen += g.incoming_subsidy_fen;
        t.students_with_subsidy += g.students_with_subsidy;
        t.subsidy_fen += g.subsidy_fen;
        t.survey_children_surveyed += g.survey_children_surveyed;
        t.survey_unable_to_attend_physical += g.survey_unable_to_attend_physical;
        t.survey_placed_nearby += g.survey_placed_nearby;
        t.survey_taught_at_home += g.survey_taught_at_home;
    }
    t
}

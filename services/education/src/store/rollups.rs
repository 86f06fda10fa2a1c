//! The education service's per-village running totals (issue 16): what SummarizeByRegion
//! reads instead of every student and letter when its dates are on or after the floor.
//!
//! | rollup | source | serves |
//! |---|---|---|
//! | `students_rollup` | `students` | every student figure: the count, guaranteed / not guaranteed (with and without a case), each status, open cases, outside with a letter, incoming (with a subsidy, their fen), students with a subsidy, subsidy fen |
//! | `letters_rollup` | `letters` | letters sent, confirmed and overdue at `as_of` |
//!
//! `survey_findings` is already one row per region and survey, so both paths read it as
//! it is.
//!
//! Why each key: a key is every column the summary's conditions in [`super::summary`]
//! test, under the same name, so one figure list serves the rows and the rollups.
//! - students: `status` (the status figures, outside with a letter), `guaranteed` and
//!   `guaranteed_until` (the guarantee in effect at `as_of`; `guaranteed_until` is a
//!   folded date key because it is compared with `as_of`, and it is set only on guaranteed
//!   students, so it adds rows only for deferrals and home teaching), `open_case`,
//!   `incoming`; `letters_sent` and `subsidy_count` are tested only as `> 0`, so they are
//!   kept as 0/1 flags under their own names (`flag > 0` is true exactly when the count's
//!   is): keeping the counts themselves would split villages by every count. The one
//!   summed column is `subsidy_total_fen`.
//! - letters: `has_proof`, and `sent_on` and `reply_on`, folded date keys because they are
//!   compared with `as_of` and with `overdue_before`. Letters sent or answered on or after
//!   the floor keep one row per day, so this rollup compresses only as days fall behind
//!   the floor (a rebuild moves it); letters are few per village.
//!
//! Scope: the village code alone (the unit the summary groups by).

use chrono::NaiveDate;
use sea_orm::DbBackend;
use xk_runtime::rollup::Rollup;

/// `column > 0` as a 0/1 flag kept under the column's own name.
fn positive(column: &str) -> String {
    format!("CASE WHEN {column} > 0 THEN 1 ELSE 0 END")
}

/// The rollups of SummarizeByRegion, dates before `floor` folded, in `backend`'s SQL.
pub fn definitions(floor: NaiveDate, backend: DbBackend) -> Vec<Rollup> {
    vec![
        Rollup::new("students_rollup", "students", &["village_code"])
            .keys(&["status", "guaranteed"])
            .date_key("guaranteed_until", floor, backend)
            .keys(&["open_case", "incoming"])
            .key_as("letters_sent", positive("letters_sent"))
            .key_as("subsidy_count", positive("subsidy_count"))
            .sum("subsidy_total_fen"),
        Rollup::new("letters_rollup", "letters", &["village_code"])
            .key("has_proof")
            .date_key("sent_on", floor, backend)
            .date_key("reply_on", floor, backend),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tested_as_positive_are_kept_as_flags_under_their_names() {
        let floor: NaiveDate = "2026-10-01".parse().unwrap();
        let defs = definitions(floor, DbBackend::Sqlite);
        let students = &defs[0];
        assert_eq!(students.scope, ["village_code"]);
        let key = |name: &str| {
            students
                .keys
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, e)| e.clone())
        };
        assert_eq!(
            key("letters_sent").as_deref(),
            Some("CASE WHEN letters_sent > 0 THEN 1 ELSE 0 END")
        );
        assert_eq!(
            key("subsidy_count").as_deref(),
            Some("CASE WHEN subsidy_count > 0 THEN 1 ELSE 0 END")
        );
        assert_eq!(key("status").as_deref(), Some("status"));
        // The guarantee's last day folds below the floor, in each backend's literal.
        let until = key("guaranteed_until").unwrap();
        assert!(until.contains("'2026-09-30'"), "{until}");
        let pg = definitions(floor, DbBackend::Postgres);
        let letters = &pg[1];
        let sent = &letters
            .keys
            .iter()
            .find(|(n, _)| *n == "sent_on")
            .unwrap()
            .1;
        assert!(sent.contains("DATE '2026-09-30'"), "{sent}");
        assert_eq!(
            students.measures,
            [("subsidy_total_fen", "subsidy_total_fen".to_string())]
        );
    }
}

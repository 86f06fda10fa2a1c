//! The registry's per-village running totals (issue 16): what SummarizeByRegion reads for a
//! recent date instead of every household and person ([`crate::store::summary`] holds the
//! figures; this module only says what to keep).
//!
//! - `households_rollup` (households by village): every household figure — archive, poor,
//!   exited, identified / exited in the year, open monitoring by category, alerts — as `n`
//!   households and the sum of `people`. Keys, one per column the figures' conditions test:
//!   `status`, `identified_year` and `exited_year` (the year asked for is a request value,
//!   so the years stay keys), `monitoring_stage` and `monitoring_category`, and
//!   `monitoring_identified_on`, the one date compared with the request (the alert cutoff).
//!   That date is folded at the floor ([`Rollup::date_key`]) and kept only where the alert
//!   condition reads it (stage Identified); elsewhere it is NULL, so closed and helped cases
//!   do not split a village's totals by day.
//! - `members_rollup` (members by village): the baseline cohort's people and the removed
//!   among them. Keys `registered_year` (the summary filters by the cohort year asked for)
//!   and `removed`.
//!
//! Scopes are the village code alone (the unit the summary groups by). The `villages` table is one row per village already and is read directly on both paths.

use chrono::NaiveDate;
use sea_orm::DbBackend;
use xk_contracts::pb::registry::v1::MonitoringStage;
use xk_runtime::rollup::Rollup;

/// The rollups of the registry's summary, with date keys folded before `floor`.
pub fn definitions(floor: NaiveDate, backend: DbBackend) -> Vec<Rollup> {
    let households = Rollup::new("households_rollup", "households", &["village_code"])
        .keys(&[
            "status",
            "identified_year",
            "exited_year",
            "monitoring_stage",
            "monitoring_category",
        ])
        // The alert condition tests the date only at stage Identified: NULL elsewhere.
        .date_key_when(
            "monitoring_identified_on",
            &format!("monitoring_stage = {}", MonitoringStage::Identified as i32),
            floor,
            backend,
        )
        .sum("people");
    let members = Rollup::new("members_rollup", "members", &["village_code"])
        .keys(&["registered_year", "removed"]);
    vec![households, members]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floor() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
    }

    #[test]
    fn the_alert_date_is_kept_only_at_stage_identified_and_folded_at_the_floor() {
        let defs = definitions(floor(), DbBackend::Postgres);
        let households = &defs[0];
        let (name, expr) = households.keys.last().unwrap();
        assert_eq!(*name, "monitoring_identified_on");
        assert!(
            expr.starts_with("CASE WHEN monitoring_stage = 1 THEN CASE WHEN"),
            "{expr}"
        );
        assert!(expr.contains("DATE '2026-10-01'"), "{expr}");
        assert!(expr.contains("DATE '2026-09-30'"), "{expr}");
        let sqlite = definitions(floor(), DbBackend::Sqlite);
        assert!(sqlite[0].keys.last().unwrap().1.contains("'2026-09-30'"));
        assert!(!sqlite[0].keys.last().unwrap().1.contains("DATE '"));
    }

    #[test]
    fn each_figure_column_is_a_key_or_a_measure() {
        let defs = definitions(floor(), DbBackend::Sqlite);
        let names = |r: &Rollup| -> Vec<&str> { r.keys.iter().map(|(n, _)| *n).collect() };
        assert_eq!(defs[0].table, "households_rollup");
        assert_eq!(defs[0].scope, ["village_code"]);
        assert_eq!(
            names(&defs[0]),
            [
                "status",
                "identified_year",
                "exited_year",
                "monitoring_stage",
                "monitoring_category",
                "monitoring_identified_on"
            ]
        );
        assert_eq!(defs[0].measures, [("people", "people".to_string())]);
        assert_eq!(defs[1].table, "members_rollup");
        assert_eq!(names(&defs[1]), ["registered_year", "removed"]);
        assert!(defs[1].measures.is_empty());
    }

    #[test]
    fn a_later_floor_is_a_different_definition() {
        let later = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_ne!(
            definitions(floor(), DbBackend::Sqlite),
            definitions(later, DbBackend::Sqlite)
        );
    }
}

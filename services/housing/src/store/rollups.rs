//! The housing service's per-village running totals (issue 16): SummarizeByRegion reads
//! `relocations_rollup` and `appraisals_rollup` instead of `relocations` and `appraisals`
//! whenever rollups are kept.
//!
//! - `relocations_rollup`, scoped by `origin_village_code` (the village the summary groups
//!   relocations by). Its keys are the derived flags the relocation figures test: `moved_in` (moved-in
//!   households and people), `demolition_required` and `demolished` (the demolition
//!   counts), `has_support`, `has_labour` and `employment_ok` (support, labour and
//!   employment counts; employment tests `has_labour AND employment_ok`, both keys). Its
//!   measures are `members` (relocated and moved-in people) and `reclaimed_centi_mu`.
//! - `appraisals_rollup`, scoped by `village_code`; keys `grade` (the A–D counts) and `dangerous_open`
//!   (dangerous houses not renovated); no measure.
//!
//! No figure compares a date with the request (the summary is of the records as they
//! stand), so there is no date key and the floor does not change the definitions.

use chrono::NaiveDate;
use sea_orm::DbBackend;
use xk_runtime::rollup::Rollup;

/// The rollup table over `relocations`.
pub const RELOCATIONS_ROLLUP: &str = "relocations_rollup";

/// The rollup table over `appraisals`.
pub const APPRAISALS_ROLLUP: &str = "appraisals_rollup";

/// The housing service's rollups. `floor` and `backend` are the runtime's usual
/// arguments; neither changes these definitions, as no key is a date.
pub fn definitions(_floor: NaiveDate, _backend: DbBackend) -> Vec<Rollup> {
    vec![
        Rollup::new(RELOCATIONS_ROLLUP, "relocations", &["origin_village_code"])
            .keys(&[
                "moved_in",
                "demolition_required",
                "demolished",
                "has_support",
                "has_labour",
                "employment_ok",
            ])
            .sum("members")
            .sum("reclaimed_centi_mu"),
        Rollup::new(APPRAISALS_ROLLUP, "appraisals", &["village_code"])
            .keys(&["grade", "dangerous_open"]),
    ]
}

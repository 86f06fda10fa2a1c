//! The housing service's tables.

xk_runtime::entities! {
    /// `sites`: resettlement sites.
    pub mod site = "sites" {
        key {
            /// Site id, chosen by the office; the key clients use.
            pub site_id: String,
        }
        /// Name, shown to people.
        pub name: String,
        /// 12-digit village code of the site; region prefixes select on it.
        pub village_code: String,
        /// `SiteType` number; copied onto each relocation row for the move-in rule.
        pub site_type: i32,
        /// Optimistic-concurrency version; the etag.
        pub version: i64,
        /// Last write, for operators.
        pub updated_at: DateTimeUtc,
    }

    /// `relocations`: one row per relocated household. `doc` is the `Relocation` record reads
    /// return; every other column is derived from it in the same transaction as each change,
    /// so summaries and exception lists are SQL over indexes, never rows pulled into memory.
    pub mod relocation = "relocations" + versioned {
        key {
            /// The registry's household id.
            pub household_id: String,
        }
        /// Origin village code; the summary groups by it.
        pub origin_village_code: String,
        /// The resettlement site (a site referenced here cannot be deleted).
        pub site_id: String,
        /// `SiteType` number of the site; decides the move-in rule.
        pub site_type: i32,
        /// Relocation batch year; selects the policy year.
        pub batch_year: i32,
        /// Members at relocation; summed as relocated people.
        pub members: i32,
        /// Whether the household counts as moved in (by its site type's rule).
        pub moved_in: bool,
        /// The day it counts as moved in; "not moved in as of" compares against it.
        pub moved_in_on: Option<Date>,
        /// Whether demolition is required (not exempt).
        pub demolition_required: bool,
        /// Whether the old house is demolished.
        pub demolished: bool,
        /// Last day the old house may stand (moved in + grace months), while it stands.
        pub demolition_due: Option<Date>,
        /// Reclaimed area counted toward the total (0 until the reclamation is accepted), 0.01 mu.
        pub reclaimed_centi_mu: i64,
        /// Whether at least one follow-up support measure is recorded.
        pub has_support: bool,
        /// Whether the household has labour (the employment rule applies).
        pub has_labour: bool,
        /// Whether the employment rule holds (labour implies someone employed).
        pub employment_ok: bool,
        /// Over the area red line of its policy year without a reason.
        pub over_area_no_reason: bool,
    }

    /// `appraisals`: the latest house-safety appraisal per household not relocated.
    pub mod appraisal = "appraisals" {
        key {
            /// The registry's household id.
            pub household_id: String,
        }
        /// The household's village code; the summary groups by it.
        pub village_code: String,
        /// `Grade` number.
        pub grade: i32,
        /// Day of the appraisal; a renovation cannot complete before it.
        pub appraised_on: Date,
        /// Who appraised, so the verdict can be traced.
        pub appraiser: String,
        /// Day the renovation was completed, if it was.
        pub renovation_completed_on: Option<Date>,
        /// Derived: graded C or D and not renovated (the exception the summary counts).
        pub dangerous_open: bool,
        /// Last write, for operators.
        pub updated_at: DateTimeUtc,
    }
}

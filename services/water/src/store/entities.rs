//! The water service's tables.

xk_runtime::entities! {
    /// `schemes`: centralized supply schemes. `doc` is the `Scheme` message reads return.
    pub mod scheme = "schemes" + versioned {
        key {
            /// Scheme id (the bureau's project number).
            pub scheme_id: String,
        }
    }

    /// `scheme_villages`: which villages a scheme serves, so ListSchemes can filter by region
    /// prefix with an index range scan.
    pub mod scheme_village = "scheme_villages" {
        key {
            /// The scheme.
            pub scheme_id: String,
            /// A village it serves.
            pub village_code: String,
        }
    }

    /// `assessments`: every assessment ever recorded (the history), keyed by household and
    /// its position on the household's history.
    pub mod assessment = "assessments" {
        key {
            /// The household.
            pub household_id: String,
            /// Position on the household's history, from 1 (arrival order).
            pub seq: i64,
        }
        /// 12-digit village code at the time of the assessment.
        pub village_code: String,
        /// Household size stated by the assessment.
        pub people: i32,
        /// Assessment date (orders the history; the latest is current).
        pub assessed_on: Date,
        /// A seasonal-shortage check.
        pub seasonal_check: bool,
        /// The centralized scheme, if any (DeleteScheme refuses a referenced scheme).
        pub scheme_id: Option<String>,
        /// Verdict score (2 安全, 1 基本安全, 0 不安全).
        pub verdict: i32,
        /// Policy year that graded it.
        pub policy_year: i32,
        /// The encoded `Assessment` record, grading included.
        pub doc: Vec<u8>,
        /// When it was written (UTC).
        pub recorded_at: DateTimeUtc,
        /// Litres per person per day; NULL when not measured (as for every measurement
        /// below), so SQL can find assessments to complete without decoding `doc`.
        pub litres_per_person_day: Option<i64>,
        /// Fetch round trip in minutes.
        pub fetch_round_trip_minutes: Option<i64>,
        /// Horizontal distance to the source in metres.
        pub horizontal_distance_m: Option<i64>,
        /// Vertical distance to the source in metres.
        pub vertical_distance_m: Option<i64>,
        /// Outage days in the 12 months before the assessment.
        pub outage_days_last_12_months: Option<i64>,
    }

    /// `water_current`: one row per assessed household, its current status (the latest
    /// assessment by date, then seq) and its latest seasonal check, replaced in the same
    /// transaction as the assessment that changes it. Summaries and exception lists read only
    /// this table, over covering indexes.
    pub mod current = "water_current" {
        key {
            /// The household.
            pub household_id: String,
        }
        /// Village of the current assessment (region prefixes select on it).
        pub village_code: String,
        /// Household size of the current assessment.
        pub people: i32,
        /// Highest seq assigned to the household (the next assessment gets one more).
        pub last_seq: i64,
        /// Seq of the current assessment.
        pub seq: i64,
        /// Its date.
        pub assessed_on: Date,
        /// Its verdict score.
        pub verdict: i32,
        /// Its quantity score.
        pub quantity: i32,
        /// Its quality score.
        pub quality: i32,
        /// Its convenience score.
        pub convenience: i32,
        /// Its supply-guarantee score.
        pub supply_guarantee: i32,
        /// Whether the household has had any seasonal check.
        pub seasonal_checked: bool,
        /// Seq of the latest seasonal check, if any.
        pub seasonal_seq: Option<i64>,
        /// Date of the latest seasonal check, if any.
        pub seasonal_on: Option<Date>,
        /// Whether the latest seasonal check found a shortage.
        pub seasonal_shortage: bool,
    }

    /// `village_areas`: the area type the bureau configured for a village; assessments of its
    /// households are graded by it.
    pub mod village_area = "village_areas" {
        key {
            /// 12-digit village code.
            pub village_code: String,
        }
        /// `AreaType` number (WATER_RICH or WATER_SHORT).
        pub area: i32,
        /// Last write.
        pub updated_at: DateTimeUtc,
    }
}

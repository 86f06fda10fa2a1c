//! The registry's tables.

xk_runtime::entities! {
    /// `households`: one row per household. `doc` is the household record (the encoded
    /// `Household` message) that reads return; the other columns are derived from it in the
    /// same transaction so summaries are SQL GROUP BYs over a covering index.
    pub mod household = "households" + versioned {
        key {
            /// Archive card number.
            pub household_id: String,
        }
        /// 12-digit village code (prefix ranges select a county, township, village).
        pub village_code: String,
        /// `ArchiveStatus` number.
        pub status: i32,
        /// Year identified.
        pub identified_year: i32,
        /// Year exited; 0 if not.
        pub exited_year: i32,
        /// Current (not removed) members.
        pub people: i32,
        /// `MonitoringCategory` number; 0 if never monitored.
        pub monitoring_category: i32,
        /// `MonitoringStage` number; 0 if never monitored.
        pub monitoring_stage: i32,
        /// When the monitoring case was identified (alerts).
        pub monitoring_identified_on: Option<Date>,
    }

    /// `members`: one row per person ever in the archive, for resident-id uniqueness, lookup
    /// by resident id and baseline-cohort counts. Names stay in the household record only.
    pub mod member = "members" {
        key {
            /// Resident id (unique across the archive).
            pub resident_id: String,
        }
        /// The household.
        pub household_id: String,
        /// The household's village (copied for region counts).
        pub village_code: String,
        /// Year the person entered the archive.
        pub registered_year: i32,
        /// Whether the person was removed.
        pub removed: bool,
    }

    /// `villages`: villages and communities with their collective income.
    pub mod village = "villages" {
        key {
            /// 12-digit code.
            pub village_code: String,
        }
        /// Name.
        pub name: String,
        /// Community (社区, codes 001-199) rather than village (村).
        pub is_community: bool,
        /// Registered poor village.
        pub poor_village: bool,
        /// Collective operating income of `collective_income_year`, fen.
        pub collective_income_fen: i64,
        /// The year of that income.
        pub collective_income_year: i32,
        /// Last write.
        pub updated_at: DateTimeUtc,
    }
}

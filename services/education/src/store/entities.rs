//! The education service's tables. Derived columns (status, guaranteed, counters) are
//! written in the same transaction as the change that affects them, so summaries are SQL
//! GROUP BYs over covering indexes.

xk_runtime::entities! {
    /// `students`: one row per compulsory-age student. `doc` is the `Student` record reads
    /// return.
    pub mod student = "students" + versioned {
        key {
            /// Resident id: the key every other service uses for the child.
            pub resident_id: String,
        }
        /// Household archive card number, to join with the registry by id.
        pub household_id: String,
        /// 12-digit village code: prefix ranges select a county, township or village.
        pub village_code: String,
        /// `StudentStatus` number, counted by the summary.
        pub status: i32,
        /// Grade (0 = none), for stage-dependent subsidies.
        pub grade: i32,
        /// Incoming registered-poor student from another county, counted separately.
        pub incoming: bool,
        /// The guarantee computed at the last change (see `guaranteed_until`).
        pub guaranteed: bool,
        /// Last day a time-limited guarantee holds (deferral expiry, end of the school year
        /// of the last home-teaching visit); `None` when it does not lapse by itself.
        pub guaranteed_until: Option<Date>,
        /// Whether a return-to-school case is open (exceptions skip children with one).
        pub open_case: bool,
        /// Letters sent about the student (outside-county students need one).
        pub letters_sent: i32,
        /// Subsidy payments recorded.
        pub subsidy_count: i32,
        /// Their total in fen.
        pub subsidy_total_fen: i64,
        /// Day the current status was recorded (home-teaching shortfalls).
        pub status_since: Date,
    }

    /// `letters`: notification letters (协查函).
    pub mod letter = "letters" {
        key {
            /// Letter number (函号), unique, so replies can be matched.
            pub number: String,
        }
        /// The student it is about.
        pub resident_id: String,
        /// The student's village (copied for region counts).
        pub village_code: String,
        /// Day sent; the reply deadline counts from here.
        pub sent_on: Date,
        /// Receiving school or bureau, for follow-ups.
        pub recipient: String,
        /// Day the reply arrived.
        pub reply_on: Option<Date>,
        /// Reference of other proof of enrolment.
        pub proof_ref: Option<String>,
        /// Whether `proof_ref` is set (kept as a column so summaries stay covered).
        pub has_proof: bool,
    }

    /// `visits`: home-teaching visits (送教上门).
    pub mod visit = "visits" {
        /// Order of recording.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The student.
        pub resident_id: String,
        /// Day of the visit.
        pub visit_date: Date,
        /// Calendar year the visit's school year starts in, for yearly totals.
        pub school_year: i32,
        /// Teacher who visited.
        pub teacher: String,
        /// Class hours.
        pub hours: i64,
    }

    /// `subsidies`: subsidy payments.
    pub mod subsidy = "subsidies" {
        /// Order of recording.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The student.
        pub resident_id: String,
        /// `SubsidyProgramme` number.
        pub programme: i32,
        /// Amount in fen.
        pub amount_fen: i64,
        /// Day of payment.
        pub paid_on: Date,
        /// School days paid for (nutrition).
        pub days: i64,
        /// School year the payment counts towards (its starting calendar year); `None` on
        /// rows written before payments carried one, whose school year is that of `paid_on`.
        pub school_year: Option<i32>,
    }

    /// `cases`: return-to-school cases (劝返).
    pub mod case = "cases" {
        key {
            /// Case id assigned by the service.
            pub case_id: String,
        }
        /// The student.
        pub resident_id: String,
        /// Whether the case is open (one open case per student).
        pub open: bool,
        /// Day it was opened, for ordering.
        pub opened_on: Date,
        /// The encoded `ReturnCase` record.
        pub doc: Vec<u8>,
    }

    /// `surveys`: survey campaigns (大排查).
    pub mod survey = "surveys" {
        key {
            /// Survey id chosen by the bureau.
            pub survey_id: String,
        }
        /// Campaign name.
        pub name: String,
        /// Day it concluded; the latest survey is the default of the summary.
        pub conducted_on: Date,
    }

    /// `survey_findings`: a survey's figures per village.
    pub mod survey_finding = "survey_findings" {
        key {
            /// The survey.
            pub survey_id: String,
            /// 12-digit village code.
            pub region_code: String,
        }
        /// Children surveyed.
        pub children_surveyed: i64,
        /// Unable to attend for physical reasons.
        pub unable_physical: i64,
        /// Of those, placed in nearby schools.
        pub placed_nearby: i64,
        /// Of those, taught at home.
        pub taught_at_home: i64,
    }
}

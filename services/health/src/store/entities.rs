//! The health service's tables.

use crate::domain::settlement::with_split_fields;

// The columns are the domain's split fields, declared there once.
with_split_fields! { xk_runtime::column_group {
    /// How a settlement's cost is split, in fen: a case row's own split (negated in a
    /// reversal), a person-year's net sums over its cases.
    settlement_split
} }

xk_runtime::entities! {
    /// `enrolments`: one row per person per coverage year. The primary key is what makes a
    /// second enrolment of the same person for the same year impossible (ALREADY_EXISTS).
    pub mod enrolment = "enrolments" {
        key {
            /// The insured person's resident id (first half of the key).
            pub resident_id: String,
            /// The coverage year (second half of the key): enrolment is per year.
            pub coverage_year: i32,
        }
        /// The person's household, so the aggregator can join by identifier.
        pub household_id: String,
        /// 12-digit village code: summaries group by its prefixes.
        pub village_code: String,
        /// The year the premium was collected, kept apart from the coverage year.
        pub collection_year: i32,
        /// `Scheme` number.
        pub scheme: i32,
        /// Registered poor at enrolment: the poor's premium subsidy and settlement terms.
        pub registered_poor: bool,
        /// The individual premium, fen (from the year's policy).
        pub premium_fen: i64,
        /// Part of the premium paid by the government, fen.
        pub government_paid_fen: i64,
        /// Part of the premium paid by the person, fen.
        pub personal_paid_fen: i64,
        /// `PremiumPayer` number (derived from the split, stored for reads).
        pub payer: i32,
        /// When it was written.
        pub created_at: DateTimeUtc,
    }

    /// `person_years`: one row per enrolment holding the year-to-date settlement state and
    /// totals. Created with the enrolment (so there is always a row to lock), updated in the
    /// same transaction as every settlement and reversal of that person-year. Its row lock
    /// (PostgreSQL) serialises concurrent settlements of one person.
    pub mod person_year = "person_years" + settlement_split {
        key {
            /// The person.
            pub resident_id: String,
            /// The coverage year.
            pub coverage_year: i32,
        }
        /// The person's village (copied from the enrolment for region summaries).
        pub village_code: String,
        /// Registered poor in this year (copied from the enrolment; the case's terms).
        pub registered_poor: bool,
        /// `YearToDate::basic_deductible_used_fen`.
        pub basic_deductible_used_fen: i64,
        /// `YearToDate::serious_burden_fen`.
        pub serious_burden_fen: i64,
        /// `YearToDate::assistance_paid_fen`.
        pub assistance_paid_fen: i64,
        /// `YearToDate::in_county_personal_fen`.
        pub in_county_personal_fen: i64,
        /// Live settlements (settlements minus reversals).
        pub cases: i64,
        /// Net total cost of the cases, fen.
        pub total_fen: i64,
    }

    /// `institutions`: the designated institutions.
    pub mod institution = "institutions" {
        key {
            /// The institution's code.
            pub code: String,
        }
        /// Its name.
        pub name: String,
        /// `InstitutionLevel` number.
        pub level: i32,
        /// In the county.
        pub in_county: bool,
        /// One-stop settlement.
        pub one_stop: bool,
        /// Treat first, pay later.
        pub treat_first_pay_later: bool,
        /// Last write.
        pub updated_at: DateTimeUtc,
    }

    /// `cases`: every settlement and every reversal, append-only. A reversal is a row with
    /// every amount negated and `reverses_id` set; nothing is ever updated, so sums over the
    /// table are the net figures and the history stays auditable.
    pub mod case = "cases" + settlement_split {
        /// The case id: increasing, the order of settlement.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `CaseKind` number.
        pub kind: i32,
        /// For a reversal, the id of the settlement it reverses; else 0.
        pub reverses_id: i64,
        /// The patient.
        pub resident_id: String,
        /// The coverage year it counts in.
        pub coverage_year: i32,
        /// The patient's village (from the enrolment), for region filters.
        pub village_code: String,
        /// The treating institution.
        pub institution_code: String,
        /// `InstitutionLevel` number when settled (the institution may change later).
        pub institution_level: i32,
        /// In county when settled.
        pub in_county: bool,
        /// One-stop when settled (ListExceptions reads it).
        pub one_stop: bool,
        /// Admission date.
        pub admission_date: Date,
        /// Discharge date.
        pub discharge_date: Date,
        /// Chronic outpatient care.
        pub chronic_outpatient: bool,
        /// Settled on the poor's terms.
        pub registered_poor: bool,
        /// Whole cost, fen (negated in a reversal).
        pub total_fen: i64,
        /// Out-of-policy part, fen (negated in a reversal).
        pub out_of_policy_fen: i64,
        /// What it added to `basic_deductible_used_fen` (makes reversal exact).
        pub d_basic_deductible_used_fen: i64,
        /// What it added to `serious_burden_fen`.
        pub d_serious_burden_fen: i64,
        /// What it added to `assistance_paid_fen`.
        pub d_assistance_paid_fen: i64,
        /// What it added to `in_county_personal_fen`.
        pub d_in_county_personal_fen: i64,
        /// The institution's bill number (a reversal copies its settlement's).
        pub bill_number: String,
        /// Which settlement of the bill this is: 1, then one more for each settlement
        /// after a reversal (a reversal copies its settlement's). Part of the unique
        /// bill index, so a bill has one settlement per number.
        pub bill_settlement: i32,
        /// When it was written.
        pub created_at: DateTimeUtc,
    }
}

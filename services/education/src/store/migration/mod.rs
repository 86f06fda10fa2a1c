//! The education service's migrations, oldest first. The runtime's own tables come first.

mod m20261201_000001_education_tables;
mod m20261206_000010_subsidy_school_year;
mod m20261206_000020_schooling_expenses;

xk_runtime::migrator!(
    /// The education service's migrator.
    Migrator: m20261201_000001_education_tables::Migration,
    m20261206_000010_subsidy_school_year::Migration,
    m20261206_000020_schooling_expenses::Migration,
);

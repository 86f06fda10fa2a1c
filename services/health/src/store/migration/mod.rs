//! The health service's migrations, oldest first. The runtime's own tables come first.

mod m20261201_000001_health_tables;
mod m20261206_000001_case_bills;

xk_runtime::migrator!(
    /// The health service's migrator.
    Migrator: m20261201_000001_health_tables::Migration,
    m20261206_000001_case_bills::Migration,
);

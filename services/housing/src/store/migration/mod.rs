//! The housing service's migrations, oldest first. The runtime's own tables come first.

mod m20261201_000001_housing_tables;

xk_runtime::migrator!(
    /// The housing service's migrator.
    Migrator: m20261201_000001_housing_tables::Migration,
);

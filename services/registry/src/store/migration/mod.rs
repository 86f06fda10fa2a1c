//! The registry's migrations, oldest first. The runtime's own tables come first.

mod m20261129_000001_registry_tables;
mod m20261206_000020_disaster_expenses;
mod m20261207_000001_households_village_order;

xk_runtime::migrator!(
    /// The registry's migrator.
    Migrator: m20261129_000001_registry_tables::Migration,
    m20261206_000020_disaster_expenses::Migration,
    m20261207_000001_households_village_order::Migration,
);

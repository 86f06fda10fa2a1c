//! The registry's migrations, oldest first. The runtime's own tables come first.

use sea_orm_migration::prelude::*;

mod m20261129_000001_registry_tables;
mod m20261206_000020_disaster_expenses;

/// The registry's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(xk_runtime::migration::RuntimeTables),
            Box::new(m20261129_000001_registry_tables::Migration),
            Box::new(m20261206_000020_disaster_expenses::Migration),
        ]
    }
}

//! The aggregator's migrations, oldest first. The runtime's own tables come first.

use sea_orm_migration::prelude::*;

mod m20261202_000001_snapshots;

/// The aggregator's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(xk_runtime::migration::RuntimeTables),
            Box::new(m20261202_000001_snapshots::Migration),
        ]
    }
}

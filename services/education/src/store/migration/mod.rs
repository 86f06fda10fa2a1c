//! The education service's migrations, oldest first. The runtime's own tables come first.

use sea_orm_migration::prelude::*;

mod m20261201_000001_education_tables;
mod m20261206_000010_subsidy_school_year;
mod m20261206_000020_schooling_expenses;

/// The education service's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(xk_runtime::migration::RuntimeTables),
            Box::new(m20261201_000001_education_tables::Migration),
            Box::new(m20261206_000010_subsidy_school_year::Migration),
            Box::new(m20261206_000020_schooling_expenses::Migration),
        ]
    }
}

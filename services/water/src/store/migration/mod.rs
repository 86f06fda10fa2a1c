//! The water service's migrations, oldest first. The runtime's own tables come first.

use sea_orm_migration::prelude::*;

mod m20261201_000001_water_tables;
mod m20261201_000002_village_areas;
mod m20261206_000003_assessment_measurements;

/// The water service's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(xk_runtime::migration::RuntimeTables),
            Box::new(m20261201_000001_water_tables::Migration),
            Box::new(m20261201_000002_village_areas::Migration),
            Box::new(m20261206_000003_assessment_measurements::Migration),
        ]
    }
}

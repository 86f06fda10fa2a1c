//! The water service's migrations, oldest first. The runtime's own tables come first.

mod m20261201_000001_water_tables;
mod m20261201_000002_village_areas;
mod m20261206_000003_assessment_measurements;

xk_runtime::migrator!(
    /// The water service's migrator.
    Migrator: m20261201_000001_water_tables::Migration,
    m20261201_000002_village_areas::Migration,
    m20261206_000003_assessment_measurements::Migration,
);

//! The water bureau's per-village area configuration (water-rich or water-short).

use sea_orm_migration::prelude::*;
use xk_runtime::migration::Schema;

/// Creates `village_areas`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VillageAreas {
    Table,
    VillageCode,
    Area,
    UpdatedAt,
}

xk_runtime::schema_migration!(Migration, schema);

/// The one table.
fn schema() -> Schema {
    Schema::new()
        .table(VillageAreas::Table)
        .key(VillageAreas::VillageCode)
        .region_code(VillageAreas::VillageCode)
        .integer(VillageAreas::Area)
        .written_at(VillageAreas::UpdatedAt)
}

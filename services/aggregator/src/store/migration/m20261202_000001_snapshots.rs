//! The monthly snapshots table.

use sea_orm_migration::prelude::*;
use xk_runtime::migration::Schema;

/// Creates `snapshots`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Snapshots {
    Table,
    SnapshotId,
    Month,
    RegionPrefix,
    Summary,
    TakenBy,
    TakenAt,
}

xk_runtime::schema_migration!(Migration, schema);

/// The one table.
fn schema() -> Schema {
    Schema::new()
        .table(Snapshots::Table)
        .key(Snapshots::SnapshotId)
        .code(Snapshots::SnapshotId)
        .month(Snapshots::Month)
        .region_code(Snapshots::RegionPrefix)
        .doc(Snapshots::Summary)
        .principal(Snapshots::TakenBy)
        .written_at(Snapshots::TakenAt)
}

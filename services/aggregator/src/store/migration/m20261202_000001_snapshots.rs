//! The monthly snapshots table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Snapshots::Table)
                .if_not_exists()
                .col(string_len(Snapshots::SnapshotId, 32).primary_key())
                .col(string_len(Snapshots::Month, 7))
                .col(string_len(Snapshots::RegionPrefix, 12))
                .col(blob(Snapshots::Summary))
                .col(string_len(Snapshots::TakenBy, 32))
                .col(timestamp_with_time_zone(Snapshots::TakenAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        xk_runtime::migration::drop_tables(m, [Snapshots::Table.into_iden()]).await
    }
}

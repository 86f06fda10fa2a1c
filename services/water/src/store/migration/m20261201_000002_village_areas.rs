//! The water bureau's per-village area configuration (water-rich or water-short).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(VillageAreas::Table)
                .if_not_exists()
                .col(string_len(VillageAreas::VillageCode, 12).primary_key())
                .col(integer(VillageAreas::Area))
                .col(timestamp_with_time_zone(VillageAreas::UpdatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        xk_runtime::migration::drop_tables(m, [VillageAreas::Table.into_iden()]).await
    }
}

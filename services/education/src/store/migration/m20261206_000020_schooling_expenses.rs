//! Schooling expenses: a household's (or one student's) out-of-pocket schooling cost per
//! year, the education part of the rigid-expenses monitoring trigger (DOMAIN.md §3).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `schooling_expenses`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SchoolingExpenses {
    Table,
    HouseholdId,
    ResidentId,
    Year,
    VillageCode,
    OutOfPocketFen,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SchoolingExpenses::Table)
                .if_not_exists()
                .col(string_len(SchoolingExpenses::HouseholdId, 32))
                // Empty for a cost recorded for the household as a whole, so the key has
                // no NULL in it (NULLs are never equal in a unique key).
                .col(string_len(SchoolingExpenses::ResidentId, 18))
                .col(integer(SchoolingExpenses::Year))
                .col(string_len(SchoolingExpenses::VillageCode, 12))
                .col(big_integer(SchoolingExpenses::OutOfPocketFen))
                .col(timestamp_with_time_zone(SchoolingExpenses::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(SchoolingExpenses::HouseholdId)
                        .col(SchoolingExpenses::Year)
                        .col(SchoolingExpenses::ResidentId),
                )
                .to_owned(),
        )
        .await?;
        // ListSchoolingExpenses: one year of one village, in household order, covered.
        m.create_index(
            Index::create()
                .name("idx_schooling_expenses_region_year")
                .table(SchoolingExpenses::Table)
                .col(SchoolingExpenses::Year)
                .col(SchoolingExpenses::VillageCode)
                .col(SchoolingExpenses::HouseholdId)
                .col(SchoolingExpenses::ResidentId)
                .col(SchoolingExpenses::OutOfPocketFen)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        xk_runtime::migration::drop_tables(m, [SchoolingExpenses::Table.into_iden()]).await
    }
}

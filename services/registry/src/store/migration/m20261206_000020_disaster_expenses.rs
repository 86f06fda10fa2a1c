//! Disaster expenses: a household's losses and expenses from natural disasters per year,
//! the registry's part of the rigid-expenses monitoring trigger (DOMAIN.md §3).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates `disaster_expenses`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DisasterExpenses {
    Table,
    HouseholdId,
    Year,
    AmountFen,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // No village column: ListDisasterExpenses joins the household for its current
        // village, so a household that moves is listed where it lives now. The key leads
        // with the household, which is how that join reaches it.
        m.create_table(
            Table::create()
                .table(DisasterExpenses::Table)
                .if_not_exists()
                .col(string_len(DisasterExpenses::HouseholdId, 32))
                .col(integer(DisasterExpenses::Year))
                .col(big_integer(DisasterExpenses::AmountFen))
                .col(timestamp_with_time_zone(DisasterExpenses::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(DisasterExpenses::HouseholdId)
                        .col(DisasterExpenses::Year),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        xk_runtime::migration::drop_tables(m, [DisasterExpenses::Table.into_iden()]).await
    }
}

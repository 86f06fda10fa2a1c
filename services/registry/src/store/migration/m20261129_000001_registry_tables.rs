//! Households, members and villages, with the indexes the summaries and lists use.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates the registry's tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Households {
    Table,
    HouseholdId,
    VillageCode,
    Status,
    IdentifiedYear,
    ExitedYear,
    People,
    MonitoringCategory,
    MonitoringStage,
    MonitoringIdentifiedOn,
    Version,
    Doc,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    ResidentId,
    HouseholdId,
    VillageCode,
    RegisteredYear,
    Removed,
}

#[derive(DeriveIden)]
enum Villages {
    Table,
    VillageCode,
    Name,
    IsCommunity,
    PoorVillage,
    CollectiveIncomeFen,
    CollectiveIncomeYear,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Households::Table)
                .if_not_exists()
                .col(string_len(Households::HouseholdId, 32).primary_key())
                .col(string_len(Households::VillageCode, 12))
                .col(integer(Households::Status))
                .col(integer(Households::IdentifiedYear))
                .col(integer(Households::ExitedYear))
                .col(integer(Households::People))
                .col(integer(Households::MonitoringCategory))
                .col(integer(Households::MonitoringStage))
                .col(date_null(Households::MonitoringIdentifiedOn))
                .col(big_integer(Households::Version))
                .col(blob(Households::Doc))
                .col(timestamp_with_time_zone(Households::UpdatedAt))
                .to_owned(),
        )
        .await?;
        // Covering index for SummarizeByRegion: every column it reads, region first.
        m.create_index(
            Index::create()
                .name("idx_households_region_summary")
                .table(Households::Table)
                .col(Households::VillageCode)
                .col(Households::Status)
                .col(Households::IdentifiedYear)
                .col(Households::ExitedYear)
                .col(Households::MonitoringCategory)
                .col(Households::MonitoringStage)
                .col(Households::MonitoringIdentifiedOn)
                .col(Households::People)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Members::Table)
                .if_not_exists()
                .col(string_len(Members::ResidentId, 18).primary_key())
                .col(string_len(Members::HouseholdId, 32))
                .col(string_len(Members::VillageCode, 12))
                .col(integer(Members::RegisteredYear))
                .col(boolean(Members::Removed))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_members_household")
                .table(Members::Table)
                .col(Members::HouseholdId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_members_region_cohort")
                .table(Members::Table)
                .col(Members::VillageCode)
                .col(Members::RegisteredYear)
                .col(Members::Removed)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Villages::Table)
                .if_not_exists()
                .col(string_len(Villages::VillageCode, 12).primary_key())
                .col(string(Villages::Name))
                .col(boolean(Villages::IsCommunity))
                .col(boolean(Villages::PoorVillage))
                .col(big_integer(Villages::CollectiveIncomeFen))
                .col(integer(Villages::CollectiveIncomeYear))
                .col(timestamp_with_time_zone(Villages::UpdatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        xk_runtime::migration::drop_tables(
            m,
            [
                Villages::Table.into_iden(),
                Members::Table.into_iden(),
                Households::Table.into_iden(),
            ],
        )
        .await
    }
}

//! Schemes, the assessment history and the current-status table, with the indexes the
//! summary and the exception lists use.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates the water service's tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Schemes {
    Table,
    SchemeId,
    Version,
    Doc,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SchemeVillages {
    Table,
    SchemeId,
    VillageCode,
}

#[derive(DeriveIden)]
enum Assessments {
    Table,
    HouseholdId,
    Seq,
    VillageCode,
    People,
    AssessedOn,
    SeasonalCheck,
    SchemeId,
    Verdict,
    PolicyYear,
    Doc,
    RecordedAt,
}

#[derive(DeriveIden)]
enum WaterCurrent {
    Table,
    HouseholdId,
    VillageCode,
    People,
    LastSeq,
    Seq,
    AssessedOn,
    Verdict,
    Quantity,
    Quality,
    Convenience,
    SupplyGuarantee,
    SeasonalChecked,
    SeasonalSeq,
    SeasonalOn,
    SeasonalShortage,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Schemes::Table)
                .if_not_exists()
                .col(string_len(Schemes::SchemeId, 32).primary_key())
                .col(big_integer(Schemes::Version))
                .col(blob(Schemes::Doc))
                .col(timestamp_with_time_zone(Schemes::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SchemeVillages::Table)
                .if_not_exists()
                .col(string_len(SchemeVillages::SchemeId, 32))
                .col(string_len(SchemeVillages::VillageCode, 12))
                .primary_key(
                    Index::create()
                        .col(SchemeVillages::SchemeId)
                        .col(SchemeVillages::VillageCode),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_scheme_villages_village")
                .table(SchemeVillages::Table)
                .col(SchemeVillages::VillageCode)
                .col(SchemeVillages::SchemeId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Assessments::Table)
                .if_not_exists()
                .col(string_len(Assessments::HouseholdId, 32))
                .col(big_integer(Assessments::Seq))
                .col(string_len(Assessments::VillageCode, 12))
                .col(integer(Assessments::People))
                .col(date(Assessments::AssessedOn))
                .col(boolean(Assessments::SeasonalCheck))
                .col(string_len_null(Assessments::SchemeId, 32))
                .col(integer(Assessments::Verdict))
                .col(integer(Assessments::PolicyYear))
                .col(blob(Assessments::Doc))
                .col(timestamp_with_time_zone(Assessments::RecordedAt))
                .primary_key(
                    Index::create()
                        .col(Assessments::HouseholdId)
                        .col(Assessments::Seq),
                )
                .to_owned(),
        )
        .await?;
        // DeleteScheme asks "does any assessment refer to this scheme?".
        m.create_index(
            Index::create()
                .name("idx_assessments_scheme")
                .table(Assessments::Table)
                .col(Assessments::SchemeId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WaterCurrent::Table)
                .if_not_exists()
                .col(string_len(WaterCurrent::HouseholdId, 32).primary_key())
                .col(string_len(WaterCurrent::VillageCode, 12))
                .col(integer(WaterCurrent::People))
                .col(big_integer(WaterCurrent::LastSeq))
                .col(big_integer(WaterCurrent::Seq))
                .col(date(WaterCurrent::AssessedOn))
                .col(integer(WaterCurrent::Verdict))
                .col(integer(WaterCurrent::Quantity))
                .col(integer(WaterCurrent::Quality))
                .col(integer(WaterCurrent::Convenience))
                .col(integer(WaterCurrent::SupplyGuarantee))
                .col(boolean(WaterCurrent::SeasonalChecked))
                .col(big_integer_null(WaterCurrent::SeasonalSeq))
                .col(date_null(WaterCurrent::SeasonalOn))
                .col(boolean(WaterCurrent::SeasonalShortage))
                .to_owned(),
        )
        .await?;
        // Covering index for SummarizeByRegion: region first, then every column it reads.
        m.create_index(
            Index::create()
                .name("idx_water_current_region_summary")
                .table(WaterCurrent::Table)
                .col(WaterCurrent::VillageCode)
                .col(WaterCurrent::Verdict)
                .col(WaterCurrent::Quantity)
                .col(WaterCurrent::Quality)
                .col(WaterCurrent::Convenience)
                .col(WaterCurrent::SupplyGuarantee)
                .col(WaterCurrent::SeasonalChecked)
                .col(WaterCurrent::SeasonalShortage)
                .col(WaterCurrent::People)
                .to_owned(),
        )
        .await?;
        // ListExceptions: unsafe households and seasonal shortages in household-id order.
        m.create_index(
            Index::create()
                .name("idx_water_current_unsafe")
                .table(WaterCurrent::Table)
                .col(WaterCurrent::Verdict)
                .col(WaterCurrent::HouseholdId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_water_current_shortage")
                .table(WaterCurrent::Table)
                .col(WaterCurrent::SeasonalShortage)
                .col(WaterCurrent::HouseholdId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        xk_runtime::migration::drop_tables(
            m,
            [
                WaterCurrent::Table.into_iden(),
                Assessments::Table.into_iden(),
                SchemeVillages::Table.into_iden(),
                Schemes::Table.into_iden(),
            ],
        )
        .await
    }
}

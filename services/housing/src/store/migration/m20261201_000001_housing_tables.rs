//! Sites, relocations and appraisals, with the indexes the summaries and lists use.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Creates the housing tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sites {
    Table,
    SiteId,
    Name,
    VillageCode,
    SiteType,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Relocations {
    Table,
    HouseholdId,
    OriginVillageCode,
    SiteId,
    SiteType,
    BatchYear,
    Members,
    MovedIn,
    MovedInOn,
    DemolitionRequired,
    Demolished,
    DemolitionDue,
    ReclaimedCentiMu,
    HasSupport,
    HasLabour,
    EmploymentOk,
    OverAreaNoReason,
    Version,
    Doc,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Appraisals {
    Table,
    HouseholdId,
    VillageCode,
    Grade,
    AppraisedOn,
    Appraiser,
    RenovationCompletedOn,
    DangerousOpen,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Sites::Table)
                .if_not_exists()
                .col(string_len(Sites::SiteId, 32).primary_key())
                .col(string(Sites::Name))
                .col(string_len(Sites::VillageCode, 12))
                .col(integer(Sites::SiteType))
                .col(big_integer(Sites::Version))
                .col(timestamp_with_time_zone(Sites::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sites_region")
                .table(Sites::Table)
                .col(Sites::VillageCode)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Relocations::Table)
                .if_not_exists()
                .col(string_len(Relocations::HouseholdId, 32).primary_key())
                .col(string_len(Relocations::OriginVillageCode, 12))
                .col(string_len(Relocations::SiteId, 32))
                .col(integer(Relocations::SiteType))
                .col(integer(Relocations::BatchYear))
                .col(integer(Relocations::Members))
                .col(boolean(Relocations::MovedIn))
                .col(date_null(Relocations::MovedInOn))
                .col(boolean(Relocations::DemolitionRequired))
                .col(boolean(Relocations::Demolished))
                .col(date_null(Relocations::DemolitionDue))
                .col(big_integer(Relocations::ReclaimedCentiMu))
                .col(boolean(Relocations::HasSupport))
                .col(boolean(Relocations::HasLabour))
                .col(boolean(Relocations::EmploymentOk))
                .col(boolean(Relocations::OverAreaNoReason))
                .col(big_integer(Relocations::Version))
                .col(blob(Relocations::Doc))
                .col(timestamp_with_time_zone(Relocations::UpdatedAt))
                .to_owned(),
        )
        .await?;
        // Covering index for SummarizeByRegion: every column it reads, region first.
        m.create_index(
            Index::create()
                .name("idx_relocations_region_summary")
                .table(Relocations::Table)
                .col(Relocations::OriginVillageCode)
                .col(Relocations::Members)
                .col(Relocations::MovedIn)
                .col(Relocations::DemolitionRequired)
                .col(Relocations::Demolished)
                .col(Relocations::ReclaimedCentiMu)
                .col(Relocations::HasSupport)
                .col(Relocations::HasLabour)
                .col(Relocations::EmploymentOk)
                .to_owned(),
        )
        .await?;
        // Sites in use cannot be deleted or change type: found through this index.
        m.create_index(
            Index::create()
                .name("idx_relocations_site")
                .table(Relocations::Table)
                .col(Relocations::SiteId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Appraisals::Table)
                .if_not_exists()
                .col(string_len(Appraisals::HouseholdId, 32).primary_key())
                .col(string_len(Appraisals::VillageCode, 12))
                .col(integer(Appraisals::Grade))
                .col(date(Appraisals::AppraisedOn))
                .col(string(Appraisals::Appraiser))
                .col(date_null(Appraisals::RenovationCompletedOn))
                .col(boolean(Appraisals::DangerousOpen))
                .col(timestamp_with_time_zone(Appraisals::UpdatedAt))
                .to_owned(),
        )
        .await?;
        // Covering index for the appraisal part of SummarizeByRegion.
        m.create_index(
            Index::create()
                .name("idx_appraisals_region_summary")
                .table(Appraisals::Table)
                .col(Appraisals::VillageCode)
                .col(Appraisals::Grade)
                .col(Appraisals::DangerousOpen)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        xk_runtime::migration::drop_tables(
            m,
            [
                Appraisals::Table.into_iden(),
                Relocations::Table.into_iden(),
                Sites::Table.into_iden(),
            ],
        )
        .await
    }
}

//! Households, members and villages, with the indexes the summaries and lists use.

use sea_orm_migration::prelude::*;
use xk_runtime::migration::Schema;

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

xk_runtime::schema_migration!(Migration, schema);

/// The registry's tables and the indexes the summaries and lists use.
fn schema() -> Schema {
    Schema::new()
        .table(Households::Table)
        .key(Households::HouseholdId)
        .household_id(Households::HouseholdId)
        .region_code(Households::VillageCode)
        .integer(Households::Status)
        .integer(Households::IdentifiedYear)
        .integer(Households::ExitedYear)
        .integer(Households::People)
        .integer(Households::MonitoringCategory)
        .integer(Households::MonitoringStage)
        .date_null(Households::MonitoringIdentifiedOn)
        .version(Households::Version)
        .doc(Households::Doc)
        .written_at(Households::UpdatedAt)
        // Covering index for SummarizeByRegion: every column it reads, region first.
        .index("idx_households_region_summary")
        .on(Households::VillageCode)
        .on(Households::Status)
        .on(Households::IdentifiedYear)
        .on(Households::ExitedYear)
        .on(Households::MonitoringCategory)
        .on(Households::MonitoringStage)
        .on(Households::MonitoringIdentifiedOn)
        .on(Households::People)
        .table(Members::Table)
        .key(Members::ResidentId)
        .resident_id(Members::ResidentId)
        .household_id(Members::HouseholdId)
        .region_code(Members::VillageCode)
        .integer(Members::RegisteredYear)
        .boolean(Members::Removed)
        .index("idx_members_household")
        .on(Members::HouseholdId)
        .index("idx_members_region_cohort")
        .on(Members::VillageCode)
        .on(Members::RegisteredYear)
        .on(Members::Removed)
        .table(Villages::Table)
        .key(Villages::VillageCode)
        .region_code(Villages::VillageCode)
        .string(Villages::Name)
        .boolean(Villages::IsCommunity)
        .boolean(Villages::PoorVillage)
        .fen(Villages::CollectiveIncomeFen)
        .integer(Villages::CollectiveIncomeYear)
        .written_at(Villages::UpdatedAt)
}

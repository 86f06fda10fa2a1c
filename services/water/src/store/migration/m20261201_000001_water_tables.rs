//! Schemes, the assessment history and the current-status table, with the indexes the
//! summary and the exception lists use.

use sea_orm_migration::prelude::*;
use xk_runtime::migration::Schema;

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

xk_runtime::schema_migration!(Migration, schema);

/// The water service's tables and the indexes the summary and the exception lists use.
fn schema() -> Schema {
    Schema::new()
        .table(Schemes::Table)
        .key(Schemes::SchemeId)
        .code(Schemes::SchemeId)
        .version(Schemes::Version)
        .doc(Schemes::Doc)
        .written_at(Schemes::UpdatedAt)
        .table(SchemeVillages::Table)
        .key(SchemeVillages::SchemeId)
        .key(SchemeVillages::VillageCode)
        .code(SchemeVillages::SchemeId)
        .region_code(SchemeVillages::VillageCode)
        .index("idx_scheme_villages_village")
        .on(SchemeVillages::VillageCode)
        .on(SchemeVillages::SchemeId)
        .table(Assessments::Table)
        .key(Assessments::HouseholdId)
        .key(Assessments::Seq)
        .household_id(Assessments::HouseholdId)
        .big_integer(Assessments::Seq)
        .region_code(Assessments::VillageCode)
        .integer(Assessments::People)
        .date(Assessments::AssessedOn)
        .boolean(Assessments::SeasonalCheck)
        .code_null(Assessments::SchemeId)
        .integer(Assessments::Verdict)
        .integer(Assessments::PolicyYear)
        .doc(Assessments::Doc)
        .written_at(Assessments::RecordedAt)
        // DeleteScheme asks "does any assessment refer to this scheme?".
        .index("idx_assessments_scheme")
        .on(Assessments::SchemeId)
        .table(WaterCurrent::Table)
        .key(WaterCurrent::HouseholdId)
        .household_id(WaterCurrent::HouseholdId)
        .region_code(WaterCurrent::VillageCode)
        .integer(WaterCurrent::People)
        .big_integer(WaterCurrent::LastSeq)
        .big_integer(WaterCurrent::Seq)
        .date(WaterCurrent::AssessedOn)
        .integer(WaterCurrent::Verdict)
        .integer(WaterCurrent::Quantity)
        .integer(WaterCurrent::Quality)
        .integer(WaterCurrent::Convenience)
        .integer(WaterCurrent::SupplyGuarantee)
        .boolean(WaterCurrent::SeasonalChecked)
        .big_integer_null(WaterCurrent::SeasonalSeq)
        .date_null(WaterCurrent::SeasonalOn)
        .boolean(WaterCurrent::SeasonalShortage)
        // Covering index for SummarizeByRegion: region first, then every column it reads.
        .index("idx_water_current_region_summary")
        .on(WaterCurrent::VillageCode)
        .on(WaterCurrent::Verdict)
        .on(WaterCurrent::Quantity)
        .on(WaterCurrent::Quality)
        .on(WaterCurrent::Convenience)
        .on(WaterCurrent::SupplyGuarantee)
        .on(WaterCurrent::SeasonalChecked)
        .on(WaterCurrent::SeasonalShortage)
        .on(WaterCurrent::People)
        // ListExceptions: unsafe households and seasonal shortages in household-id order.
        .index("idx_water_current_unsafe")
        .on(WaterCurrent::Verdict)
        .on(WaterCurrent::HouseholdId)
        .index("idx_water_current_shortage")
        .on(WaterCurrent::SeasonalShortage)
        .on(WaterCurrent::HouseholdId)
}

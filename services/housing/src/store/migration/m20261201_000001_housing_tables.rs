//! Sites, relocations and appraisals, with the indexes the summaries and lists use.

use sea_orm_migration::prelude::*;
use xk_runtime::migration::Schema;

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

xk_runtime::schema_migration!(Migration, schema);

/// The housing tables and the indexes the summaries and lists use.
fn schema() -> Schema {
    Schema::new()
        .table(Sites::Table)
        .key(Sites::SiteId)
        .code(Sites::SiteId)
        .string(Sites::Name)
        .region_code(Sites::VillageCode)
        .integer(Sites::SiteType)
        .version(Sites::Version)
        .written_at(Sites::UpdatedAt)
        .index("idx_sites_region")
        .on(Sites::VillageCode)
        .table(Relocations::Table)
        .key(Relocations::HouseholdId)
        .household_id(Relocations::HouseholdId)
        .region_code(Relocations::OriginVillageCode)
        .code(Relocations::SiteId)
        .integer(Relocations::SiteType)
        .integer(Relocations::BatchYear)
        .integer(Relocations::Members)
        .boolean(Relocations::MovedIn)
        .date_null(Relocations::MovedInOn)
        .boolean(Relocations::DemolitionRequired)
        .boolean(Relocations::Demolished)
        .date_null(Relocations::DemolitionDue)
        .big_integer(Relocations::ReclaimedCentiMu)
        .boolean(Relocations::HasSupport)
        .boolean(Relocations::HasLabour)
        .boolean(Relocations::EmploymentOk)
        .boolean(Relocations::OverAreaNoReason)
        .version(Relocations::Version)
        .doc(Relocations::Doc)
        .written_at(Relocations::UpdatedAt)
        // Covering index for SummarizeByRegion: every column it reads, region first.
        .index("idx_relocations_region_summary")
        .on(Relocations::OriginVillageCode)
        .on(Relocations::Members)
        .on(Relocations::MovedIn)
        .on(Relocations::DemolitionRequired)
        .on(Relocations::Demolished)
        .on(Relocations::ReclaimedCentiMu)
        .on(Relocations::HasSupport)
        .on(Relocations::HasLabour)
        .on(Relocations::EmploymentOk)
        // Sites in use cannot be deleted or change type: found through this index.
        .index("idx_relocations_site")
        .on(Relocations::SiteId)
        .table(Appraisals::Table)
        .key(Appraisals::HouseholdId)
        .household_id(Appraisals::HouseholdId)
        .region_code(Appraisals::VillageCode)
        .integer(Appraisals::Grade)
        .date(Appraisals::AppraisedOn)
        .string(Appraisals::Appraiser)
        .date_null(Appraisals::RenovationCompletedOn)
        .boolean(Appraisals::DangerousOpen)
        .written_at(Appraisals::UpdatedAt)
        // Covering index for the appraisal part of SummarizeByRegion.
        .index("idx_appraisals_region_summary")
        .on(Appraisals::VillageCode)
        .on(Appraisals::Grade)
        .on(Appraisals::DangerousOpen)
}

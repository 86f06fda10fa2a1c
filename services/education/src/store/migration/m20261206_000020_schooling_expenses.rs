//! Schooling expenses: a household's (or one student's) out-of-pocket schooling cost per
//! year, the education part of the rigid-expenses monitoring trigger (DOMAIN.md §3).

use sea_orm_migration::prelude::*;
use xk_runtime::migration::Schema;

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

xk_runtime::schema_migration!(Migration, schema);

/// The table and the index its list reads.
fn schema() -> Schema {
    Schema::new()
        .table(SchoolingExpenses::Table)
        .key(SchoolingExpenses::HouseholdId)
        .key(SchoolingExpenses::Year)
        .key(SchoolingExpenses::ResidentId)
        .household_id(SchoolingExpenses::HouseholdId)
        // Empty for a cost recorded for the household as a whole, so the key has
        // no NULL in it (NULLs are never equal in a unique key).
        .resident_id(SchoolingExpenses::ResidentId)
        .integer(SchoolingExpenses::Year)
        .region_code(SchoolingExpenses::VillageCode)
        .fen(SchoolingExpenses::OutOfPocketFen)
        .written_at(SchoolingExpenses::UpdatedAt)
        // ListSchoolingExpenses: one year of one village, in household order, covered.
        .index("idx_schooling_expenses_region_year")
        .on(SchoolingExpenses::Year)
        .on(SchoolingExpenses::VillageCode)
        .on(SchoolingExpenses::HouseholdId)
        .on(SchoolingExpenses::ResidentId)
        .on(SchoolingExpenses::OutOfPocketFen)
}

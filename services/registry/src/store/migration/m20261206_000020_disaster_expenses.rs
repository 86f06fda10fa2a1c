//! Disaster expenses: a household's losses and expenses from natural disasters per year,
//! the registry's part of the rigid-expenses monitoring trigger (DOMAIN.md §3).

use sea_orm_migration::prelude::*;
use xk_runtime::migration::Schema;

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

xk_runtime::schema_migration!(Migration, schema);

/// No village column: ListDisasterExpenses joins the household for its current village, so
/// a household that moves is listed where it lives now. The key leads with the household,
/// which is how that join reaches it.
fn schema() -> Schema {
    Schema::new()
        .table(DisasterExpenses::Table)
        .key(DisasterExpenses::HouseholdId)
        .key(DisasterExpenses::Year)
        .household_id(DisasterExpenses::HouseholdId)
        .integer(DisasterExpenses::Year)
        .fen(DisasterExpenses::AmountFen)
        .written_at(DisasterExpenses::UpdatedAt)
}

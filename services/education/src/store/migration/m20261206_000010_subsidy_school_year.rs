//! Subsidy payments carry the school year they count towards, so the yearly entitlement
//! can be summed per student, programme and school year by an index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use xk_runtime::migration::{alter_table, drop_index, index};

/// Adds `subsidies.school_year` and the index the yearly total reads.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Subsidies {
    Table,
    ResidentId,
    Programme,
    SchoolYear,
    PaidOn,
    AmountFen,
}

/// Name of the index that serves the yearly total.
const YEARLY_INDEX: &str = "idx_subsidies_student_programme_year";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Nullable: rows written before this migration keep NULL and are counted by their
        // payment date under the operator's own school-year start, which a migration
        // cannot know (the policy file is loaded after migrating).
        alter_table(m, Subsidies::Table, |t| {
            t.add_column(integer_null(Subsidies::SchoolYear))
        })
        .await?;
        m.create_index(index(
            YEARLY_INDEX,
            Subsidies::Table,
            [
                Subsidies::ResidentId,
                Subsidies::Programme,
                Subsidies::SchoolYear,
                Subsidies::PaidOn,
                Subsidies::AmountFen,
            ],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, YEARLY_INDEX, Subsidies::Table).await?;
        alter_table(m, Subsidies::Table, |t| {
            t.drop_column(Subsidies::SchoolYear)
        })
        .await
    }
}

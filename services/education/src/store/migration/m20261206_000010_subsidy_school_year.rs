//! Subsidy payments carry the school year they count towards, so the yearly entitlement
//! can be summed per student, programme and school year by an index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

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
        m.alter_table(
            Table::alter()
                .table(Subsidies::Table)
                .add_column(integer_null(Subsidies::SchoolYear))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(YEARLY_INDEX)
                .table(Subsidies::Table)
                .col(Subsidies::ResidentId)
                .col(Subsidies::Programme)
                .col(Subsidies::SchoolYear)
                .col(Subsidies::PaidOn)
                .col(Subsidies::AmountFen)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        xk_runtime::migration::drop_index(m, YEARLY_INDEX, Subsidies::Table).await?;
        m.alter_table(
            Table::alter()
                .table(Subsidies::Table)
                .drop_column(Subsidies::SchoolYear)
                .to_owned(),
        )
        .await
    }
}

//! An index on households by (village, household id): the order a list page of one
//! village reads them in.
//!
//! ListHouseholds pages by household id under a region prefix, and the at-risk walk reads
//! every village's households page after page. With only the summary's covering index
//! (village first, no household id), each page of a village fetched every household of
//! the village and sorted them for the top page: at 200× the demo county (about 13,000
//! households a village, 13 pages) a village took thirteen times the reads it needs, and
//! the walk on PostgreSQL stopped being linear. With this index, a page of one village
//! (`village_code = $1`, see `xk_runtime::query::under_prefix`) is an index scan that
//! reads exactly its rows, already in order.

use sea_orm_migration::prelude::*;
use xk_runtime::migration::{drop_index, index};

/// Creates `idx_households_village_key`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Households {
    Table,
    VillageCode,
    HouseholdId,
}

/// The index's name.
const INDEX: &str = "idx_households_village_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let columns = [Households::VillageCode, Households::HouseholdId];
        m.create_index(index(INDEX, Households::Table, columns).take())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, INDEX, Households::Table).await
    }
}

//! Disaster expenses (`disaster_expenses`): one figure per household and year, replaced
//! when recorded again; listed one year under a region prefix (the household's current
//! village) for the aggregator's rigid-expenses trigger.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QuerySelect, RelationDef,
};
use xk_contracts::pb::registry::v1::DisasterExpense;
use xk_runtime::ApiError;

use super::entities::household;
use xk_runtime::query::under_prefix;
use xk_runtime::query::{self, keyset_page};

/// The `disaster_expenses` table.
pub mod disaster_expense {
    use sea_orm::entity::prelude::*;

    /// One year's disaster losses and expenses of a household.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "disaster_expenses")]
    pub struct Model {
        /// The household.
        #[sea_orm(primary_key, auto_increment = false)]
        pub household_id: String,
        /// Calendar year.
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        /// Losses and expenses in fen.
        pub amount_fen: i64,
        /// Last write.
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated (the list joins households explicitly).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use disaster_expense::{Column, Entity};

/// Stores a household's figure for a year, replacing the one recorded before.
pub async fn upsert<C: ConnectionTrait>(
    conn: &C,
    household_id: &str,
    year: i32,
    amount_fen: i64,
) -> Result<(), ApiError> {
    let row = disaster_expense::ActiveModel {
        household_id: Set(household_id.to_string()),
        year: Set(year),
        amount_fen: Set(amount_fen),
        updated_at: Set(Utc::now()),
    };
    query::upsert(conn, row, [Column::HouseholdId, Column::Year]).await
}

/// The expense row's household, for the join that gives its current village.
fn of_household() -> RelationDef {
    Entity::belongs_to(household::Entity)
        .from(Column::HouseholdId)
        .to(household::Column::HouseholdId)
        .into()
}

/// Up to `limit` figures of `year` of the households whose village is under `prefix`, in
/// household-id order, after `after` when given.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    year: i32,
    prefix: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<DisasterExpense>, ApiError> {
    let q = Entity::find()
        .join(JoinType::InnerJoin, of_household())
        .filter(Column::Year.eq(year));
    let q = under_prefix(q, household::Column::VillageCode, prefix);
    let rows: Vec<(String, String, i32, i64)> = keyset_page(q, Column::HouseholdId, after, limit)
        .select_only()
        .column(Column::HouseholdId)
        .column(household::Column::VillageCode)
        .column(Column::Year)
        .column(Column::AmountFen)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(household_id, village_code, year, amount_fen)| DisasterExpense {
                household_id,
                village_code,
                year,
                amount_fen,
            },
        )
        .collect())
}

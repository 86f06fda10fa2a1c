//! Schooling expenses (`schooling_expenses`): one figure per household, student (or the
//! household as a whole) and year, replaced when recorded again; listed one year under a
//! region prefix for the aggregator's rigid-expenses trigger.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use xk_contracts::pb::education::v1::SchoolingExpense;

use xk_runtime::ApiError;

use super::query::under_prefix;
use xk_runtime::query;

/// The `schooling_expenses` table.
pub mod schooling_expense {
    use sea_orm::entity::prelude::*;

    /// One year's out-of-pocket schooling cost of a household or one of its students.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "schooling_expenses")]
    pub struct Model {
        /// The household bearing the cost.
        #[sea_orm(primary_key, auto_increment = false)]
        pub household_id: String,
        /// Calendar year.
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        /// The student, or empty for the household as a whole.
        #[sea_orm(primary_key, auto_increment = false)]
        pub resident_id: String,
        /// The household's 12-digit village code (region filters).
        pub village_code: String,
        /// Out-of-pocket cost in fen.
        pub out_of_pocket_fen: i64,
        /// Last write.
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use schooling_expense::{Column, Entity};

/// Stores `e` (already validated and normalised), replacing the figure of the same
/// household, student and year.
pub async fn upsert<C: ConnectionTrait>(conn: &C, e: &SchoolingExpense) -> Result<(), ApiError> {
    let row = schooling_expense::ActiveModel {
        household_id: Set(e.household_id.clone()),
        year: Set(e.year),
        resident_id: Set(e.resident_id.clone()),
        village_code: Set(e.village_code.clone()),
        out_of_pocket_fen: Set(e.out_of_pocket_fen),
        updated_at: Set(Utc::now()),
    };
    query::upsert(
        conn,
        row,
        [Column::HouseholdId, Column::Year, Column::ResidentId],
    )
    .await
}

/// The household's total schooling cost of `year`, in fen.
pub async fn household_year_total<C: ConnectionTrait>(
    conn: &C,
    household_id: &str,
    year: i32,
) -> Result<i64, ApiError> {
    let figures: Vec<i64> = Entity::find()
        .select_only()
        .column(Column::OutOfPocketFen)
        .filter(Column::HouseholdId.eq(household_id))
        .filter(Column::Year.eq(year))
        .into_tuple()
        .all(conn)
        .await?;
    // Summed here: a household has a handful of rows a year, and it saturates instead of
    // overflowing a database integer.
    Ok(figures.into_iter().fold(0i64, i64::saturating_add))
}

/// Up to `limit` expenses of `year` under `prefix`, in (household id, resident id) order,
/// after the key `after` when given.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    year: i32,
    prefix: &str,
    after: Option<(&str, &str)>,
    limit: u64,
) -> Result<Vec<SchoolingExpense>, ApiError> {
    let mut q =
        under_prefix(Entity::find(), Column::VillageCode, prefix).filter(Column::Year.eq(year));
    if let Some((household, resident)) = after {
        q = q.filter(
            Condition::any().add(Column::HouseholdId.gt(household)).add(
                Condition::all()
                    .add(Column::HouseholdId.eq(household))
                    .add(Column::ResidentId.gt(resident)),
            ),
        );
    }
    let rows = q
        .order_by_asc(Column::HouseholdId)
        .order_by_asc(Column::ResidentId)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| SchoolingExpense {
            household_id: m.household_id,
            village_code: m.village_code,
            resident_id: m.resident_id,
            year: m.year,
            out_of_pocket_fen: m.out_of_pocket_fen,
        })
        .collect())
}

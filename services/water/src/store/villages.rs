//! The villages' configured area types (water-rich or water-short), by which their
//! households' assessments are graded.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use xk_runtime::ApiError;

use super::entities::village_area as va;
use super::support::in_chunks;
use xk_runtime::query::{Keyset, upsert};

/// Sets (or replaces) a village's configured area type.
pub async fn set_village_area<C: ConnectionTrait>(
    conn: &C,
    village_code: &str,
    area: i32,
) -> Result<(), ApiError> {
    let row = va::ActiveModel {
        village_code: Set(village_code.to_string()),
        area: Set(area),
        updated_at: Set(Utc::now()),
    };
    upsert(conn, row, [va::Column::VillageCode]).await
}

/// The configured area type (`AreaType` number) of each of these villages that has one.
pub async fn village_areas<C: ConnectionTrait>(
    conn: &C,
    codes: &[&str],
) -> Result<HashMap<String, i32>, ApiError> {
    let found = in_chunks(codes, |chunk| {
        va::Entity::find()
            .select_only()
            .column(va::Column::VillageCode)
            .column(va::Column::Area)
            .filter(va::Column::VillageCode.is_in(chunk.iter().copied()))
            .into_tuple::<(String, i32)>()
            .all(conn)
    })
    .await?;
    Ok(found.into_iter().collect())
}

/// One page of configured villages, in code order.
pub async fn list_village_areas<C: ConnectionTrait>(
    conn: &C,
    page: Keyset<'_>,
) -> Result<Vec<(String, i32)>, ApiError> {
    let q = va::Entity::find()
        .select_only()
        .column(va::Column::VillageCode)
        .column(va::Column::Area);
    Ok(page
        .of(q, va::Column::VillageCode, va::Column::VillageCode)
        .into_tuple::<(String, i32)>()
        .all(conn)
        .await?)
}

//! The villages' configured area types (water-rich or water-short), by which their
//! households' assessments are graded.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use xk_runtime::ApiError;

use super::entities::village_area as va;
use super::support::{in_chunks, prefix_range};

/// Sets (or replaces) a village's configured area type.
pub async fn set_village_area<C: ConnectionTrait>(
    conn: &C,
    village_code: &str,
    area: i32,
) -> Result<(), ApiError> {
    va::Entity::insert(va::ActiveModel {
        village_code: Set(village_code.to_string()),
        area: Set(area),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(va::Column::VillageCode)
            .update_columns([va::Column::Area, va::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
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

/// Up to `limit` configured villages after `after`, in code order, under a prefix.
pub async fn list_village_areas<C: ConnectionTrait>(
    conn: &C,
    region_prefix: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<(String, i32)>, ApiError> {
    let mut q = va::Entity::find()
        .select_only()
        .column(va::Column::VillageCode)
        .column(va::Column::Area);
    if !region_prefix.is_empty() {
        let (lo, hi) = prefix_range(region_prefix);
        q = q
            .filter(va::Column::VillageCode.gte(lo))
            .filter(va::Column::VillageCode.lte(hi));
    }
    if let Some(a) = after {
        q = q.filter(va::Column::VillageCode.gt(a));
    }
    Ok(q.order_by_asc(va::Column::VillageCode)
        .limit(limit)
        .into_tuple::<(String, i32)>()
        .all(conn)
        .await?)
}

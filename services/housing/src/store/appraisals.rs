//! House-safety appraisals: one row per household not relocated, replaced by a newer
//! appraisal, with the derived "dangerous and open" flag.

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::ApiError;

use super::entities::appraisal;
use xk_runtime::query::by_id;

fn from_row(r: appraisal::Model) -> pb::Appraisal {
    pb::Appraisal {
        household_id: r.household_id,
        village_code: r.village_code,
        grade: r.grade,
        appraised_on: Some(date_to_pb(r.appraised_on)),
        appraiser: r.appraiser,
        renovation_completed_on: r.renovation_completed_on.map(date_to_pb),
    }
}

/// Reads one household's appraisal, if it has one.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<pb::Appraisal>, ApiError> {
    let row = by_id::<appraisal::Entity, _>(conn, id.to_string()).await?;
    Ok(row.map(from_row))
}

/// Inserts or replaces a household's appraisal with its derived flag (in the write
/// transaction).
pub async fn put<C: ConnectionTrait>(
    conn: &C,
    a: &pb::Appraisal,
    appraised_on: NaiveDate,
    completed_on: Option<NaiveDate>,
) -> Result<(), ApiError> {
    let dangerous = a.grade == pb::Grade::C as i32 || a.grade == pb::Grade::D as i32;
    let row = appraisal::ActiveModel {
        household_id: Set(a.household_id.clone()),
        village_code: Set(a.village_code.clone()),
        grade: Set(a.grade),
        appraised_on: Set(appraised_on),
        appraiser: Set(a.appraiser.clone()),
        renovation_completed_on: Set(completed_on),
        dangerous_open: Set(dangerous && completed_on.is_none()),
        updated_at: Set(Utc::now()),
    };
    // Updated in place, else inserted; not one upsert: on SQLite, an upsert that takes its
    // update path runs the rollup triggers' `INSERT OR IGNORE` marks under the upsert's
    // own ABORT, and marking the village a second time (old and new row) fails.
    let updated = appraisal::Entity::update_many()
        .set(row.clone())
        .filter(appraisal::Column::HouseholdId.eq(a.household_id.as_str()))
        .exec(conn)
        .await?;
    if updated.rows_affected == 0 {
        appraisal::Entity::insert(row)
            .exec_without_returning(conn)
            .await
            .map_err(first_wins)?;
    }
    Ok(())
}

/// The error a unique-key violation on inserting an appraisal means: a concurrent first
/// appraisal of the same household was stored first. ABORTED with the retry marker, so the
/// runtime runs the call again (and then finds that appraisal).
fn first_wins(e: sea_orm::DbErr) -> ApiError {
    if xk_runtime::errors::is_unique_violation(&e) {
        xk_runtime::errors::conflict_retry(
            "a concurrent appraisal of the same household was recorded first; retry",
        )
        .into()
    } else {
        ApiError::Db(e)
    }
}

//! House-safety appraisals: one row per household not relocated, replaced by a newer
//! appraisal, with the derived "dangerous and open" flag.

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::ApiError;

use super::entities::appraisal;
use xk_runtime::query::{by_id, upsert};

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

/// Inserts or replaces a household's appraisal with its derived flag.
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
    upsert(conn, row, [appraisal::Column::HouseholdId]).await
}

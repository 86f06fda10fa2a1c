//! The health service's I/O: enrolments, person-years, institutions and cases. No rules
//! here: callers pass records the domain and the api layer have checked.

pub mod bills;
pub mod entities;
pub mod gauges;
pub mod migration;
pub mod rollups;
pub mod summary;

use std::collections::HashSet;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use xk_contracts::types::ResidentId;

use entities::{case, enrolment, institution, person_year};
use xk_runtime::ApiError;
use xk_runtime::partition::{Lookup, find_by_key};
pub use xk_runtime::query::prefix_range;
use xk_runtime::query::{by_id, insert_chunks, keyset_page, under_prefix, upsert};

/// The enrolments table (read by key through [`xk_runtime::Db::lookup`]).
pub const ENROLMENTS: &str = "enrolments";
/// The person-years table (read by key through [`xk_runtime::Db::lookup`]).
pub const PERSON_YEARS: &str = "person_years";

/// The tables a province's PostgreSQL database may partition by county
/// (`xiaokang migrate health --partition-by-county`): the enrolments and the person-years
/// of settlement, one row per person and coverage year, keys unique across the province
/// still. (Cases are keyed by a sequence the copy would not carry over: not offered.)
pub const PARTITIONABLE: &[xk_runtime::partition::Partitionable] = &[
    xk_runtime::partition::Partitionable {
        table: ENROLMENTS,
        key: &["resident_id", "coverage_year"],
        region: "village_code",
    },
    xk_runtime::partition::Partitionable {
        table: PERSON_YEARS,
        key: &["resident_id", "coverage_year"],
        region: "village_code",
    },
];

/// Rows per multi-row INSERT: 1,000 rows of at most 13 columns stays well under SQLite's
/// and PostgreSQL's bound-parameter limits, and batches keep imports fast.
const INSERT_CHUNK: usize = 1000;

/// `CaseKind::Settlement` as stored.
pub const KIND_SETTLEMENT: i32 = 1;
/// `CaseKind::Reversal` as stored.
pub const KIND_REVERSAL: i32 = 2;

/// A resident id for logs and error messages: never whole.
pub fn mask(id: &str) -> String {
    ResidentId::parse_stored(id).map_or_else(|_| "(unreadable id)".to_string(), |r| r.masked())
}

/// The empty year-to-date row created with an enrolment.
fn person_year_row(e: &enrolment::Model) -> person_year::ActiveModel {
    person_year::ActiveModel {
        resident_id: Set(e.resident_id.clone()),
        coverage_year: Set(e.coverage_year),
        village_code: Set(e.village_code.clone()),
        registered_poor: Set(e.registered_poor),
        basic_deductible_used_fen: Set(0),
        serious_burden_fen: Set(0),
        assistance_paid_fen: Set(0),
        in_county_personal_fen: Set(0),
        cases: Set(0),
        total_fen: Set(0),
        basic_fen: Set(0),
        serious_fen: Set(0),
        assistance_fen: Set(0),
        supplementary_fen: Set(0),
        personal_in_policy_fen: Set(0),
        personal_out_of_policy_fen: Set(0),
        personal_total_fen: Set(0),
    }
}

/// Inserts enrolments and their (empty) person-year rows, in multi-row statements. A
/// duplicate fails with a unique violation (see [`find_enrolment_conflict`]).
pub async fn insert_enrolments<C: ConnectionTrait>(
    conn: &C,
    batch: &[enrolment::Model],
) -> Result<(), ApiError> {
    let enrolments = batch
        .iter()
        .map(|e| enrolment::ActiveModel::from(e.clone()));
    insert_chunks(conn, enrolments.collect(), INSERT_CHUNK).await?;
    insert_chunks(
        conn,
        batch.iter().map(person_year_row).collect(),
        INSERT_CHUNK,
    )
    .await
}

/// The first enrolment of `batch` that is stored already or repeated within the batch, as
/// ALREADY_EXISTS naming its field (`prefix(i)` + `resident_id`).
pub async fn find_enrolment_conflict<C: ConnectionTrait>(
    conn: &C,
    batch: &[enrolment::Model],
    prefix: impl Fn(usize) -> String,
) -> Result<Option<ApiError>, ApiError> {
    let mut existing: HashSet<(String, i32)> = HashSet::new();
    for chunk in batch.chunks(INSERT_CHUNK) {
        let found = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::ResidentId)
            .column(enrolment::Column::CoverageYear)
            .filter(
                enrolment::Column::ResidentId.is_in(chunk.iter().map(|e| e.resident_id.clone())),
            )
            .into_tuple::<(String, i32)>()
            .all(conn)
            .await?;
        existing.extend(found);
    }
    let mut seen = HashSet::new();
    for (i, e) in batch.iter().enumerate() {
        let key = (e.resident_id.clone(), e.coverage_year);
        if existing.contains(&key) || !seen.insert(key) {
            return Ok(Some(ApiError::AlreadyExists {
                what: "enrolment",
                name: format!(
                    "{} for coverage year {}",
                    mask(&e.resident_id),
                    e.coverage_year
                ),
                field: format!("{}resident_id", prefix(i)),
            }));
        }
    }
    Ok(None)
}

/// One enrolment (`lookup`: how this database reads an enrolment by key, from
/// [`xk_runtime::Db::lookup`] of [`ENROLMENTS`]).
pub async fn get_enrolment<C: ConnectionTrait>(
    conn: &C,
    lookup: Lookup,
    resident_id: &str,
    year: i32,
) -> Result<Option<enrolment::Model>, ApiError> {
    let key = (resident_id.to_string(), year);
    Ok(find_by_key::<enrolment::Entity, _>(conn, lookup, key, false).await?)
}

/// The person-year row, locked until the transaction ends (`SELECT … FOR UPDATE` on
/// PostgreSQL) so that concurrent settlements of one person queue on it; on SQLite the
/// runtime's writer lock already serialises every write transaction, and SQLite has no row
/// locks. `lookup`: as [`get_person_year`].
pub async fn lock_person_year<C: ConnectionTrait>(
    conn: &C,
    lookup: Lookup,
    resident_id: &str,
    year: i32,
) -> Result<Option<person_year::Model>, ApiError> {
    let key = (resident_id.to_string(), year);
    Ok(find_by_key::<person_year::Entity, _>(conn, lookup, key, true).await?)
}

/// One person-year row, unlocked (reads); `lookup`: how this database reads a person-year
/// by key ([`xk_runtime::Db::lookup`] of [`PERSON_YEARS`]).
pub async fn get_person_year<C: ConnectionTrait>(
    conn: &C,
    lookup: Lookup,
    resident_id: &str,
    year: i32,
) -> Result<Option<person_year::Model>, ApiError> {
    let key = (resident_id.to_string(), year);
    Ok(find_by_key::<person_year::Entity, _>(conn, lookup, key, false).await?)
}

/// Writes a person-year row (locked by the caller in the same transaction). It is found by
/// its village as well as its key, so that over partitions by county the update touches
/// its county's partition alone; a person-year's village is fixed when it is enrolled.
pub async fn save_person_year<C: ConnectionTrait>(
    conn: &C,
    row: person_year::Model,
) -> Result<(), ApiError> {
    use person_year::Column as P;
    use sea_orm::ActiveValue::Unchanged;
    let (resident, year) = (row.resident_id.clone(), row.coverage_year);
    let village = row.village_code.clone();
    let mut a = sea_orm::ActiveModelTrait::reset_all(person_year::ActiveModel::from(row));
    (a.resident_id, a.coverage_year) = (Unchanged(resident.clone()), Unchanged(year));
    let done = person_year::Entity::update_many()
        .set(a)
        .filter(P::ResidentId.eq(resident))
        .filter(P::CoverageYear.eq(year))
        .filter(P::VillageCode.eq(village))
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Err(sea_orm::DbErr::RecordNotUpdated.into());
    }
    Ok(())
}

/// Inserts or replaces an institution.
pub async fn upsert_institution<C: ConnectionTrait>(
    conn: &C,
    row: institution::Model,
) -> Result<(), ApiError> {
    let row = institution::ActiveModel::from(row);
    upsert(conn, row, [institution::Column::Code]).await
}

/// One institution.
pub async fn get_institution<C: ConnectionTrait>(
    conn: &C,
    code: &str,
) -> Result<Option<institution::Model>, ApiError> {
    by_id::<institution::Entity, _>(conn, code.to_string()).await
}

/// Up to `limit` institutions after `after` in code order.
pub async fn list_institutions<C: ConnectionTrait>(
    conn: &C,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<institution::Model>, ApiError> {
    let q = institution::Entity::find();
    Ok(keyset_page(q, institution::Column::Code, after, limit)
        .all(conn)
        .await?)
}

/// Appends a case row (settlement or reversal) and returns its id.
pub async fn insert_case<C: ConnectionTrait>(
    conn: &C,
    row: case::ActiveModel,
) -> Result<i64, ApiError> {
    Ok(case::Entity::insert(row).exec(conn).await?.last_insert_id)
}

/// One case row.
pub async fn get_case<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<case::Model>, ApiError> {
    by_id::<case::Entity, _>(conn, id).await
}

/// The reversal of settlement `id`, if any.
pub async fn reversal_of<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<case::Model>, ApiError> {
    Ok(case::Entity::find()
        .filter(case::Column::ReversesId.eq(id))
        .filter(case::Column::Kind.eq(KIND_REVERSAL))
        .one(conn)
        .await?)
}

/// Every case row of a person-year, in id (settlement) order.
pub async fn person_year_cases<C: ConnectionTrait>(
    conn: &C,
    resident_id: &str,
    year: i32,
) -> Result<Vec<case::Model>, ApiError> {
    Ok(case::Entity::find()
        .filter(case::Column::ResidentId.eq(resident_id))
        .filter(case::Column::CoverageYear.eq(year))
        .order_by_asc(case::Column::Id)
        .all(conn)
        .await?)
}

/// The person-year's latest settlement not reversed yet: the only one the engine can
/// reverse exactly.
pub async fn latest_live_settlement<C: ConnectionTrait>(
    conn: &C,
    resident_id: &str,
    year: i32,
) -> Result<Option<i64>, ApiError> {
    let rows = person_year_cases(conn, resident_id, year).await?;
    let reversed: HashSet<i64> = rows
        .iter()
        .filter(|r| r.kind == KIND_REVERSAL)
        .map(|r| r.reverses_id)
        .collect();
    Ok(rows
        .iter()
        .rev()
        .find(|r| r.kind == KIND_SETTLEMENT && !reversed.contains(&r.id))
        .map(|r| r.id))
}

/// Which of these settlement ids have a reversal.
pub async fn reversed_among<C: ConnectionTrait>(
    conn: &C,
    ids: &[i64],
) -> Result<HashSet<i64>, ApiError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found = case::Entity::find()
        .select_only()
        .column(case::Column::ReversesId)
        .filter(case::Column::Kind.eq(KIND_REVERSAL))
        .filter(case::Column::ReversesId.is_in(ids.iter().copied()))
        .into_tuple::<i64>()
        .all(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// The filter of a case list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Region prefix (digits) or empty: the patient's village.
    pub region_prefix: String,
    /// Coverage year or 0 for all.
    pub coverage_year: i32,
    /// One person's cases, or empty.
    pub resident_id: String,
    /// Only live settlements at institutions without one-stop settlement (ListExceptions).
    pub non_one_stop_only: bool,
}

impl CaseFilter {
    /// A stable description, for binding page tokens to the filter.
    pub fn fingerprint(&self) -> String {
        format!(
            "cases;r={};y={};p={};n={}",
            self.region_prefix, self.coverage_year, self.resident_id, self.non_one_stop_only
        )
    }
}

/// Up to `limit` case rows after id `after`, in id order.
pub async fn list_cases<C: ConnectionTrait>(
    conn: &C,
    f: &CaseFilter,
    after: i64,
    limit: u64,
) -> Result<Vec<case::Model>, ApiError> {
    let mut q = under_prefix(
        case::Entity::find(),
        case::Column::VillageCode,
        &f.region_prefix,
    );
    if f.coverage_year != 0 {
        q = q.filter(case::Column::CoverageYear.eq(f.coverage_year));
    }
    if !f.resident_id.is_empty() {
        q = q.filter(case::Column::ResidentId.eq(f.resident_id.as_str()));
    }
    if f.non_one_stop_only {
        q = q
            .filter(case::Column::OneStop.eq(false))
            .filter(case::Column::Kind.eq(KIND_SETTLEMENT));
    }
    Ok(keyset_page(q, case::Column::Id, Some(after), limit)
        .all(conn)
        .await?)
}

/// Up to `limit` person-years of `year` under the prefix whose personal in-policy payment
/// for in-county care settled as registered poor exceeds `cap_fen`, in resident-id order.
/// Only that payment counts: the cap promises nothing about out-of-county care.
pub async fn persons_over_cap<C: ConnectionTrait>(
    conn: &C,
    year: i32,
    region_prefix: &str,
    cap_fen: i64,
    limit: u64,
) -> Result<Vec<person_year::Model>, ApiError> {
    use person_year::Column as P;
    let q = person_year::Entity::find()
        .filter(P::CoverageYear.eq(year))
        .filter(P::InCountyPersonalFen.gt(cap_fen));
    let q = under_prefix(q, P::VillageCode, region_prefix);
    Ok(keyset_page(q, P::ResidentId, None::<&str>, limit)
        .all(conn)
        .await?)
}

/// Up to `limit` person-years of `year` under the prefix whose net personal payment
/// exceeds `min_fen`, after resident id `after`, in resident-id order.
pub async fn persons_paying<C: ConnectionTrait>(
    conn: &C,
    year: i32,
    region_prefix: &str,
    min_fen: i64,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<person_year::Model>, ApiError> {
    use person_year::Column as P;
    let (lo, hi) = prefix_range(region_prefix);
    let q = person_year::Entity::find()
        .filter(P::CoverageYear.eq(year))
        .filter(P::VillageCode.gte(lo))
        .filter(P::VillageCode.lte(hi))
        .filter(P::PersonalTotalFen.gt(min_fen));
    Ok(keyset_page(q, P::ResidentId, after, limit)
        .all(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_show_the_whole_id() {
        let m = mask("11010519491231002X");
        assert_eq!(m, "110105********002X");
        assert_eq!(mask("garbage"), "(unreadable id)");
    }
}

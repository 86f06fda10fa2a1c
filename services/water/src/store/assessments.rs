//! The assessment history and the `current` table that holds each household's latest
//! status (and latest seasonal check), written together so they never disagree.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use prost::Message;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use xk_contracts::pb::water::v1::Assessment;
use xk_runtime::ApiError;
use xk_runtime::partition::{Lookup, key_regions, regions};

use super::entities::{assessment, current};
use super::support::{CHUNK, in_chunks, unreadable};
use super::{ASSESSMENTS, ASSESSMENTS_TABLE, CURRENT, CURRENT_TABLE};
use crate::domain;
use xk_runtime::query::{keyset_page, stored_keys, under_prefix};

/// The error a unique-key violation on a write of the history means: another writer
/// assigned the same seq to the same household first. ABORTED with the retry marker, so
/// the runtime runs a unary call again rather than answer it.
fn conflict_or(e: sea_orm::DbErr) -> ApiError {
    if xk_runtime::errors::is_unique_violation(&e) {
        xk_runtime::errors::conflict_retry(
            "a concurrent assessment of the same household was written first; retry",
        )
        .into()
    } else {
        ApiError::Db(e)
    }
}

/// A validated, graded assessment ready to store.
#[derive(Debug, Clone)]
pub struct NewAssessment {
    /// The record as it will be returned (normalised input plus grading; seq unset).
    pub doc: Assessment,
    /// The household.
    pub household_id: String,
    /// Its village.
    pub village_code: String,
    /// Its size.
    pub people: i32,
    /// The assessment date.
    pub assessed_on: NaiveDate,
    /// A seasonal check.
    pub seasonal_check: bool,
    /// The centralized scheme, if any.
    pub scheme_id: Option<String>,
    /// The grades and verdict.
    pub grades: domain::Assessment,
    /// The policy year that graded it.
    pub policy_year: i32,
    /// The validated measurements; the numeric ones get their own nullable columns.
    pub measurements: domain::Measurements,
}

/// How this database reads the history and the current statuses: directly, or, once
/// they are partitioned by county, through their key tables, so that a household's reads
/// and a batch's locks touch its county's partitions alone ([`key_regions`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reads {
    /// The history (`assessments`).
    pub history: Lookup,
    /// The current statuses (`water_current`).
    pub current: Lookup,
}

impl Reads {
    /// How `db` reads the two tables (found when the service started).
    pub fn of(db: &xk_runtime::Db) -> Reads {
        Reads {
            history: db.lookup(ASSESSMENTS),
            current: db.lookup(CURRENT),
        }
    }
}

/// One stored assessment and whether it became its household's current status.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The record as stored, with its seq.
    pub assessment: Assessment,
    /// Whether it is now the household's current status.
    pub became_current: bool,
}

/// Folds one new assessment (given its seq) into a household's current row: it becomes
/// current when it is not older than the current one (ties go to the later arrival), and
/// the latest seasonal check when it is a seasonal check not older than the last one.
pub fn fold(prev: Option<current::Model>, n: &NewAssessment, seq: i64) -> (current::Model, bool) {
    let newer = prev.as_ref().is_none_or(|c| n.assessed_on >= c.assessed_on);
    let g = &n.grades;
    let mut c = prev.unwrap_or_else(|| current::Model {
        household_id: n.household_id.clone(),
        village_code: n.village_code.clone(),
        people: n.people,
        last_seq: 0,
        seq,
        assessed_on: n.assessed_on,
        verdict: 0,
        quantity: 0,
        quality: 0,
        convenience: 0,
        supply_guarantee: 0,
        seasonal_checked: false,
        seasonal_seq: None,
        seasonal_on: None,
        seasonal_shortage: false,
    });
    c.last_seq = seq;
    if newer {
        c.village_code = n.village_code.clone();
        c.people = n.people;
        c.seq = seq;
        c.assessed_on = n.assessed_on;
        c.verdict = i32::from(g.verdict.score());
        c.quantity = i32::from(g.quantity.score());
        c.quality = i32::from(g.quality.score());
        c.convenience = i32::from(g.convenience.score());
        c.supply_guarantee = i32::from(g.supply_guarantee.score());
    }
    if n.seasonal_check && c.seasonal_on.is_none_or(|d| n.assessed_on >= d) {
        c.seasonal_checked = true;
        c.seasonal_seq = Some(seq);
        c.seasonal_on = Some(n.assessed_on);
        c.seasonal_shortage = g.is_shortage();
    }
    (c, newer)
}

/// Current rows of these households, locked until the transaction ends
/// ([`xk_runtime::db::for_update`]) so that concurrent assessments of one household queue
/// for its next seq. Pass `ids` sorted: every writer then locks in the same order and two
/// batches cannot deadlock. A household's first assessment has no row to lock; two of
/// those racing collide on the seq key, and the loser is run again ([`conflict_or`]).
/// Partitioned, the read names the villages the key table places them in, so it locks
/// their counties' partitions alone; a row that moved meanwhile is missed like a first
/// assessment, and collides the same way.
async fn current_rows<C: ConnectionTrait>(
    conn: &C,
    lookup: Lookup,
    ids: &[&str],
) -> Result<HashMap<String, current::Model>, ApiError> {
    let villages = key_regions(conn, lookup, &CURRENT_TABLE, ids)
        .await?
        .map(|placed| regions(&placed));
    if villages.as_ref().is_some_and(Vec::is_empty) {
        return Ok(HashMap::new());
    }
    let rows = in_chunks(ids, |chunk| {
        let q = xk_runtime::db::for_update(current::Entity::find())
            .filter(current::Column::HouseholdId.is_in(chunk.iter().copied()));
        let q = match &villages {
            Some(v) => q.filter(current::Column::VillageCode.is_in(v.iter().map(String::as_str))),
            None => q,
        };
        q.all(conn)
    })
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.household_id.clone(), r))
        .collect())
}

/// Stores assessments in order: each gets the next seq of its household, goes into the
/// history, and replaces the household's current row when it is the newest. Multi-row
/// statements; call inside the write transaction.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    reads: Reads,
    items: Vec<NewAssessment>,
) -> Result<Vec<Recorded>, ApiError> {
    let mut ids: Vec<&str> = items.iter().map(|n| n.household_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut cur = current_rows(conn, reads.current, &ids).await?;
    // Where each current row is now, to find it again when a partitioned table replaces
    // it (a plain table's upsert needs no such list).
    let as_read: Vec<(String, String)> = match reads.current {
        Lookup::ThroughKeys => cur
            .values()
            .map(|c| (c.household_id.clone(), c.village_code.clone()))
            .collect(),
        Lookup::Direct => Vec::new(),
    };
    let mut touched: Vec<String> = Vec::new();
    let mut rows = Vec::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    let now = Utc::now();
    for n in items {
        let prev = cur.remove(&n.household_id);
        let seq = prev.as_ref().map_or(1, |c| c.last_seq + 1);
        touched.push(n.household_id.clone());
        let (c, became_current) = fold(prev, &n, seq);
        cur.insert(n.household_id.clone(), c);
        let mut doc = n.doc;
        doc.seq = seq;
        let m = &n.measurements;
        let column = |v: Option<u32>| Set(v.map(i64::from));
        rows.push(assessment::ActiveModel {
            litres_per_person_day: column(m.litres_per_person_day),
            fetch_round_trip_minutes: column(m.fetch_round_trip_minutes),
            horizontal_distance_m: column(m.horizontal_distance_m),
            vertical_distance_m: column(m.vertical_distance_m),
            outage_days_last_12_months: column(m.outage_days_last_12_months),
            household_id: Set(n.household_id),
            seq: Set(seq),
            village_code: Set(n.village_code),
            people: Set(n.people),
            assessed_on: Set(n.assessed_on),
            seasonal_check: Set(n.seasonal_check),
            scheme_id: Set(n.scheme_id),
            verdict: Set(i32::from(n.grades.verdict.score())),
            policy_year: Set(n.policy_year),
            doc: Set(doc.encode_to_vec()),
            recorded_at: Set(now),
        });
        out.push(Recorded {
            assessment: doc,
            became_current,
        });
    }
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let chunk: Vec<_> = it.by_ref().take(CHUNK).collect();
        assessment::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await
            .map_err(conflict_or)?;
    }
    touched.sort_unstable();
    touched.dedup();
    let models = touched.iter().filter_map(|id| cur.remove(id));
    if reads.current == Lookup::ThroughKeys {
        replace_partitioned(conn, &as_read, models.collect()).await
    } else {
        upsert_current(conn, models.collect()).await
    }?;
    Ok(out)
}

/// Writes current rows over a plain table: one upsert on the household id per chunk.
async fn upsert_current<C: ConnectionTrait>(
    conn: &C,
    models: Vec<current::Model>,
) -> Result<(), ApiError> {
    let upsert = OnConflict::column(current::Column::HouseholdId)
        .update_columns([
            current::Column::VillageCode,
            current::Column::People,
            current::Column::LastSeq,
            current::Column::Seq,
            current::Column::AssessedOn,
            current::Column::Verdict,
            current::Column::Quantity,
            current::Column::Quality,
            current::Column::Convenience,
            current::Column::SupplyGuarantee,
            current::Column::SeasonalChecked,
            current::Column::SeasonalSeq,
            current::Column::SeasonalOn,
            current::Column::SeasonalShortage,
        ])
        .to_owned();
    for chunk in models.chunks(CHUNK) {
        current::Entity::insert_many(chunk.iter().cloned().map(current_active))
            .on_conflict(upsert.clone())
            .exec_without_returning(conn)
            .await
            .map_err(conflict_or)?;
    }
    Ok(())
}

/// Writes current rows over a table partitioned by county, whose unique key includes the
/// village, so no upsert on the household id alone exists: the rows as read (`as_read`,
/// household and village, which prunes each delete to its partition) are deleted and
/// every row inserted again. The key table's and the rollups' statement triggers see a
/// removal and an insertion, as for a household that moved county.
async fn replace_partitioned<C: ConnectionTrait>(
    conn: &C,
    as_read: &[(String, String)],
    models: Vec<current::Model>,
) -> Result<(), ApiError> {
    for chunk in as_read.chunks(CHUNK) {
        let mut rows = Condition::any();
        for (household, village) in chunk {
            rows = rows.add(
                Condition::all()
                    .add(current::Column::HouseholdId.eq(household.as_str()))
                    .add(current::Column::VillageCode.eq(village.as_str())),
            );
        }
        current::Entity::delete_many()
            .filter(rows)
            .exec(conn)
            .await?;
    }
    for chunk in models.chunks(CHUNK) {
        current::Entity::insert_many(chunk.iter().cloned().map(current_active))
            .exec_without_returning(conn)
            .await
            .map_err(conflict_or)?;
    }
    Ok(())
}

fn current_active(c: current::Model) -> current::ActiveModel {
    current::ActiveModel {
        household_id: Set(c.household_id),
        village_code: Set(c.village_code),
        people: Set(c.people),
        last_seq: Set(c.last_seq),
        seq: Set(c.seq),
        assessed_on: Set(c.assessed_on),
        verdict: Set(c.verdict),
        quantity: Set(c.quantity),
        quality: Set(c.quality),
        convenience: Set(c.convenience),
        supply_guarantee: Set(c.supply_guarantee),
        seasonal_checked: Set(c.seasonal_checked),
        seasonal_seq: Set(c.seasonal_seq),
        seasonal_on: Set(c.seasonal_on),
        seasonal_shortage: Set(c.seasonal_shortage),
    }
}

fn decode_assessment(row: assessment::Model) -> Result<Assessment, ApiError> {
    let mut a = Assessment::decode(row.doc.as_slice())
        .map_err(|e| unreadable("assessment", &row.household_id, e))?;
    a.seq = row.seq;
    Ok(a)
}

/// A household's assessments, newest first (by date, then seq). Partitioned, only the
/// partitions of the villages the key table names are read.
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    reads: Reads,
    household_id: &str,
) -> Result<Vec<Assessment>, ApiError> {
    let q = assessment::Entity::find().filter(assessment::Column::HouseholdId.eq(household_id));
    let q = match key_regions(conn, reads.history, &ASSESSMENTS_TABLE, &[household_id]).await? {
        None => q,
        Some(placed) if placed.is_empty() => return Ok(Vec::new()),
        Some(placed) => q.filter(assessment::Column::VillageCode.is_in(regions(&placed))),
    };
    let rows = q
        .order_by_desc(assessment::Column::AssessedOn)
        .order_by_desc(assessment::Column::Seq)
        .all(conn)
        .await?;
    rows.into_iter().map(decode_assessment).collect()
}

/// Which current rows ListExceptions selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrentFilter {
    /// Current verdict 不安全.
    Unsafe,
    /// Latest seasonal check found a shortage.
    SeasonalShortage,
}

/// Up to `limit` current rows matching `f` under `prefix` after `after`, in household-id
/// order, each with the assessment behind it (current, or latest seasonal check). The
/// current rows are read under `prefix`, which prunes partitions itself; their
/// assessments, by key, through the key table's villages when partitioned.
pub async fn list_current<C: ConnectionTrait>(
    conn: &C,
    reads: Reads,
    f: CurrentFilter,
    prefix: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<(String, Assessment)>, ApiError> {
    let q = current::Entity::find();
    let q = match f {
        CurrentFilter::Unsafe => {
            q.filter(current::Column::Verdict.eq(i32::from(domain::Verdict::Unsafe.score())))
        }
        CurrentFilter::SeasonalShortage => q.filter(current::Column::SeasonalShortage.eq(true)),
    };
    let q = under_prefix(q, current::Column::VillageCode, prefix);
    let rows = keyset_page(q, current::Column::HouseholdId, after, limit)
        .all(conn)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<(String, i64)> = rows
        .iter()
        .map(|r| {
            let seq = match f {
                CurrentFilter::Unsafe => r.seq,
                CurrentFilter::SeasonalShortage => r.seasonal_seq.unwrap_or(r.seq),
            };
            (r.household_id.clone(), seq)
        })
        .collect();
    let mut cond = Condition::any();
    for (h, s) in &keys {
        cond = cond.add(
            Condition::all()
                .add(assessment::Column::HouseholdId.eq(h.as_str()))
                .add(assessment::Column::Seq.eq(*s)),
        );
    }
    let households: Vec<&str> = keys.iter().map(|(h, _)| h.as_str()).collect();
    let q = assessment::Entity::find().filter(cond);
    let q = match key_regions(conn, reads.history, &ASSESSMENTS_TABLE, &households).await? {
        Some(placed) => q.filter(assessment::Column::VillageCode.is_in(regions(&placed))),
        None => q,
    };
    let docs = q.all(conn).await?;
    let mut by_key: HashMap<(String, i64), Assessment> = HashMap::new();
    for row in docs {
        let key = (row.household_id.clone(), row.seq);
        by_key.insert(key, decode_assessment(row)?);
    }
    keys.into_iter()
        .map(|k| {
            let a = by_key.remove(&k).ok_or_else(|| {
                ApiError::Db(sea_orm::DbErr::Custom(
                    "current status refers to a missing assessment".into(),
                ))
            })?;
            Ok((k.0, a))
        })
        .collect()
}

/// Which of these households have at least one assessment: read from the current rows'
/// key table alone once partitioned (it holds every household id).
pub async fn assessed_among<C: ConnectionTrait>(
    conn: &C,
    reads: Reads,
    ids: &[&str],
) -> Result<HashSet<String>, ApiError> {
    match key_regions(conn, reads.current, &CURRENT_TABLE, ids).await? {
        Some(placed) => Ok(placed.into_iter().map(|(h, _)| h).collect()),
        None => {
            stored_keys::<current::Entity, _>(conn, current::Column::HouseholdId, ids, CHUNK).await
        }
    }
}

#[cfg(test)]
mod tests;

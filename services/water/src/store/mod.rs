//! The water service's I/O: schemes, the assessment history, and the `current` table that
//! holds each household's latest status. No rules here: callers pass records the domain
//! has validated and graded.

pub mod entities;
pub mod gauges;
pub mod migration;
pub mod summary;

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use prost::Message;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use xk_contracts::pb::water::v1::{Assessment, Scheme};

use crate::domain;
use crate::error::WaterError;
use entities::{assessment, current, scheme, scheme_village};

/// Rows per multi-row statement: well under SQLite's bound-parameter limit for every
/// table here (the widest has 15 columns).
const CHUNK: usize = 500;

/// Lowest and highest 12-digit codes under a prefix (an index range scan in both databases).
pub fn prefix_range(prefix: &str) -> (String, String) {
    (format!("{prefix:0<12}"), format!("{prefix:9<12}"))
}

/// The error a unique-key violation on a write of the history means: another writer
/// assigned the same seq to the same household first.
fn conflict_or(e: sea_orm::DbErr) -> WaterError {
    if xk_runtime::errors::is_unique_violation(&e) {
        WaterError::Conflict(
            "a concurrent assessment of the same household was written first; retry".into(),
        )
    } else {
        WaterError::Db(e)
    }
}

fn unreadable(what: &str, key: &str, e: prost::DecodeError) -> WaterError {
    tracing::error!(what, key, error = %e, "stored record does not decode");
    WaterError::Db(sea_orm::DbErr::Custom(format!(
        "stored {what} is unreadable"
    )))
}

// ---------------------------------------------------------------- schemes

fn decode_scheme(row: scheme::Model) -> Result<Scheme, WaterError> {
    let mut s =
        Scheme::decode(row.doc.as_slice()).map_err(|e| unreadable("scheme", &row.scheme_id, e))?;
    s.etag = row.version.to_string();
    Ok(s)
}

fn scheme_row(s: &Scheme, version: i64) -> scheme::ActiveModel {
    let mut doc = s.clone();
    doc.etag.clear();
    scheme::ActiveModel {
        scheme_id: Set(s.scheme_id.clone()),
        version: Set(version),
        doc: Set(doc.encode_to_vec()),
        updated_at: Set(Utc::now()),
    }
}

async fn write_scheme_villages<C: ConnectionTrait>(conn: &C, s: &Scheme) -> Result<(), WaterError> {
    scheme_village::Entity::delete_many()
        .filter(scheme_village::Column::SchemeId.eq(&s.scheme_id))
        .exec(conn)
        .await?;
    for chunk in s.village_codes.chunks(CHUNK) {
        scheme_village::Entity::insert_many(chunk.iter().map(|v| scheme_village::ActiveModel {
            scheme_id: Set(s.scheme_id.clone()),
            village_code: Set(v.clone()),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Inserts a new scheme (version 1); ALREADY_EXISTS if the id is taken.
pub async fn insert_scheme<C: ConnectionTrait>(conn: &C, s: &Scheme) -> Result<Scheme, WaterError> {
    match scheme::Entity::insert(scheme_row(s, 1))
        .exec_without_returning(conn)
        .await
    {
        Err(e) if xk_runtime::errors::is_unique_violation(&e) => {
            return Err(WaterError::AlreadyExists {
                what: "scheme",
                name: s.scheme_id.clone(),
                field: "scheme.scheme_id".into(),
            });
        }
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    write_scheme_villages(conn, s).await?;
    let mut stored = s.clone();
    stored.etag = "1".into();
    Ok(stored)
}

/// Reads one scheme.
pub async fn get_scheme<C: ConnectionTrait>(conn: &C, id: &str) -> Result<Scheme, WaterError> {
    load_scheme(conn, scheme::Entity::find_by_id(id.to_string()), id).await
}

/// Reads a scheme to change it, locking the row until the transaction ends
/// ([`xk_runtime::db::for_update`]): concurrent writes to one scheme queue.
pub async fn lock_scheme<C: ConnectionTrait>(conn: &C, id: &str) -> Result<Scheme, WaterError> {
    let select = xk_runtime::db::for_update(scheme::Entity::find_by_id(id.to_string()));
    load_scheme(conn, select, id).await
}

async fn load_scheme<C: ConnectionTrait>(
    conn: &C,
    select: sea_orm::Select<scheme::Entity>,
    id: &str,
) -> Result<Scheme, WaterError> {
    let row = select
        .one(conn)
        .await?
        .ok_or_else(|| WaterError::NotFound {
            what: "scheme",
            name: id.to_string(),
        })?;
    decode_scheme(row)
}

/// Replaces a scheme if its version is still `expected`; returns it as stored.
pub async fn save_scheme<C: ConnectionTrait>(
    conn: &C,
    s: &Scheme,
    expected: i64,
) -> Result<Scheme, WaterError> {
    let row = scheme_row(s, expected + 1);
    let updated = scheme::Entity::update_many()
        .set(row)
        .filter(scheme::Column::SchemeId.eq(&s.scheme_id))
        .filter(scheme::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(WaterError::Conflict(
            "the scheme changed concurrently; re-read and retry".into(),
        ));
    }
    write_scheme_villages(conn, s).await?;
    let mut stored = s.clone();
    stored.etag = (expected + 1).to_string();
    Ok(stored)
}

/// Deletes a scheme and its village list.
pub async fn delete_scheme<C: ConnectionTrait>(conn: &C, id: &str) -> Result<(), WaterError> {
    scheme_village::Entity::delete_many()
        .filter(scheme_village::Column::SchemeId.eq(id))
        .exec(conn)
        .await?;
    scheme::Entity::delete_by_id(id.to_string())
        .exec(conn)
        .await?;
    Ok(())
}

/// How many assessments refer to the scheme.
pub async fn scheme_references<C: ConnectionTrait>(conn: &C, id: &str) -> Result<u64, WaterError> {
    Ok(assessment::Entity::find()
        .filter(assessment::Column::SchemeId.eq(id))
        .count(conn)
        .await?)
}

/// Which of these scheme ids are registered.
pub async fn existing_schemes<C: ConnectionTrait>(
    conn: &C,
    ids: &[&str],
) -> Result<HashSet<String>, WaterError> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let got = scheme::Entity::find()
            .select_only()
            .column(scheme::Column::SchemeId)
            .filter(scheme::Column::SchemeId.is_in(chunk.iter().copied()))
            .into_tuple::<String>()
            .all(conn)
            .await?;
        found.extend(got);
    }
    Ok(found)
}

/// Up to `limit` schemes after `after` in id order; with a prefix, those serving a
/// village under it.
pub async fn list_schemes<C: ConnectionTrait>(
    conn: &C,
    prefix: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<Scheme>, WaterError> {
    let mut q = scheme::Entity::find();
    if !prefix.is_empty() {
        let (lo, hi) = prefix_range(prefix);
        let ids = scheme_village::Entity::find()
            .select_only()
            .column(scheme_village::Column::SchemeId)
            .distinct()
            .filter(scheme_village::Column::VillageCode.gte(lo))
            .filter(scheme_village::Column::VillageCode.lte(hi))
            .into_query();
        q = q.filter(scheme::Column::SchemeId.in_subquery(ids));
    }
    if let Some(a) = after {
        q = q.filter(scheme::Column::SchemeId.gt(a));
    }
    let rows = q
        .order_by_asc(scheme::Column::SchemeId)
        .limit(limit)
        .all(conn)
        .await?;
    rows.into_iter().map(decode_scheme).collect()
}

// ---------------------------------------------------------------- assessments

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
async fn current_rows<C: ConnectionTrait>(
    conn: &C,
    ids: &[&str],
) -> Result<HashMap<String, current::Model>, WaterError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows = xk_runtime::db::for_update(current::Entity::find())
            .filter(current::Column::HouseholdId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        out.extend(rows.into_iter().map(|r| (r.household_id.clone(), r)));
    }
    Ok(out)
}

/// Stores assessments in order: each gets the next seq of its household, goes into the
/// history, and replaces the household's current row when it is the newest. Multi-row
/// statements; call inside the write transaction.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    items: Vec<NewAssessment>,
) -> Result<Vec<Recorded>, WaterError> {
    let mut ids: Vec<&str> = items.iter().map(|n| n.household_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut cur = current_rows(conn, &ids).await?;
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
    for chunk in touched.chunks(CHUNK) {
        let models = chunk
            .iter()
            .filter_map(|id| cur.remove(id))
            .map(current_active);
        current::Entity::insert_many(models)
            .on_conflict(upsert.clone())
            .exec_without_returning(conn)
            .await
            .map_err(conflict_or)?;
    }
    Ok(out)
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

fn decode_assessment(row: assessment::Model) -> Result<Assessment, WaterError> {
    let mut a = Assessment::decode(row.doc.as_slice())
        .map_err(|e| unreadable("assessment", &row.household_id, e))?;
    a.seq = row.seq;
    Ok(a)
}

/// A household's assessments, newest first (by date, then seq).
pub async fn history<C: ConnectionTrait>(
    conn: &C,
    household_id: &str,
) -> Result<Vec<Assessment>, WaterError> {
    let rows = assessment::Entity::find()
        .filter(assessment::Column::HouseholdId.eq(household_id))
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
/// order, each with the assessment behind it (current, or latest seasonal check).
pub async fn list_current<C: ConnectionTrait>(
    conn: &C,
    f: CurrentFilter,
    prefix: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<(String, Assessment)>, WaterError> {
    let mut q = current::Entity::find();
    q = match f {
        CurrentFilter::Unsafe => {
            q.filter(current::Column::Verdict.eq(i32::from(domain::Verdict::Unsafe.score())))
        }
        CurrentFilter::SeasonalShortage => q.filter(current::Column::SeasonalShortage.eq(true)),
    };
    if !prefix.is_empty() {
        let (lo, hi) = prefix_range(prefix);
        q = q
            .filter(current::Column::VillageCode.gte(lo))
            .filter(current::Column::VillageCode.lte(hi));
    }
    if let Some(a) = after {
        q = q.filter(current::Column::HouseholdId.gt(a));
    }
    let rows = q
        .order_by_asc(current::Column::HouseholdId)
        .limit(limit)
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
    let docs = assessment::Entity::find().filter(cond).all(conn).await?;
    let mut by_key: HashMap<(String, i64), Assessment> = HashMap::new();
    for row in docs {
        let key = (row.household_id.clone(), row.seq);
        by_key.insert(key, decode_assessment(row)?);
    }
    keys.into_iter()
        .map(|k| {
            let a = by_key.remove(&k).ok_or_else(|| {
                WaterError::Db(sea_orm::DbErr::Custom(
                    "current status refers to a missing assessment".into(),
                ))
            })?;
            Ok((k.0, a))
        })
        .collect()
}

/// Which of these households have at least one assessment.
pub async fn assessed_among<C: ConnectionTrait>(
    conn: &C,
    ids: &[&str],
) -> Result<HashSet<String>, WaterError> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let got = current::Entity::find()
            .select_only()
            .column(current::Column::HouseholdId)
            .filter(current::Column::HouseholdId.is_in(chunk.iter().copied()))
            .into_tuple::<String>()
            .all(conn)
            .await?;
        found.extend(got);
    }
    Ok(found)
}

/// Sets (or replaces) a village's configured area type.
pub async fn set_village_area<C: ConnectionTrait>(
    conn: &C,
    village_code: &str,
    area: i32,
) -> Result<(), WaterError> {
    use entities::village_area as va;
    va::Entity::insert(va::ActiveModel {
        village_code: sea_orm::ActiveValue::Set(village_code.to_string()),
        area: sea_orm::ActiveValue::Set(area),
        updated_at: sea_orm::ActiveValue::Set(Utc::now()),
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
) -> Result<HashMap<String, i32>, WaterError> {
    use entities::village_area as va;
    let mut found = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let got = va::Entity::find()
            .select_only()
            .column(va::Column::VillageCode)
            .column(va::Column::Area)
            .filter(va::Column::VillageCode.is_in(chunk.iter().copied()))
            .into_tuple::<(String, i32)>()
            .all(conn)
            .await?;
        found.extend(got);
    }
    Ok(found)
}

/// Up to `limit` configured villages after `after`, in code order, under a prefix.
pub async fn list_village_areas<C: ConnectionTrait>(
    conn: &C,
    region_prefix: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<(String, i32)>, WaterError> {
    use entities::village_area as va;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Grade;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn new(on: NaiveDate, seasonal: bool, grades: domain::Assessment) -> NewAssessment {
        NewAssessment {
            doc: Assessment::default(),
            household_id: "H1".into(),
            village_code: "420625100201".into(),
            people: 3,
            assessed_on: on,
            seasonal_check: seasonal,
            scheme_id: None,
            grades,
            policy_year: 2018,
            measurements: domain::Measurements {
                supply: domain::Supply::Scattered {
                    kind: domain::ScatteredKind::Well,
                },
                litres_per_person_day: Some(40),
                quality: domain::QualityEvidence::OnSiteCheck {
                    no_visible_impurity_colour_smell: true,
                    no_harm_long_use: true,
                },
                piped_in: false,
                fetch_round_trip_minutes: None,
                horizontal_distance_m: Some(300),
                vertical_distance_m: None,
                outage_days_last_12_months: Some(0),
                area: domain::AreaType::WaterRich,
                assessed_on: on,
                seasonal_check: seasonal,
            },
        }
    }

    fn all(g: Grade) -> domain::Assessment {
        domain::Assessment::from_grades(g, g, g, g)
    }

    #[test]
    fn newer_replaces_older_stays_in_history_only() {
        let (c, became) = fold(None, &new(d(2019, 5, 1), false, all(Grade::Met)), 1);
        assert!(became);
        assert_eq!((c.seq, c.last_seq, c.verdict), (1, 1, 2));
        let (c, became) = fold(Some(c), &new(d(2019, 4, 1), false, all(Grade::NotMet)), 2);
        assert!(
            !became,
            "an older assessment does not replace the current one"
        );
        assert_eq!((c.seq, c.last_seq, c.verdict), (1, 2, 2));
        let (c, became) = fold(
            Some(c),
            &new(d(2019, 5, 1), false, all(Grade::BasicallyMet)),
            3,
        );
        assert!(became, "same date: the later arrival wins");
        assert_eq!((c.seq, c.last_seq, c.verdict), (3, 3, 1));
    }

    #[test]
    fn seasonal_checks_are_tracked_apart() {
        let short =
            domain::Assessment::from_grades(Grade::NotMet, Grade::Met, Grade::Met, Grade::Met);
        let (c, _) = fold(None, &new(d(2019, 8, 1), true, short), 1);
        assert!(c.seasonal_checked && c.seasonal_shortage);
        assert_eq!(c.seasonal_seq, Some(1));
        // A later ordinary assessment changes the current status, not the seasonal result.
        let (c, _) = fold(Some(c), &new(d(2019, 9, 1), false, all(Grade::Met)), 2);
        assert_eq!((c.seq, c.verdict), (2, 2));
        assert!(c.seasonal_shortage);
        // A later seasonal check that is fine clears the shortage.
        let (c, _) = fold(Some(c), &new(d(2019, 10, 1), true, all(Grade::Met)), 3);
        assert!(!c.seasonal_shortage);
        assert_eq!(c.seasonal_seq, Some(3));
    }
}

//! The registry's I/O: reading and writing household records and their derived rows.
//! No rules here: callers pass records the domain has checked.

pub mod cache;
pub mod entities;
pub mod expenses;
pub mod gauges;
pub mod migration;
pub mod rollups;
pub mod summary;

use std::collections::HashSet;

use chrono::Utc;
use prost::Message;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::registry::v1::{ArchiveStatus, Household, MonitoringCategory, Village};

use xk_runtime::ApiError;
use xk_runtime::db::WriteTxn;
use xk_runtime::partition::{Lookup, find_by_key};
pub use xk_runtime::query::prefix_range;
use xk_runtime::query::{
    Keyset, insert_chunks, stored_keys, unreadable, update_at_version, upsert,
};
use xk_runtime::write::{RecordStore, Versioned};

use crate::domain::record::{active_people, mask};
use entities::{household, member, village};

/// The resource name of a household in NOT_FOUND, ABORTED and ALREADY_EXISTS answers.
pub const HOUSEHOLD: &str = "household";

/// The households table's name, for lookups through its key table once partitioned.
pub const HOUSEHOLDS_TABLE: &str = "households";

/// The tables a province's PostgreSQL database may partition by county
/// (`xiaokang migrate registry --partition-by-county`): every household and every member,
/// keyed by archive card number and resident id, both unique across the province still.
pub const PARTITIONABLE: &[xk_runtime::partition::Partitionable] = &[
    xk_runtime::partition::Partitionable {
        table: HOUSEHOLDS_TABLE,
        key: &["household_id"],
        region: "village_code",
    },
    xk_runtime::partition::Partitionable {
        table: "members",
        key: &["resident_id"],
        region: "village_code",
    },
];

/// Rows per multi-row INSERT: well under SQLite's bound-parameter limit for every table.
const INSERT_CHUNK: usize = 1000;

fn household_row(h: &Household, version: i64) -> household::ActiveModel {
    let mut doc = h.clone();
    doc.etag.clear();
    let m = h.monitoring.as_ref();
    household::ActiveModel {
        household_id: Set(h.household_id.clone()),
        village_code: Set(h.village_code.clone()),
        status: Set(h.status),
        identified_year: Set(h.identified_year),
        exited_year: Set(h.exited_year),
        people: Set(active_people(h) as i32),
        monitoring_category: Set(m.map_or(0, |m| m.category)),
        monitoring_stage: Set(m.map_or(0, |m| m.stage)),
        monitoring_identified_on: Set(m
            .and_then(|m| m.identified_on.as_ref())
            .and_then(|d| date_from_pb(d).ok())),
        version: Set(version),
        doc: Set(doc.encode_to_vec()),
        updated_at: Set(Utc::now()),
    }
}

/// What the members table holds of one member of `h`: resident id, household, village,
/// registered year, removed. A save compares these before and after the change.
type MemberFacts = (String, String, String, i32, bool);

/// The member rows of `h`, as [`MemberFacts`].
fn member_facts(h: &Household) -> Vec<MemberFacts> {
    h.members
        .iter()
        .map(|m| {
            (
                m.resident_id.clone(),
                h.household_id.clone(),
                h.village_code.clone(),
                m.registered_year,
                m.removed_on.is_some(),
            )
        })
        .collect()
}

fn member_rows(h: &Household) -> impl Iterator<Item = member::ActiveModel> + '_ {
    h.members.iter().map(|m| member::ActiveModel {
        resident_id: Set(m.resident_id.clone()),
        household_id: Set(h.household_id.clone()),
        village_code: Set(h.village_code.clone()),
        registered_year: Set(m.registered_year),
        removed: Set(m.removed_on.is_some()),
    })
}

fn decode(row: household::Model) -> Result<Household, ApiError> {
    let mut h = Household::decode(row.doc.as_slice())
        .map_err(|e| unreadable(HOUSEHOLD, &row.household_id, e))?;
    h.etag = row.version.to_string();
    Ok(h)
}

/// Which of these households and people are registered already: the first conflict found,
/// as (what, masked name, field path within the batch).
pub async fn find_conflict<C: ConnectionTrait>(
    conn: &C,
    batch: &[Household],
    prefix: impl Fn(usize) -> String,
) -> Result<Option<ApiError>, ApiError> {
    let ids: Vec<&str> = batch.iter().map(|h| h.household_id.as_str()).collect();
    let existing = stored_keys::<household::Entity, _>(
        conn,
        household::Column::HouseholdId,
        &ids,
        INSERT_CHUNK,
    )
    .await?;
    let mut seen_ids = HashSet::new();
    for (i, h) in batch.iter().enumerate() {
        if existing.contains(&h.household_id) || !seen_ids.insert(h.household_id.as_str()) {
            return Ok(Some(ApiError::AlreadyExists {
                what: HOUSEHOLD,
                name: h.household_id.clone(),
                field: format!("{}household_id", prefix(i)),
            }));
        }
    }
    let people: Vec<&str> = batch
        .iter()
        .flat_map(|h| h.members.iter().map(|m| m.resident_id.as_str()))
        .collect();
    let taken =
        stored_keys::<member::Entity, _>(conn, member::Column::ResidentId, &people, INSERT_CHUNK)
            .await?;
    let mut seen_people = HashSet::new();
    for (i, h) in batch.iter().enumerate() {
        for (j, m) in h.members.iter().enumerate() {
            if taken.contains(&m.resident_id) || !seen_people.insert(m.resident_id.as_str()) {
                return Ok(Some(ApiError::AlreadyExists {
                    what: "person",
                    name: mask(&m.resident_id),
                    field: format!("{}members[{j}].resident_id", prefix(i)),
                }));
            }
        }
    }
    Ok(None)
}

/// Inserts new households and their members (version 1), in multi-row statements.
pub async fn insert_households<C: ConnectionTrait>(
    conn: &C,
    batch: &[Household],
) -> Result<(), ApiError> {
    let households = batch.iter().map(|h| household_row(h, 1));
    insert_chunks(conn, households.collect(), INSERT_CHUNK / 4).await?;
    insert_chunks(
        conn,
        batch.iter().flat_map(member_rows).collect(),
        INSERT_CHUNK,
    )
    .await
}

/// Reads one household (`lookup`: how this database reads a household by id; see
/// [`xk_runtime::partition::Lookup`]).
pub async fn get<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    lookup: Lookup,
) -> Result<Household, ApiError> {
    load(conn, id, lookup, false).await
}

/// Reads one household to change it, locking its row until the transaction ends
/// ([`xk_runtime::db::for_update`]): concurrent writes to one household queue.
pub async fn get_for_update<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    lookup: Lookup,
) -> Result<Household, ApiError> {
    load(conn, id, lookup, true).await
}

async fn load<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    lookup: Lookup,
    for_update: bool,
) -> Result<Household, ApiError> {
    let row = find_by_key::<household::Entity, _>(conn, lookup, id.to_string(), for_update).await?;
    decode(row.ok_or_else(|| ApiError::not_found(HOUSEHOLD, id))?)
}

/// Writes a changed household if its version is still `expected` (as an etag string).
/// Its member rows are rewritten (a household has a handful) unless `members_as_read`,
/// the rows as the household was read, shows them unchanged: most changes (an income, a
/// monitoring step, an exit) touch only the document, and skipping the rewrite saves two
/// statements and the members rollup's deltas. `village_as_read`, the village the stored
/// row has, finds the row with its key: over partitions by county the update then touches
/// that county's partition alone, where the key alone would probe every partition.
/// Returns the household as stored.
pub async fn save<C: ConnectionTrait>(
    conn: &C,
    h: &Household,
    expected: &str,
    members_as_read: Option<&[MemberFacts]>,
    village_as_read: &str,
) -> Result<Household, ApiError> {
    let version: i64 = expected.parse().map_err(|_| ApiError::Stale {
        what: HOUSEHOLD,
        name: h.household_id.clone(),
        sent: expected.to_string(),
        current: String::new(),
    })?;
    let mut row = household_row(h, version + 1);
    row.household_id = sea_orm::ActiveValue::Unchanged(h.household_id.clone());
    use household::Column as H;
    let update = household::Entity::update_many()
        .set(row)
        .filter(H::VillageCode.eq(village_as_read));
    let id = (H::HouseholdId, h.household_id.as_str());
    if !update_at_version(conn, update, id, (H::Version, version)).await? {
        // Only to name the current version in the refusal: the direct read is right in
        // every database, if slower over partitions.
        let current = get(conn, &h.household_id, Lookup::Direct).await?;
        return Err(ApiError::Stale {
            what: HOUSEHOLD,
            name: h.household_id.clone(),
            sent: expected.to_string(),
            current: current.etag,
        });
    }
    if members_as_read == Some(member_facts(h).as_slice()) {
        let mut stored = h.clone();
        stored.etag = (version + 1).to_string();
        return Ok(stored);
    }
    // Member rows carry their household's village, so they are found the same way.
    member::Entity::delete_many()
        .filter(member::Column::HouseholdId.eq(&h.household_id))
        .filter(member::Column::VillageCode.eq(village_as_read))
        .exec(conn)
        .await?;
    let rows: Vec<_> = member_rows(h).collect();
    let inserted = if rows.is_empty() {
        Ok(())
    } else {
        member::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await
            .map(|_| ())
    };
    match inserted {
        Err(e) if xk_runtime::errors::is_unique_violation(&e) => {
            return Err(ApiError::AlreadyExists {
                what: "person",
                name: "a member".into(),
                field: "household.members".into(),
            });
        }
        Err(e) => return Err(e.into()),
        Ok(()) => {}
    }
    let mut stored = h.clone();
    stored.etag = (version + 1).to_string();
    Ok(stored)
}

/// A household as the write path holds it: the record, read at its etag, its member rows
/// as read (so a save that leaves them as they were does not rewrite them) and its village
/// as read (which finds its row, [`save`]). (A newtype because the record is the
/// contract's message and the trait the runtime's.)
#[derive(Debug, Clone)]
pub struct Locked(pub Household, Vec<MemberFacts>, String);

impl Locked {
    /// `h` as read from the store.
    fn read(h: Household) -> Self {
        let facts = member_facts(&h);
        let village = h.village_code.clone();
        Locked(h, facts, village)
    }
}

impl Versioned for Locked {
    const KIND: &'static str = HOUSEHOLD;

    fn etag(&self) -> &str {
        &self.0.etag
    }
}

/// The households table as the runtime's [`xk_runtime::write::update`] sees it: lock a
/// household's row, save it under its version.
#[derive(Debug, Clone, Copy)]
pub struct Households {
    /// How this database reads a household by id.
    pub lookup: Lookup,
}

impl RecordStore for Households {
    type Record = Locked;

    async fn lock(&self, txn: &WriteTxn, id: &str) -> Result<Locked, ApiError> {
        get_for_update(&**txn, id, self.lookup)
            .await
            .map(Locked::read)
    }

    async fn save(
        &self,
        txn: &WriteTxn,
        record: &Locked,
        read_etag: &str,
    ) -> Result<Locked, ApiError> {
        save(&**txn, &record.0, read_etag, Some(&record.1), &record.2)
            .await
            .map(Locked::read)
    }
}

/// The filter of a household list or export.
#[derive(Debug, Clone, Default)]
pub struct HouseholdFilter {
    /// Region prefix (digits) or empty.
    pub region_prefix: String,
    /// Status or any.
    pub status: Option<ArchiveStatus>,
    /// Monitoring category or any.
    pub monitoring_category: Option<MonitoringCategory>,
}

impl HouseholdFilter {
    /// A stable description, for binding page tokens to the filter.
    pub fn fingerprint(&self) -> String {
        format!(
            "r={};s={:?};m={:?}",
            self.region_prefix, self.status, self.monitoring_category
        )
    }
}

/// One page of households in household-id order (the page's region prefix is the
/// filter's).
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    f: &HouseholdFilter,
    page: Keyset<'_>,
) -> Result<Vec<Household>, ApiError> {
    use household::Column as H;
    let mut q = household::Entity::find();
    if let Some(s) = f.status {
        q = q.filter(H::Status.eq(s as i32));
    }
    if let Some(c) = f.monitoring_category {
        q = q.filter(H::MonitoringCategory.eq(c as i32));
    }
    let rows = page.rows(conn, q, (H::VillageCode, H::HouseholdId)).await?;
    rows.into_iter().map(decode).collect()
}

/// Inserts or replaces a village.
pub async fn upsert_village<C: ConnectionTrait>(
    conn: &C,
    v: &Village,
    is_community: bool,
) -> Result<(), ApiError> {
    let row = village::ActiveModel {
        village_code: Set(v.village_code.clone()),
        name: Set(v.name.clone()),
        is_community: Set(is_community),
        poor_village: Set(v.poor_village),
        collective_income_fen: Set(v.collective_income_fen),
        collective_income_year: Set(v.collective_income_year),
        updated_at: Set(Utc::now()),
    };
    upsert(conn, row, [village::Column::VillageCode]).await
}

/// One page of villages in code order.
pub async fn list_villages<C: ConnectionTrait>(
    conn: &C,
    page: Keyset<'_>,
) -> Result<Vec<Village>, ApiError> {
    use village::Column as V;
    let select = village::Entity::find();
    let rows = page
        .rows(conn, select, (V::VillageCode, V::VillageCode))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Village {
            village_code: r.village_code,
            name: r.name,
            poor_village: r.poor_village,
            collective_income_fen: r.collective_income_fen,
            collective_income_year: r.collective_income_year,
        })
        .collect())
}

/// Counts households (every row, for tests and the crash checks).
pub async fn count_households<C: ConnectionTrait>(conn: &C) -> Result<u64, ApiError> {
    use sea_orm::PaginatorTrait;
    Ok(household::Entity::find().count(conn).await?)
}

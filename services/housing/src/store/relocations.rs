//! Relocated households: the whole record (a protobuf document) with the columns derived
//! from its checked facts, which the lists, the exceptions and the summaries query.

use std::collections::HashSet;

use chrono::Utc;
use prost::Message;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use tonic::Status;
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::ApiError;
use xk_runtime::db::WriteTxn;
use xk_runtime::query::{
    insert_chunks, one_or_not_found, stored_keys, unreadable, update_at_version,
};
use xk_runtime::write::{RecordStore, Versioned};

use super::INSERT_CHUNK;
use super::entities::relocation;
use crate::checked::Checked;
use crate::domain::milestones::moved_in_on;
use crate::domain::relocation::{Demolition, demolition_due, has_over_area_reason, over_area};
use crate::domain::site::SiteType;
use crate::domain::support::employment_ok;
use xk_runtime::query::Keyset;

fn columns(c: &Checked, version: i64) -> relocation::ActiveModel {
    let f = &c.facts;
    let moved_on = moved_in_on(f.site_type, &f.milestones);
    let required = f.old_house.demolition == Demolition::Required;
    let demolished = f.milestones.demolished.is_some();
    let due = if required && !demolished {
        demolition_due(f.site_type, &f.milestones, &c.policy)
    } else {
        None
    };
    let reclaimed = if f.milestones.reclamation_accepted.is_some() {
        f.old_house.reclaimed_centi_mu
    } else {
        0
    };
    let mut doc = c.record.clone();
    doc.etag.clear();
    relocation::ActiveModel {
        household_id: Set(c.record.household_id.clone()),
        origin_village_code: Set(c.record.origin_village_code.clone()),
        site_id: Set(c.record.site_id.clone()),
        site_type: Set(c.record.site_type),
        batch_year: Set(c.record.batch_year),
        members: Set(c.record.members),
        moved_in: Set(moved_on.is_some()),
        moved_in_on: Set(moved_on),
        demolition_required: Set(required),
        demolished: Set(demolished),
        demolition_due: Set(due),
        reclaimed_centi_mu: Set(reclaimed),
        has_support: Set(!f.support.is_empty()),
        has_labour: Set(f.labour_members > 0),
        employment_ok: Set(employment_ok(f.labour_members, f.employed_members)),
        over_area_no_reason: Set(
            over_area(&f.housing, &c.policy) && !has_over_area_reason(&f.housing)
        ),
        version: Set(version),
        doc: Set(doc.encode_to_vec()),
        updated_at: Set(Utc::now()),
    }
}

fn decode(row: relocation::Model) -> Result<pb::Relocation, ApiError> {
    let mut r = pb::Relocation::decode(row.doc.as_slice())
        .map_err(|e| unreadable("relocation", &row.household_id, e))?;
    r.etag = row.version.to_string();
    Ok(r)
}

/// Inserts new relocated households (version 1) in multi-row statements.
pub async fn insert<C: ConnectionTrait>(conn: &C, batch: &[Checked]) -> Result<(), ApiError> {
    insert_chunks(
        conn,
        batch.iter().map(|c| columns(c, 1)).collect(),
        INSERT_CHUNK,
    )
    .await
}

/// Which household of a batch is registered already (or twice in the batch): its index.
pub async fn find_existing<C: ConnectionTrait>(
    conn: &C,
    ids: &[&str],
) -> Result<Option<usize>, ApiError> {
    let existing = stored_keys::<relocation::Entity, _>(
        conn,
        relocation::Column::HouseholdId,
        ids,
        INSERT_CHUNK,
    )
    .await?;
    let mut seen = HashSet::new();
    Ok(ids
        .iter()
        .position(|id| existing.contains(*id) || !seen.insert(*id)))
}

/// Reads one relocated household.
pub async fn get<C: ConnectionTrait>(conn: &C, id: &str) -> Result<pb::Relocation, ApiError> {
    let select = relocation::Entity::find_by_id(id.to_string());
    decode(one_or_not_found(conn, select, "relocation", id).await?)
}

/// Whether a household is a relocated one.
pub async fn is_relocated<C: ConnectionTrait>(conn: &C, id: &str) -> Result<bool, ApiError> {
    Ok(relocation::Entity::find_by_id(id.to_string())
        .count(conn)
        .await?
        > 0)
}

/// One page of relocated households in household-id order, at `site_id` if it is not empty.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    site_id: &str,
    page: Keyset<'_>,
) -> Result<Vec<pb::Relocation>, ApiError> {
    use relocation::Column as C;
    let mut select = relocation::Entity::find();
    if !site_id.is_empty() {
        select = select.filter(C::SiteId.eq(site_id));
    }
    let rows = page
        .rows(conn, select, (C::OriginVillageCode, C::HouseholdId))
        .await?;
    rows.into_iter().map(decode).collect()
}

/// A relocated household's record inside an update ([`xk_runtime::write::update`]): as
/// read, then as the RPC changed it, then checked in full by the RPC's rule.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The record: as read, then as changed.
    pub record: pb::Relocation,
    /// The version it was read at.
    pub version: i64,
    /// The type of the site the household is at after the change; `None` when there is no
    /// such site.
    pub site_type: Option<SiteType>,
    /// The changed record checked against every rule: the RPC's rule sets it, and only a
    /// checked record is saved.
    pub checked: Option<Checked>,
}

impl Versioned for Draft {
    const KIND: &'static str = "relocation";

    fn etag(&self) -> &str {
        &self.record.etag
    }
}

/// Relocated households as versioned records: each is locked together with the type of
/// the site it will be at, because the move-in rule depends on it.
pub struct Relocations<'a> {
    /// The site an update moves the household to; `None` keeps the one on record.
    pub moving_to: Option<&'a str>,
}

impl RecordStore for Relocations<'_> {
    type Record = Draft;

    async fn lock(&self, txn: &WriteTxn, id: &str) -> Result<Draft, ApiError> {
        let row = super::lock::<relocation::Entity>(txn, "relocation", id).await?;
        let version = row.version;
        let record = decode(row)?;
        let site_id = self.moving_to.unwrap_or(&record.site_id);
        let site_type = super::sites::types(&**txn, &[site_id])
            .await?
            .get(site_id)
            .copied();
        Ok(Draft {
            record,
            version,
            site_type,
            checked: None,
        })
    }

    async fn save(
        &self,
        txn: &WriteTxn,
        draft: &Draft,
        _read_etag: &str,
    ) -> Result<Draft, ApiError> {
        let Some(checked) = &draft.checked else {
            return Err(Status::internal("a relocation must be checked before it is saved").into());
        };
        Ok(Draft {
            record: update_row(&**txn, checked, draft.version).await?,
            version: draft.version + 1,
            site_type: draft.site_type,
            checked: None,
        })
    }
}

/// Writes a changed record and its derived columns if its version is still `expected`.
/// Returns the record as stored, with its new etag.
async fn update_row<C: ConnectionTrait>(
    conn: &C,
    c: &Checked,
    expected: i64,
) -> Result<pb::Relocation, ApiError> {
    let mut row = columns(c, expected + 1);
    row.household_id = sea_orm::ActiveValue::Unchanged(c.record.household_id.clone());
    use relocation::Column as R;
    let update = relocation::Entity::update_many().set(row);
    let id = (R::HouseholdId, c.record.household_id.as_str());
    if !update_at_version(conn, update, id, (R::Version, expected)).await? {
        let current = get(conn, &c.record.household_id).await?;
        return Err(ApiError::Stale {
            what: "relocation",
            name: c.record.household_id.clone(),
            sent: expected.to_string(),
            current: current.etag,
        });
    }
    let mut out = c.record.clone();
    out.etag = (expected + 1).to_string();
    Ok(out)
}

//! Centralized supply schemes: the record (a `Scheme` message with its version as etag)
//! and the `scheme_villages` index that lets ListSchemes filter by region.

use std::collections::HashSet;

use chrono::Utc;
use prost::Message;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, QueryTrait,
};
use xk_contracts::pb::water::v1::Scheme;
use xk_runtime::ApiError;
use xk_runtime::db::WriteTxn;
use xk_runtime::write::{RecordStore, Versioned};

use super::entities::{assessment, scheme, scheme_village};
use super::support::{CHUNK, unreadable};
use xk_runtime::query::{
    Keyset, insert_chunks, one_or_not_found, prefix_range, stored_keys, update_at_version,
};

fn decode_scheme(row: scheme::Model) -> Result<SchemeRecord, ApiError> {
    let mut scheme =
        Scheme::decode(row.doc.as_slice()).map_err(|e| unreadable("scheme", &row.scheme_id, e))?;
    scheme.etag = row.version.to_string();
    Ok(SchemeRecord {
        scheme,
        version: row.version,
    })
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

async fn write_scheme_villages<C: ConnectionTrait>(conn: &C, s: &Scheme) -> Result<(), ApiError> {
    scheme_village::Entity::delete_many()
        .filter(scheme_village::Column::SchemeId.eq(&s.scheme_id))
        .exec(conn)
        .await?;
    let rows = s.village_codes.iter().map(|v| scheme_village::ActiveModel {
        scheme_id: Set(s.scheme_id.clone()),
        village_code: Set(v.clone()),
    });
    insert_chunks(conn, rows.collect(), CHUNK).await
}

/// Inserts a new scheme (version 1); ALREADY_EXISTS if the id is taken.
pub async fn insert_scheme<C: ConnectionTrait>(conn: &C, s: &Scheme) -> Result<Scheme, ApiError> {
    match scheme::Entity::insert(scheme_row(s, 1))
        .exec_without_returning(conn)
        .await
    {
        Err(e) if xk_runtime::errors::is_unique_violation(&e) => {
            return Err(ApiError::AlreadyExists {
                what: SchemeRecord::KIND,
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
pub async fn get_scheme<C: ConnectionTrait>(conn: &C, id: &str) -> Result<Scheme, ApiError> {
    let select = scheme::Entity::find_by_id(id.to_string());
    Ok(load_scheme(conn, select, id).await?.scheme)
}

/// Reads a scheme to change it, locking the row until the transaction ends
/// ([`xk_runtime::db::for_update`]): concurrent writes to one scheme queue.
pub async fn lock_scheme<C: ConnectionTrait>(conn: &C, id: &str) -> Result<SchemeRecord, ApiError> {
    let select = xk_runtime::db::for_update(scheme::Entity::find_by_id(id.to_string()));
    load_scheme(conn, select, id).await
}

async fn load_scheme<C: ConnectionTrait>(
    conn: &C,
    select: sea_orm::Select<scheme::Entity>,
    id: &str,
) -> Result<SchemeRecord, ApiError> {
    decode_scheme(one_or_not_found(conn, select, SchemeRecord::KIND, id).await?)
}

/// Replaces a scheme if its version is still `expected`; returns it as stored.
pub async fn save_scheme<C: ConnectionTrait>(
    conn: &C,
    s: &Scheme,
    expected: i64,
) -> Result<Scheme, ApiError> {
    let row = scheme_row(s, expected + 1);
    use scheme::Column as C;
    let update = scheme::Entity::update_many().set(row);
    let id = (C::SchemeId, s.scheme_id.as_str());
    if !update_at_version(conn, update, id, (C::Version, expected)).await? {
        return Err(xk_runtime::errors::conflict_retry(
            "the scheme changed concurrently; re-read and retry",
        )
        .into());
    }
    write_scheme_villages(conn, s).await?;
    let mut stored = s.clone();
    stored.etag = (expected + 1).to_string();
    Ok(stored)
}

/// Deletes a scheme and its village list.
pub async fn delete_scheme<C: ConnectionTrait>(conn: &C, id: &str) -> Result<(), ApiError> {
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
pub async fn scheme_references<C: ConnectionTrait>(conn: &C, id: &str) -> Result<u64, ApiError> {
    Ok(assessment::Entity::find()
        .filter(assessment::Column::SchemeId.eq(id))
        .count(conn)
        .await?)
}

/// Which of these scheme ids are registered.
pub async fn existing_schemes<C: ConnectionTrait>(
    conn: &C,
    ids: &[&str],
) -> Result<HashSet<String>, ApiError> {
    stored_keys::<scheme::Entity, _>(conn, scheme::Column::SchemeId, ids, CHUNK).await
}

/// One page of schemes in id order; with a region prefix, those serving a village under
/// it (the region lives in `scheme_villages`).
pub async fn list_schemes<C: ConnectionTrait>(
    conn: &C,
    page: Keyset<'_>,
) -> Result<Vec<Scheme>, ApiError> {
    let mut q = scheme::Entity::find();
    if !page.region_prefix.is_empty() {
        let (lo, hi) = prefix_range(page.region_prefix);
        let ids = scheme_village::Entity::find()
            .select_only()
            .column(scheme_village::Column::SchemeId)
            .distinct()
            .filter(scheme_village::Column::VillageCode.gte(lo))
            .filter(scheme_village::Column::VillageCode.lte(hi))
            .into_query();
        q = q.filter(scheme::Column::SchemeId.in_subquery(ids));
    }
    let rows = page.keys(q, scheme::Column::SchemeId).all(conn).await?;
    rows.into_iter()
        .map(|row| decode_scheme(row).map(|r| r.scheme))
        .collect()
}

/// A scheme as [`xk_runtime::write::update`] changes it: the message, and the version it
/// was read at.
#[derive(Debug, Clone)]
pub struct SchemeRecord {
    /// The scheme; its `etag` is `version` as text.
    pub scheme: Scheme,
    /// The stored version.
    pub version: i64,
}

impl Versioned for SchemeRecord {
    const KIND: &'static str = "scheme";

    fn etag(&self) -> &str {
        &self.scheme.etag
    }
}

/// The scheme table as a [`RecordStore`], for UpdateScheme.
pub struct Schemes;

impl RecordStore for Schemes {
    type Record = SchemeRecord;

    async fn lock(&self, txn: &WriteTxn, id: &str) -> Result<SchemeRecord, ApiError> {
        lock_scheme(&**txn, id).await
    }

    async fn save(
        &self,
        txn: &WriteTxn,
        record: &SchemeRecord,
        _read_etag: &str,
    ) -> Result<SchemeRecord, ApiError> {
        let scheme = save_scheme(&**txn, &record.scheme, record.version).await?;
        Ok(SchemeRecord {
            scheme,
            version: record.version + 1,
        })
    }
}

//! Resettlement sites: one row each, versioned; a site's type decides the move-in rule of
//! the households resettled there.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::ApiError;
use xk_runtime::db::WriteTxn;
use xk_runtime::query::{one_or_not_found, update_at_version};
use xk_runtime::write::{RecordStore, Versioned};

use super::INSERT_CHUNK;
use super::entities::{relocation, site};
use crate::checked::site_type_from_pb;
use crate::domain::site::SiteType;
use xk_runtime::query::Keyset;

fn from_row(r: site::Model) -> pb::Site {
    pb::Site {
        site_id: r.site_id,
        name: r.name,
        village_code: r.village_code,
        r#type: r.site_type,
        etag: r.version.to_string(),
    }
}

/// Inserts a new site (version 1); a taken id is ALREADY_EXISTS naming `field`.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    s: &pb::Site,
    field: &str,
) -> Result<pb::Site, ApiError> {
    let row = site::ActiveModel {
        site_id: Set(s.site_id.clone()),
        name: Set(s.name.clone()),
        village_code: Set(s.village_code.clone()),
        site_type: Set(s.r#type),
        version: Set(1),
        updated_at: Set(Utc::now()),
    };
    match site::Entity::insert(row).exec_without_returning(conn).await {
        Err(e) if xk_runtime::errors::is_unique_violation(&e) => Err(ApiError::AlreadyExists {
            what: "site",
            name: s.site_id.clone(),
            field: field.to_string(),
        }),
        Err(e) => Err(e.into()),
        Ok(_) => {
            let mut out = s.clone();
            out.etag = "1".into();
            Ok(out)
        }
    }
}

/// Reads one site.
pub async fn get<C: ConnectionTrait>(conn: &C, id: &str) -> Result<pb::Site, ApiError> {
    let select = site::Entity::find_by_id(id.to_string());
    Ok(from_row(one_or_not_found(conn, select, "site", id).await?))
}

/// Deletes a site.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: &str) -> Result<(), ApiError> {
    site::Entity::delete_by_id(id.to_string())
        .exec(conn)
        .await?;
    Ok(())
}

/// How many relocated households are resettled at a site.
pub async fn households_at<C: ConnectionTrait>(conn: &C, id: &str) -> Result<u64, ApiError> {
    Ok(relocation::Entity::find()
        .filter(relocation::Column::SiteId.eq(id))
        .count(conn)
        .await?)
}

/// The types of the given sites that exist (unknown or unset types are left out).
pub async fn types<C: ConnectionTrait>(
    conn: &C,
    ids: &[&str],
) -> Result<HashMap<String, SiteType>, ApiError> {
    let mut out = HashMap::new();
    let unique: Vec<&str> = ids
        .iter()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for chunk in unique.chunks(INSERT_CHUNK) {
        let rows: Vec<(String, i32)> = site::Entity::find()
            .select_only()
            .column(site::Column::SiteId)
            .column(site::Column::SiteType)
            .filter(site::Column::SiteId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        for (id, t) in rows {
            if let Some(t) = site_type_from_pb(t) {
                out.insert(id, t);
            }
        }
    }
    Ok(out)
}

/// One page of sites in site-id order.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    page: Keyset<'_>,
) -> Result<Vec<pb::Site>, ApiError> {
    use site::Column as C;
    let rows = page
        .rows(conn, site::Entity::find(), (C::VillageCode, C::SiteId))
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// A site inside an update ([`xk_runtime::write::update`]), with the households resettled
/// there: while there are any, its type (their move-in rule) cannot change.
#[derive(Debug, Clone)]
pub struct SiteDraft {
    /// The site: as read, then as changed.
    pub site: pb::Site,
    /// The version it was read at.
    pub version: i64,
    /// How many relocated households are resettled at it.
    pub households: u64,
}

impl Versioned for SiteDraft {
    const KIND: &'static str = "site";

    fn etag(&self) -> &str {
        &self.site.etag
    }
}

/// Sites as versioned records, locked until the transaction ends
/// ([`xk_runtime::db::for_update`]) so concurrent writes to one site queue.
pub struct Sites;

impl RecordStore for Sites {
    type Record = SiteDraft;

    async fn lock(&self, txn: &WriteTxn, id: &str) -> Result<SiteDraft, ApiError> {
        let row = super::lock::<site::Entity>(txn, "site", id).await?;
        Ok(SiteDraft {
            version: row.version,
            site: from_row(row),
            households: households_at(&**txn, id).await?,
        })
    }

    async fn save(
        &self,
        txn: &WriteTxn,
        draft: &SiteDraft,
        _read_etag: &str,
    ) -> Result<SiteDraft, ApiError> {
        Ok(SiteDraft {
            site: update_row(&**txn, &draft.site, draft.version).await?,
            version: draft.version + 1,
            households: draft.households,
        })
    }
}

/// Replaces a site if its version is still `expected`; returns it with its new etag.
async fn update_row<C: ConnectionTrait>(
    conn: &C,
    s: &pb::Site,
    expected: i64,
) -> Result<pb::Site, ApiError> {
    use site::Column as C;
    let update = site::Entity::update_many()
        .col_expr(C::Name, s.name.clone().into())
        .col_expr(C::VillageCode, s.village_code.clone().into())
        .col_expr(C::SiteType, s.r#type.into())
        .col_expr(C::Version, (expected + 1).into())
        .col_expr(C::UpdatedAt, Utc::now().into());
    let id = (C::SiteId, s.site_id.as_str());
    if !update_at_version(conn, update, id, (C::Version, expected)).await? {
        let current = get(conn, &s.site_id).await?;
        return Err(ApiError::Stale {
            what: "site",
            name: s.site_id.clone(),
            sent: expected.to_string(),
            current: current.etag,
        });
    }
    let mut out = s.clone();
    out.etag = (expected + 1).to_string();
    Ok(out)
}

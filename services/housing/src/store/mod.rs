//! The housing service's I/O: sites, relocation records with their derived columns, and
//! appraisals. No rules here: callers pass records the domain has checked, and the derived
//! columns are computed from the checked facts in the same transaction as the record.

pub mod entities;
pub mod gauges;
pub mod migration;
pub mod summary;

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use prost::Message;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::housing::v1 as pb;

use crate::api::convert::{Checked, site_type_from_pb};
use crate::domain::ExceptionKind;
use crate::domain::milestones::moved_in_on;
use crate::domain::relocation::SiteType;
use crate::domain::relocation::{Demolition, demolition_due, has_over_area_reason, over_area};
use crate::domain::support::employment_ok;
use crate::error::HousingError;
use entities::{appraisal, relocation, site};

/// Rows per multi-row INSERT: 20 columns a row stays under SQLite's bound-parameter limit.
const INSERT_CHUNK: usize = 500;

/// Lowest and highest 12-digit codes under a prefix (an index range scan in both databases).
pub fn prefix_range(prefix: &str) -> (String, String) {
    (format!("{prefix:0<12}"), format!("{prefix:9<12}"))
}

// ---------------------------------------------------------------- sites

fn site_from_row(r: site::Model) -> pb::Site {
    pb::Site {
        site_id: r.site_id,
        name: r.name,
        village_code: r.village_code,
        r#type: r.site_type,
        etag: r.version.to_string(),
    }
}

/// Inserts a new site (version 1); a taken id is ALREADY_EXISTS naming `field`.
pub async fn insert_site<C: ConnectionTrait>(
    conn: &C,
    s: &pb::Site,
    field: &str,
) -> Result<pb::Site, HousingError> {
    let row = site::ActiveModel {
        site_id: Set(s.site_id.clone()),
        name: Set(s.name.clone()),
        village_code: Set(s.village_code.clone()),
        site_type: Set(s.r#type),
        version: Set(1),
        updated_at: Set(Utc::now()),
    };
    match site::Entity::insert(row).exec_without_returning(conn).await {
        Err(e) if xk_runtime::errors::is_unique_violation(&e) => Err(HousingError::AlreadyExists {
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
pub async fn get_site<C: ConnectionTrait>(conn: &C, id: &str) -> Result<pb::Site, HousingError> {
    load_site(conn, site::Entity::find_by_id(id.to_string()), id).await
}

/// Reads a site to change it, locking the row until the transaction ends
/// ([`xk_runtime::db::for_update`]): concurrent writes to one site queue.
pub async fn lock_site<C: ConnectionTrait>(conn: &C, id: &str) -> Result<pb::Site, HousingError> {
    let select = xk_runtime::db::for_update(site::Entity::find_by_id(id.to_string()));
    load_site(conn, select, id).await
}

async fn load_site<C: ConnectionTrait>(
    conn: &C,
    select: sea_orm::Select<site::Entity>,
    id: &str,
) -> Result<pb::Site, HousingError> {
    select
        .one(conn)
        .await?
        .map(site_from_row)
        .ok_or_else(|| HousingError::NotFound {
            what: "site",
            name: id.to_string(),
        })
}

/// Replaces a site if its version is still `expected`; returns it with its new etag.
pub async fn save_site<C: ConnectionTrait>(
    conn: &C,
    s: &pb::Site,
    expected: i64,
) -> Result<pb::Site, HousingError> {
    let updated = site::Entity::update_many()
        .col_expr(site::Column::Name, s.name.clone().into())
        .col_expr(site::Column::VillageCode, s.village_code.clone().into())
        .col_expr(site::Column::SiteType, s.r#type.into())
        .col_expr(site::Column::Version, (expected + 1).into())
        .col_expr(site::Column::UpdatedAt, Utc::now().into())
        .filter(site::Column::SiteId.eq(&s.site_id))
        .filter(site::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if updated.rows_affected != 1 {
        let current = get_site(conn, &s.site_id).await?;
        return Err(HousingError::Stale {
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

/// Deletes a site.
pub async fn delete_site<C: ConnectionTrait>(conn: &C, id: &str) -> Result<(), HousingError> {
    site::Entity::delete_by_id(id.to_string())
        .exec(conn)
        .await?;
    Ok(())
}

/// How many relocated households are resettled at a site.
pub async fn households_at_site<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<u64, HousingError> {
    Ok(relocation::Entity::find()
        .filter(relocation::Column::SiteId.eq(id))
        .count(conn)
        .await?)
}

/// The types of the given sites that exist (unknown or unset types are left out).
pub async fn site_types<C: ConnectionTrait>(
    conn: &C,
    ids: &[&str],
) -> Result<HashMap<String, SiteType>, HousingError> {
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

/// Up to `limit` sites after `after` in site-id order under a region prefix.
pub async fn list_sites<C: ConnectionTrait>(
    conn: &C,
    region_prefix: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<pb::Site>, HousingError> {
    let mut q = site::Entity::find();
    if !region_prefix.is_empty() {
        let (lo, hi) = prefix_range(region_prefix);
        q = q
            .filter(site::Column::VillageCode.gte(lo))
            .filter(site::Column::VillageCode.lte(hi));
    }
    if let Some(a) = after {
        q = q.filter(site::Column::SiteId.gt(a));
    }
    let rows = q
        .order_by_asc(site::Column::SiteId)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(site_from_row).collect())
}

// ---------------------------------------------------------------- relocations

fn relocation_row(c: &Checked, version: i64) -> relocation::ActiveModel {
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

fn decode(row: relocation::Model) -> Result<pb::Relocation, HousingError> {
    let mut r = pb::Relocation::decode(row.doc.as_slice()).map_err(|e| {
        tracing::error!(household = %row.household_id, error = %e, "stored record does not decode");
        HousingError::Db(sea_orm::DbErr::Custom(
            "stored relocation record is unreadable".into(),
        ))
    })?;
    r.etag = row.version.to_string();
    Ok(r)
}

/// Inserts new relocated households (version 1) in multi-row statements.
pub async fn insert_relocations<C: ConnectionTrait>(
    conn: &C,
    batch: &[Checked],
) -> Result<(), HousingError> {
    for chunk in batch.chunks(INSERT_CHUNK) {
        relocation::Entity::insert_many(chunk.iter().map(|c| relocation_row(c, 1)))
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Which household of a batch is registered already (or twice in the batch): its index.
pub async fn find_existing<C: ConnectionTrait>(
    conn: &C,
    ids: &[&str],
) -> Result<Option<usize>, HousingError> {
    let mut existing: HashSet<String> = HashSet::new();
    for chunk in ids.chunks(INSERT_CHUNK) {
        let found: Vec<String> = relocation::Entity::find()
            .select_only()
            .column(relocation::Column::HouseholdId)
            .filter(relocation::Column::HouseholdId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        existing.extend(found);
    }
    let mut seen = HashSet::new();
    Ok(ids
        .iter()
        .position(|id| existing.contains(*id) || !seen.insert(*id)))
}

/// Reads one relocated household.
pub async fn get_relocation<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<pb::Relocation, HousingError> {
    load_relocation(conn, relocation::Entity::find_by_id(id.to_string()), id).await
}

/// Reads a relocated household to change it, locking the row until the transaction ends
/// ([`xk_runtime::db::for_update`]): concurrent writes to one household queue.
pub async fn lock_relocation<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<pb::Relocation, HousingError> {
    let select = xk_runtime::db::for_update(relocation::Entity::find_by_id(id.to_string()));
    load_relocation(conn, select, id).await
}

async fn load_relocation<C: ConnectionTrait>(
    conn: &C,
    select: sea_orm::Select<relocation::Entity>,
    id: &str,
) -> Result<pb::Relocation, HousingError> {
    let row = select
        .one(conn)
        .await?
        .ok_or_else(|| HousingError::NotFound {
            what: "relocation",
            name: id.to_string(),
        })?;
    decode(row)
}

/// Whether a household is a relocated one.
pub async fn is_relocated<C: ConnectionTrait>(conn: &C, id: &str) -> Result<bool, HousingError> {
    Ok(relocation::Entity::find_by_id(id.to_string())
        .count(conn)
        .await?
        > 0)
}

/// Writes a changed record and its derived columns if its version is still `expected`.
/// Returns the record as stored, with its new etag.
pub async fn save_relocation<C: ConnectionTrait>(
    conn: &C,
    c: &Checked,
    expected: i64,
) -> Result<pb::Relocation, HousingError> {
    let mut row = relocation_row(c, expected + 1);
    row.household_id = sea_orm::ActiveValue::Unchanged(c.record.household_id.clone());
    let updated = relocation::Entity::update_many()
        .set(row)
        .filter(relocation::Column::HouseholdId.eq(&c.record.household_id))
        .filter(relocation::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if updated.rows_affected != 1 {
        let current = get_relocation(conn, &c.record.household_id).await?;
        return Err(HousingError::Stale {
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

/// Up to `limit` relocated households after `after` in household-id order.
pub async fn list_relocations<C: ConnectionTrait>(
    conn: &C,
    region_prefix: &str,
    site_id: &str,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<pb::Relocation>, HousingError> {
    let mut q = relocation::Entity::find();
    if !region_prefix.is_empty() {
        let (lo, hi) = prefix_range(region_prefix);
        q = q
            .filter(relocation::Column::OriginVillageCode.gte(lo))
            .filter(relocation::Column::OriginVillageCode.lte(hi));
    }
    if !site_id.is_empty() {
        q = q.filter(relocation::Column::SiteId.eq(site_id));
    }
    if let Some(a) = after {
        q = q.filter(relocation::Column::HouseholdId.gt(a));
    }
    let rows = q
        .order_by_asc(relocation::Column::HouseholdId)
        .limit(limit)
        .all(conn)
        .await?;
    rows.into_iter().map(decode).collect()
}

// ---------------------------------------------------------------- exceptions

/// The SQL condition of one relocation exception as of `as_of`; must agree with
/// [`relocation_kinds`].
fn relocation_condition(kind: ExceptionKind, as_of: NaiveDate) -> Option<Condition> {
    use relocation::Column as C;
    Some(match kind {
        ExceptionKind::NotMovedIn => Condition::any()
            .add(C::MovedInOn.is_null())
            .add(C::MovedInOn.gt(as_of)),
        ExceptionKind::NotDemolishedAfterGrace => Condition::all()
            .add(C::DemolitionDue.is_not_null())
            .add(C::DemolitionDue.lt(as_of)),
        ExceptionKind::NoEmployment => Condition::all().add(C::EmploymentOk.eq(false)),
        ExceptionKind::OverAreaWithoutReason => Condition::all().add(C::OverAreaNoReason.eq(true)),
        ExceptionKind::NoFollowUpSupport => Condition::all()
            .add(C::MovedInOn.lte(as_of))
            .add(C::HasSupport.eq(false)),
        ExceptionKind::DebtAtOrOverCap | ExceptionKind::DangerousNotRenovated => return None,
    })
}

/// The relocation exceptions [`ListExceptions`](crate::api) reports, in enum order.
/// Debt at or over the cap is refused on every write, so no stored record has it.
pub const RELOCATION_KINDS: [ExceptionKind; 5] = [
    ExceptionKind::NotMovedIn,
    ExceptionKind::NotDemolishedAfterGrace,
    ExceptionKind::NoEmployment,
    ExceptionKind::OverAreaWithoutReason,
    ExceptionKind::NoFollowUpSupport,
];

/// The exceptions of one row as of `as_of`; must agree with [`relocation_condition`].
fn relocation_kinds(r: &relocation::Model, as_of: NaiveDate) -> Vec<ExceptionKind> {
    let moved = r.moved_in_on.is_some_and(|d| d <= as_of);
    let mut out = Vec::new();
    if !moved {
        out.push(ExceptionKind::NotMovedIn);
    }
    if r.demolition_due.is_some_and(|d| d < as_of) {
        out.push(ExceptionKind::NotDemolishedAfterGrace);
    }
    if !r.employment_ok {
        out.push(ExceptionKind::NoEmployment);
    }
    if r.over_area_no_reason {
        out.push(ExceptionKind::OverAreaWithoutReason);
    }
    if moved && !r.has_support {
        out.push(ExceptionKind::NoFollowUpSupport);
    }
    out
}

/// One household with its exceptions: (household id, village code, kinds).
pub type ExceptionRow = (String, String, Vec<ExceptionKind>);

/// Up to `limit` relocated households with an exception (of `kind`, or any) after `after`.
pub async fn relocation_exceptions<C: ConnectionTrait>(
    conn: &C,
    region_prefix: &str,
    kind: Option<ExceptionKind>,
    as_of: NaiveDate,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<ExceptionRow>, HousingError> {
    let kinds: Vec<ExceptionKind> = match kind {
        Some(k) => vec![k],
        None => RELOCATION_KINDS.to_vec(),
    };
    let mut any = Condition::any();
    let mut some = false;
    for k in kinds {
        if let Some(c) = relocation_condition(k, as_of) {
            any = any.add(c);
            some = true;
        }
    }
    if !some || limit == 0 {
        return Ok(Vec::new());
    }
    use relocation::Column as C;
    let mut q = relocation::Entity::find().filter(any);
    if !region_prefix.is_empty() {
        let (lo, hi) = prefix_range(region_prefix);
        q = q
            .filter(C::OriginVillageCode.gte(lo))
            .filter(C::OriginVillageCode.lte(hi));
    }
    if let Some(a) = after {
        q = q.filter(C::HouseholdId.gt(a));
    }
    let rows = q
        .order_by_asc(C::HouseholdId)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut kinds = relocation_kinds(&r, as_of);
            if let Some(k) = kind {
                kinds.retain(|x| *x == k);
            }
            (r.household_id, r.origin_village_code, kinds)
        })
        .collect())
}

/// Up to `limit` appraised households with a dangerous, unrenovated house after `after`.
pub async fn appraisal_exceptions<C: ConnectionTrait>(
    conn: &C,
    region_prefix: &str,
    as_of: NaiveDate,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<ExceptionRow>, HousingError> {
    use appraisal::Column as C;
    let dangerous = [pb::Grade::C as i32, pb::Grade::D as i32];
    // Dangerous and not renovated by `as_of` (a later renovation does not count yet).
    let mut q = appraisal::Entity::find()
        .filter(C::Grade.is_in(dangerous))
        .filter(C::AppraisedOn.lte(as_of))
        .filter(
            Condition::any()
                .add(C::RenovationCompletedOn.is_null())
                .add(C::RenovationCompletedOn.gt(as_of)),
        );
    if !region_prefix.is_empty() {
        let (lo, hi) = prefix_range(region_prefix);
        q = q
            .filter(C::VillageCode.gte(lo))
            .filter(C::VillageCode.lte(hi));
    }
    if let Some(a) = after {
        q = q.filter(C::HouseholdId.gt(a));
    }
    let rows = q
        .order_by_asc(C::HouseholdId)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.household_id,
                r.village_code,
                vec![ExceptionKind::DangerousNotRenovated],
            )
        })
        .collect())
}

// ---------------------------------------------------------------- appraisals

fn appraisal_from_row(r: appraisal::Model) -> pb::Appraisal {
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
pub async fn find_appraisal<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> Result<Option<pb::Appraisal>, HousingError> {
    Ok(appraisal::Entity::find_by_id(id.to_string())
        .one(conn)
        .await?
        .map(appraisal_from_row))
}

/// Inserts or replaces a household's appraisal with its derived flag.
pub async fn put_appraisal<C: ConnectionTrait>(
    conn: &C,
    a: &pb::Appraisal,
    appraised_on: NaiveDate,
    completed_on: Option<NaiveDate>,
) -> Result<(), HousingError> {
    use sea_orm::sea_query::OnConflict;
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
    use appraisal::Column as C;
    appraisal::Entity::insert(row)
        .on_conflict(
            OnConflict::column(C::HouseholdId)
                .update_columns([
                    C::VillageCode,
                    C::Grade,
                    C::AppraisedOn,
                    C::Appraiser,
                    C::RenovationCompletedOn,
                    C::DangerousOpen,
                    C::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_cover_exactly_the_prefix() {
        assert_eq!(
            prefix_range("420625"),
            ("420625000000".to_string(), "420625999999".to_string())
        );
        let (lo, hi) = prefix_range("420625100201");
        assert_eq!(lo, hi);
    }
}

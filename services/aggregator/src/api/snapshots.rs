//! The aggregator's own data: TakeSnapshot (a month's summary, stored once, idempotent by
//! request id), ListSnapshots and GetSnapshot.

use chrono::{Datelike, SubsecRound, Utc};
use prost::Message;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tonic::{Request, Status};
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::types::RegionPrefix;
use xk_runtime::errors::{Violations, already_exists, db_status, invalid, not_found};
use xk_runtime::idempotency::{Idempotent, principal_of};
use xk_runtime::paging;
use xk_runtime::rpc::CallContext;

use super::state::{AggregatorApi, group_by, today};
use super::summary::summary;
use crate::domain::snapshot::{parse_month, snapshot_as_of, snapshot_id};
use crate::domain::summary::SummaryKey;
use crate::store::snapshot;

fn to_snapshot(m: snapshot::Model) -> Result<Snapshot, Status> {
    let summary = Summary::decode(m.summary.as_slice()).map_err(|e| {
        tracing::error!(error = %e, snapshot = %m.snapshot_id, "stored snapshot does not decode");
        Status::internal("a stored snapshot is unreadable; the operators have the details")
    })?;
    Ok(Snapshot {
        snapshot_id: m.snapshot_id,
        month: m.month,
        region_prefix: m.region_prefix,
        summary: Some(summary),
        taken_by: m.taken_by,
        taken_at: m.taken_at.to_rfc3339(),
    })
}

/// The messages of a summary's unavailable sections.
fn unavailable_sections(summary: &Summary) -> Vec<String> {
    [
        summary.registry.as_ref().and_then(|s| s.status.clone()),
        summary.education.as_ref().and_then(|s| s.status.clone()),
        summary.health.as_ref().and_then(|s| s.status.clone()),
        summary.housing.as_ref().and_then(|s| s.status.clone()),
        summary.water.as_ref().and_then(|s| s.status.clone()),
    ]
    .into_iter()
    .flatten()
    .filter(|s| s.state != SectionState::Available as i32)
    .map(|s| s.message)
    .collect()
}

impl AggregatorApi {
    pub(super) async fn take_snapshot_impl(
        &self,
        req: Request<TakeSnapshotRequest>,
    ) -> Result<TakeSnapshotResponse, Status> {
        let principal = principal_of(&req)?;
        let ctx = self.context(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        let first = v.check("month", parse_month(&r.month));
        let as_of = first.and_then(|f| v.check("month", snapshot_as_of(f, today())));
        let prefix = v.check("region_prefix", RegionPrefix::parse(&r.region_prefix));
        let group_by = group_by(r.group_by, "group_by", &mut v);
        v.into_result()?;
        let (Some(as_of), Some(prefix)) = (as_of, prefix) else {
            return Err(invalid("month", "invalid"));
        };
        let idem = Idempotent::new(principal, "TakeSnapshot", &r.request_id, "request_id", &r)?;

        // A retry is answered from the store before asking any service.
        {
            let txn = self.db.begin_write().await?;
            if let Some(first) = idem.begin::<TakeSnapshotResponse>(&txn).await? {
                return Ok(first);
            }
            // Dropped without commit: the claim is rolled back; it is made for real below.
        }

        let id = snapshot_id(&r.month, prefix.as_str());
        let key = SummaryKey {
            region_prefix: prefix.as_str().to_string(),
            group_by,
            as_of,
            year: as_of.year(),
            latest_year_with_data: false,
        };
        let summary = summary(&ctx, &key).await;
        if !summary.complete {
            return Err(Status::unavailable(format!(
                "snapshot not stored: a month's record must be complete; unavailable: {}; retry later",
                unavailable_sections(&summary).join("; ")
            )));
        }

        let txn = self.db.begin_write().await?;
        if let Some(first) = idem.begin::<TakeSnapshotResponse>(&txn).await? {
            return Ok(first);
        }
        let existing = snapshot::Entity::find_by_id(id.clone())
            .one(&*txn)
            .await
            .map_err(db_status)?;
        if existing.is_some() {
            return Err(already_exists(
                "snapshot",
                &id,
                "a month's snapshot is taken once; read it with GetSnapshot",
            ));
        }
        // Microseconds: what PostgreSQL keeps, so the first answer and a later read agree.
        let now = Utc::now().trunc_subsecs(6);
        let model = snapshot::Model {
            snapshot_id: id.clone(),
            month: r.month.clone(),
            region_prefix: prefix.as_str().to_string(),
            summary: summary.encode_to_vec(),
            taken_by: principal.name().to_string(),
            taken_at: now,
        };
        snapshot::Entity::insert(snapshot::ActiveModel {
            snapshot_id: Set(model.snapshot_id.clone()),
            month: Set(model.month.clone()),
            region_prefix: Set(model.region_prefix.clone()),
            summary: Set(model.summary.clone()),
            taken_by: Set(model.taken_by.clone()),
            taken_at: Set(model.taken_at),
        })
        .exec_without_returning(&*txn)
        .await
        .map_err(db_status)?;
        let resp = TakeSnapshotResponse {
            snapshot: Some(to_snapshot(model)?),
        };
        idem.finish(&txn, &resp, &id, "snapshot stored").await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn list_snapshots_impl(
        &self,
        r: ListSnapshotsRequest,
    ) -> Result<ListSnapshotsResponse, Status> {
        let mut v = Violations::new();
        if !r.region_prefix.is_empty() {
            v.check("region_prefix", RegionPrefix::parse(&r.region_prefix));
        }
        let size = v.check("page_size", paging::page_size(r.page_size));
        let filter = format!("prefix={}", r.region_prefix);
        let after = v
            .check("page_token", paging::decode_token(&r.page_token, &filter))
            .flatten();
        v.into_result()?;
        let size = size.unwrap_or(paging::DEFAULT_PAGE_SIZE);
        let mut q = snapshot::Entity::find();
        if !r.region_prefix.is_empty() {
            q = q.filter(snapshot::Column::RegionPrefix.starts_with(&r.region_prefix));
        }
        if let Some(after) = after {
            q = q.filter(snapshot::Column::SnapshotId.gt(after));
        }
        let mut rows = q
            .order_by_asc(snapshot::Column::SnapshotId)
            .limit(size + 1)
            .all(self.db.conn())
            .await
            .map_err(db_status)?;
        let next_page_token = if rows.len() as u64 > size {
            rows.truncate(size as usize);
            rows.last()
                .map(|m| paging::encode_token(&filter, &m.snapshot_id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let snapshots = rows
            .into_iter()
            .map(to_snapshot)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ListSnapshotsResponse {
            snapshots,
            next_page_token,
        })
    }

    pub(super) async fn get_snapshot_impl(
        &self,
        r: GetSnapshotRequest,
    ) -> Result<GetSnapshotResponse, Status> {
        let id = r.snapshot_id;
        if id.is_empty() || id.len() > 32 {
            return Err(invalid(
                "snapshot_id",
                "must be <YYYY-MM>/<region prefix>, as TakeSnapshot returned",
            ));
        }
        let row = snapshot::Entity::find_by_id(id.clone())
            .one(self.db.conn())
            .await
            .map_err(db_status)?
            .ok_or_else(|| not_found("snapshot", &id))?;
        Ok(GetSnapshotResponse {
            snapshot: Some(to_snapshot(row)?),
        })
    }
}

//! Write RPCs. Each one: validate (INVALID_ARGUMENT / FAILED_PRECONDITION naming the
//! field, nothing touched) -> open the write transaction -> claim the request id (a retry
//! returns the first answer) -> check references (schemes) -> store -> record the response
//! and the audit row -> commit. Dropping the transaction on any error rolls all of it back.

use std::collections::HashSet;

use sea_orm::ConnectionTrait;
use tonic::{Status, Streaming};
use xk_contracts::pb::water::v1::*;
use xk_runtime::Principal;
use xk_runtime::errors::invalid;
use xk_runtime::idempotency::Idempotent;

use super::mapping::{check_scheme, prepare};
use super::{MAX_IMPORT_BATCH, WaterApi, today};
use crate::domain::FieldViolation;
use crate::domain::validate::fields;
use crate::error::{WaterError, fields_status};
use crate::store::{self, NewAssessment};

/// FAILED_PRECONDITION for every centralized supply naming a scheme that is not
/// registered; `items` pairs each assessment with its field prefix.
async fn check_schemes<C: ConnectionTrait>(
    conn: &C,
    items: &[(String, &NewAssessment)],
) -> Result<(), Status> {
    let mut ids: Vec<&str> = items
        .iter()
        .filter_map(|(_, n)| n.scheme_id.as_deref())
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort_unstable();
    ids.dedup();
    let known = store::existing_schemes(conn, &ids).await?;
    let missing: Vec<FieldViolation> = items
        .iter()
        .filter_map(|(prefix, n)| {
            let id = n.scheme_id.as_deref()?;
            (!known.contains(id)).then(|| {
                FieldViolation::precondition(
                    format!("{prefix}.{}", fields::SCHEME_ID),
                    format!("scheme {id} is not registered: create it with CreateScheme first"),
                )
            })
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(fields_status(missing))
    }
}

/// Adds to an import error how much of the stream was committed before it.
fn with_progress(s: Status, done: &ImportAssessmentsResponse) -> Status {
    let msg = format!(
        "{} ({} earlier batches committed, {} replayed; resend the rest with the same request ids)",
        s.message(),
        done.batches_committed,
        done.batches_replayed
    );
    Status::with_details(s.code(), msg, s.details().to_vec().into())
}

impl WaterApi {
    pub(super) async fn create_scheme_impl(
        &self,
        principal: Principal,
        req: CreateSchemeRequest,
    ) -> Result<CreateSchemeResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "CreateScheme",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let Some(mut scheme) = req.scheme else {
            return Err(invalid("scheme", "required"));
        };
        let v = check_scheme(&scheme);
        if !v.is_empty() {
            return Err(fields_status(v));
        }
        scheme.name = scheme.name.trim().to_string();
        scheme.etag.clear();
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<CreateSchemeResponse>(&txn).await? {
            return Ok(r);
        }
        let stored = store::insert_scheme(&*txn, &scheme).await?;
        let resp = CreateSchemeResponse {
            scheme: Some(stored),
        };
        idem.finish(&txn, &resp, &scheme.scheme_id, "created")
            .await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn update_scheme_impl(
        &self,
        principal: Principal,
        req: UpdateSchemeRequest,
    ) -> Result<UpdateSchemeResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "UpdateScheme",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let Some(mut scheme) = req.scheme else {
            return Err(invalid("scheme", "required"));
        };
        let mut v = check_scheme(&scheme);
        let sent: Option<i64> = scheme.etag.parse().ok();
        if sent.is_none() {
            v.push(FieldViolation::invalid(
                "scheme.etag",
                "required: send the etag of the version you changed",
            ));
        }
        if !v.is_empty() {
            return Err(fields_status(v));
        }
        scheme.name = scheme.name.trim().to_string();
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<UpdateSchemeResponse>(&txn).await? {
            return Ok(r);
        }
        let current = store::lock_scheme(&*txn, &scheme.scheme_id).await?;
        if current.etag != scheme.etag {
            return Err(WaterError::Stale {
                name: scheme.scheme_id.clone(),
                sent: scheme.etag.clone(),
                current: current.etag,
            }
            .into());
        }
        let stored = store::save_scheme(&*txn, &scheme, sent.unwrap_or_default()).await?;
        let resp = UpdateSchemeResponse {
            scheme: Some(stored),
        };
        idem.finish(&txn, &resp, &scheme.scheme_id, "updated")
            .await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn delete_scheme_impl(
        &self,
        principal: Principal,
        req: DeleteSchemeRequest,
    ) -> Result<DeleteSchemeResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "DeleteScheme",
            &req.request_id,
            "request_id",
            &req,
        )?;
        if req.scheme_id.is_empty() {
            return Err(invalid("scheme_id", "required"));
        }
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<DeleteSchemeResponse>(&txn).await? {
            return Ok(r);
        }
        let scheme = store::lock_scheme(&*txn, &req.scheme_id).await?;
        let refs = store::scheme_references(&*txn, &req.scheme_id).await?;
        if refs > 0 {
            return Err(WaterError::Precondition {
                rule: "SCHEME_IN_USE",
                subject: format!("scheme {}", req.scheme_id),
                description: format!(
                    "scheme {} is referred to by {refs} assessments and cannot be deleted",
                    req.scheme_id
                ),
            }
            .into());
        }
        store::delete_scheme(&*txn, &req.scheme_id).await?;
        let resp = DeleteSchemeResponse {
            scheme: Some(scheme),
        };
        idem.finish(&txn, &resp, &req.scheme_id, "deleted").await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn record_assessment_impl(
        &self,
        principal: Principal,
        req: RecordAssessmentRequest,
    ) -> Result<RecordAssessmentResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "RecordAssessment",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let Some(a) = req.assessment.as_ref() else {
            return Err(invalid("assessment", "required"));
        };
        let configured = store::village_areas(self.db.conn(), &[a.village_code.as_str()])
            .await?
            .get(&a.village_code)
            .copied();
        let new =
            prepare(a, "assessment", today(), &self.book, configured).map_err(fields_status)?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<RecordAssessmentResponse>(&txn).await? {
            return Ok(r);
        }
        check_schemes(&*txn, &[("assessment".to_string(), &new)]).await?;
        let household = new.household_id.clone();
        let verdict = new.grades.verdict;
        let recorded = store::record(&*txn, vec![new]).await?;
        let Some(r) = recorded.into_iter().next() else {
            return Err(Status::internal("the store recorded nothing"));
        };
        let resp = RecordAssessmentResponse {
            assessment: Some(r.assessment),
            became_current: r.became_current,
        };
        let detail = format!(
            "verdict {}{}",
            verdict.label_zh(),
            if r.became_current {
                ", current"
            } else {
                ", history only"
            }
        );
        idem.finish(&txn, &resp, &household, &detail).await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn import_assessments_impl(
        &self,
        principal: Principal,
        mut stream: Streaming<ImportAssessmentsRequest>,
    ) -> Result<ImportAssessmentsResponse, Status> {
        let mut total = ImportAssessmentsResponse::default();
        let mut batch_no = 0usize;
        let today = today();
        while let Some(batch) = stream.message().await? {
            let bp = format!("batch[{batch_no}]");
            let idem = Idempotent::new(
                principal,
                "ImportAssessments",
                &batch.request_id,
                &format!("{bp}.request_id"),
                &batch,
            )
            .map_err(|s| with_progress(s, &total))?;
            let mut v: Vec<FieldViolation> = Vec::new();
            let n = batch.assessments.len();
            if n == 0 || n > MAX_IMPORT_BATCH {
                v.push(FieldViolation::invalid(
                    format!("{bp}.assessments"),
                    format!("a batch holds 1 to {MAX_IMPORT_BATCH} assessments, got {n}"),
                ));
            }
            let mut villages: Vec<&str> = batch
                .assessments
                .iter()
                .map(|a| a.village_code.as_str())
                .collect();
            villages.sort_unstable();
            villages.dedup();
            let configured = store::village_areas(self.db.conn(), &villages)
                .await
                .map_err(|e| with_progress(e.into(), &total))?;
            let mut items: Vec<(String, NewAssessment)> = Vec::with_capacity(n);
            for (j, a) in batch.assessments.iter().enumerate() {
                let prefix = format!("{bp}.assessments[{j}]");
                let conf = configured.get(&a.village_code).copied();
                match prepare(a, &prefix, today, &self.book, conf) {
                    Ok(new) => items.push((prefix, new)),
                    Err(errs) => v.extend(errs),
                }
            }
            if !v.is_empty() {
                return Err(with_progress(fields_status(v), &total));
            }
            let txn = self.db.begin_write().await?;
            if let Some(prev) = idem.begin::<ImportAssessmentsResponse>(&txn).await? {
                drop(txn);
                total.batches_replayed += 1;
                tracing::debug!(
                    assessments = prev.assessments_imported,
                    "import batch replayed"
                );
                batch_no += 1;
                continue;
            }
            let refs: Vec<(String, &NewAssessment)> =
                items.iter().map(|(p, n)| (p.clone(), n)).collect();
            if let Err(s) = check_schemes(&*txn, &refs).await {
                return Err(with_progress(s, &total));
            }
            let households: HashSet<&str> =
                items.iter().map(|(_, n)| n.household_id.as_str()).collect();
            let detail = format!("{n} assessments of {} households", households.len());
            let news: Vec<NewAssessment> = items.into_iter().map(|(_, n)| n).collect();
            if let Err(e) = store::record(&*txn, news).await {
                return Err(with_progress(e.into(), &total));
            }
            let result = ImportAssessmentsResponse {
                batches_committed: 1,
                batches_replayed: 0,
                assessments_imported: n as i64,
            };
            idem.finish(&txn, &result, &format!("batch of {n}"), &detail)
                .await?;
            txn.commit().await?;
            total.batches_committed += 1;
            total.assessments_imported += n as i64;
            batch_no += 1;
        }
        Ok(total)
    }

    pub(super) async fn set_village_area_impl(
        &self,
        principal: Principal,
        req: SetVillageAreaRequest,
    ) -> Result<SetVillageAreaResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "SetVillageArea",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let Some(va) = req.village_area else {
            return Err(invalid("village_area", "required"));
        };
        let mut v = xk_runtime::Violations::new();
        v.check(
            "village_area.village_code",
            xk_contracts::types::RegionCode::parse(&va.village_code),
        );
        if !matches!(
            AreaType::try_from(va.area),
            Ok(AreaType::WaterRich | AreaType::WaterShort)
        ) {
            v.add(
                "village_area.area",
                format!("must be WATER_RICH or WATER_SHORT, got {}", va.area),
            );
        }
        v.into_result()?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<SetVillageAreaResponse>(&txn).await? {
            return Ok(r);
        }
        store::set_village_area(&*txn, &va.village_code, va.area).await?;
        let detail = AreaType::try_from(va.area)
            .map_or("", |a| a.as_str_name())
            .to_string();
        let code = va.village_code.clone();
        let resp = SetVillageAreaResponse {
            village_area: Some(va),
        };
        idem.finish(&txn, &resp, &code, &detail).await?;
        txn.commit().await?;
        Ok(resp)
    }
}

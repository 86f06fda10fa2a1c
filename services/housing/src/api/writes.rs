//! Write RPCs. Each one: check the request (INVALID_ARGUMENT, nothing touched) -> open the
//! write transaction -> claim the request id (a retry returns the first answer) -> apply
//! the domain rule (FAILED_PRECONDITION) -> store the record with its derived columns ->
//! record the response and the audit row -> commit.

use chrono::NaiveDate;
use prost::Message;
use tonic::{Status, Streaming};
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::housing::v1 as pb;
use xk_contracts::types::not_in_future;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{Principal, Violations};

use super::convert::{
    Checked, check_relocation, grade_from_pb, id, measure_from_pb, opt_date, req_date,
    site_type_from_pb, village,
};
use super::{HousingApi, MAX_IMPORT_BATCH, today};
use crate::domain::appraisal::{Appraisal, validate_appraisal};
use crate::domain::{FieldViolation, is_blank};
use crate::error::HousingError;
use crate::store;

/// One violation.
fn one(field: &str, description: &str) -> Violations {
    let mut v = Violations::new();
    v.add(field, description);
    v
}

/// A date that must not be after today; the violation names `field`.
fn past_date(v: &mut Violations, field: &str, d: Option<NaiveDate>, today: NaiveDate) {
    if let Some(d) = d {
        v.check(field, not_in_future(d, today));
    }
}

/// The version number an etag stands for; anything else is stale by definition.
fn version_of(what: &'static str, name: &str, etag: &str) -> Result<i64, HousingError> {
    etag.parse().map_err(|_| HousingError::Stale {
        what,
        name: name.to_string(),
        sent: etag.to_string(),
        current: String::new(),
    })
}

/// Longest site name accepted: a resettlement site's full name (县+镇+安置点) fits many
/// times over; without a bound, a client could store megabytes in one name.
pub const MAX_SITE_NAME_CHARS: usize = 100;

/// Checks a site's own fields under `prefix`.
fn check_site(v: &mut Violations, s: &pb::Site, prefix: &str) {
    id(v, &format!("{prefix}site_id"), &s.site_id);
    if is_blank(&s.name) {
        v.add(format!("{prefix}name"), "required");
    } else if s.name.chars().count() > MAX_SITE_NAME_CHARS {
        v.add(
            format!("{prefix}name"),
            format!("at most {MAX_SITE_NAME_CHARS} characters"),
        );
    }
    village(v, &format!("{prefix}village_code"), &s.village_code);
    if site_type_from_pb(s.r#type).is_none() {
        v.add(
            format!("{prefix}type"),
            format!("required: a known site type, got {}", s.r#type),
        );
    }
}

/// Merges the errors of several records of one batch into one: malformed values first
/// (every one of them), else every rule breach.
fn merge(errors: Vec<HousingError>) -> HousingError {
    let mut invalid = Violations::new();
    let mut rules: Vec<FieldViolation> = Vec::new();
    let mut other = None;
    for e in errors {
        match e {
            HousingError::Invalid(v) => invalid.extend_prefixed("", v),
            HousingError::Rule(r) => rules.extend(r),
            e => {
                other.get_or_insert(e);
            }
        }
    }
    if !invalid.is_empty() {
        HousingError::Invalid(invalid)
    } else if !rules.is_empty() {
        HousingError::Rule(rules)
    } else {
        other.unwrap_or(HousingError::Invalid(Violations::new()))
    }
}

/// Adds to an import error how much of the stream was committed before it.
fn with_progress(s: Status, done: &pb::ImportRelocationsResponse) -> Status {
    let msg = format!(
        "{} ({} earlier batches committed, {} replayed; resend the rest with the same request ids)",
        s.message(),
        done.batches_committed,
        done.batches_replayed
    );
    Status::with_details(s.code(), msg, s.details().to_vec().into())
}

impl HousingApi {
    /// Loads a relocation in the write transaction, applies `apply` to its record,
    /// re-checks the whole record against the rules, stores it with fresh derived columns
    /// (checking `etag` if sent), and answers with `wrap(stored)`. Field paths of the
    /// re-check start with `prefix`.
    async fn mutate<R>(
        &self,
        idem: Idempotent,
        household_id: &str,
        etag: Option<&str>,
        prefix: &str,
        apply: impl FnOnce(&mut pb::Relocation) -> Result<(), HousingError>,
        wrap: impl FnOnce(pb::Relocation) -> R,
    ) -> Result<R, HousingError>
    where
        R: Message + Default,
    {
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<R>(&txn).await? {
            return Ok(r);
        }
        let mut rec = store::lock_relocation(&*txn, household_id).await?;
        let current = version_of("relocation", household_id, &rec.etag)?;
        if let Some(sent) = etag
            && sent != rec.etag
        {
            return Err(HousingError::Stale {
                what: "relocation",
                name: household_id.to_string(),
                sent: sent.to_string(),
                current: rec.etag,
            });
        }
        apply(&mut rec)?;
        let checked = check_relocation(&rec, prefix, today(), &self.policy)?;
        let types = store::site_types(&*txn, &[rec.site_id.as_str()]).await?;
        let Some(t) = types.get(&rec.site_id).copied() else {
            return Err(HousingError::rule(
                format!("{prefix}site_id"),
                format!("no resettlement site {}", rec.site_id),
            ));
        };
        let checked = checked.with_site_type(t).map_err(HousingError::Rule)?;
        let stored = store::save_relocation(&*txn, &checked, current).await?;
        let detail = format!(
            "{}moved in, etag {}",
            if stored.moved_in { "" } else { "not " },
            stored.etag
        );
        let resp = wrap(stored);
        idem.finish(&txn, &resp, household_id, &detail).await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn create_site_impl(
        &self,
        principal: Principal,
        req: pb::CreateSiteRequest,
    ) -> Result<pb::CreateSiteResponse, HousingError> {
        let idem = Idempotent::new(principal, "CreateSite", &req.request_id, "request_id", &req)?;
        let mut v = Violations::new();
        let site = req.site.unwrap_or_default();
        check_site(&mut v, &site, "site.");
        v.into_result()?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin(&txn).await? {
            return Ok(r);
        }
        let mut site = site;
        site.etag.clear();
        let stored = store::insert_site(&*txn, &site, "site.site_id").await?;
        let resp = pb::CreateSiteResponse { site: Some(stored) };
        idem.finish(&txn, &resp, &site.site_id, "created").await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn update_site_impl(
        &self,
        principal: Principal,
        req: pb::UpdateSiteRequest,
    ) -> Result<pb::UpdateSiteResponse, HousingError> {
        let idem = Idempotent::new(principal, "UpdateSite", &req.request_id, "request_id", &req)?;
        let mut v = Violations::new();
        let site = req.site.unwrap_or_default();
        check_site(&mut v, &site, "site.");
        if site.etag.is_empty() {
            v.add(
                "site.etag",
                "required: send the etag of the version you changed",
            );
        }
        v.into_result()?;
        let sent = version_of("site", &site.site_id, &site.etag)?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin(&txn).await? {
            return Ok(r);
        }
        let stored = store::lock_site(&*txn, &site.site_id).await?;
        if stored.r#type != site.r#type {
            let n = store::households_at_site(&*txn, &site.site_id).await?;
            if n > 0 {
                return Err(HousingError::rule(
                    "site.type",
                    format!(
                        "{n} households are resettled at site {}; its type decides their move-in rule and cannot change",
                        site.site_id
                    ),
                ));
            }
        }
        let saved = store::save_site(&*txn, &site, sent).await?;
        let resp = pb::UpdateSiteResponse { site: Some(saved) };
        idem.finish(&txn, &resp, &site.site_id, "updated").await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn delete_site_impl(
        &self,
        principal: Principal,
        req: pb::DeleteSiteRequest,
    ) -> Result<pb::DeleteSiteResponse, HousingError> {
        let idem = Idempotent::new(principal, "DeleteSite", &req.request_id, "request_id", &req)?;
        let mut v = Violations::new();
        id(&mut v, "site_id", &req.site_id);
        v.into_result()?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin(&txn).await? {
            return Ok(r);
        }
        let stored = store::lock_site(&*txn, &req.site_id).await?;
        let n = store::households_at_site(&*txn, &req.site_id).await?;
        if n > 0 {
            return Err(HousingError::rule(
                "site_id",
                format!("{n} households are resettled at site {}", req.site_id),
            ));
        }
        store::delete_site(&*txn, &req.site_id).await?;
        let resp = pb::DeleteSiteResponse { site: Some(stored) };
        idem.finish(&txn, &resp, &req.site_id, "deleted").await?;
        txn.commit().await?;
        Ok(resp)
    }

    /// Looks up the sites of checked records in `txn` and sets their types; a missing
    /// site, or milestones missing a prerequisite at that site's type, is
    /// FAILED_PRECONDITION naming `field(i)` or the missing milestone, for every record of
    /// the batch at once.
    async fn attach_sites(
        &self,
        txn: &xk_runtime::db::WriteTxn,
        checked: Vec<Checked>,
        field: impl Fn(usize) -> String,
    ) -> Result<Vec<Checked>, HousingError> {
        let ids: Vec<&str> = checked.iter().map(|c| c.record.site_id.as_str()).collect();
        let types = store::site_types(&**txn, &ids).await?;
        let mut broken = Vec::new();
        let mut out = Vec::with_capacity(checked.len());
        for (i, c) in checked.into_iter().enumerate() {
            match types.get(&c.record.site_id) {
                Some(t) => match c.with_site_type(*t) {
                    Ok(c) => out.push(c),
                    Err(errs) => broken.extend(errs),
                },
                None => broken.push(FieldViolation::precondition(
                    field(i),
                    format!("no resettlement site {}; create it first", c.record.site_id),
                )),
            }
        }
        if broken.is_empty() {
            Ok(out)
        } else {
            Err(HousingError::Rule(broken))
        }
    }

    pub(super) async fn create_relocation_impl(
        &self,
        principal: Principal,
        req: pb::CreateRelocationRequest,
    ) -> Result<pb::CreateRelocationResponse, HousingError> {
        let idem = Idempotent::new(
            principal,
            "CreateRelocation",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let Some(r) = req.relocation else {
            return Err(one("relocation", "required").into());
        };
        let checked = check_relocation(&r, "relocation.", today(), &self.policy)?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin(&txn).await? {
            return Ok(r);
        }
        let mut batch = self
            .attach_sites(&txn, vec![checked], |_| "relocation.site_id".into())
            .await?;
        let hid = r.household_id.clone();
        if store::find_existing(&*txn, &[hid.as_str()])
            .await?
            .is_some()
        {
            return Err(HousingError::AlreadyExists {
                what: "relocation",
                name: hid,
                field: "relocation.household_id".into(),
            });
        }
        store::insert_relocations(&*txn, &batch).await?;
        let mut stored = batch.pop().map(|c| c.record).unwrap_or_default();
        stored.etag = "1".into();
        let resp = pb::CreateRelocationResponse {
            relocation: Some(stored),
        };
        idem.finish(&txn, &resp, &hid, "created").await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn update_relocation_impl(
        &self,
        principal: Principal,
        req: pb::UpdateRelocationRequest,
    ) -> Result<pb::UpdateRelocationResponse, HousingError> {
        let idem = Idempotent::new(
            principal,
            "UpdateRelocation",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let Some(new) = req.relocation else {
            return Err(one("relocation", "required").into());
        };
        let mut v = Violations::new();
        if new.etag.is_empty() {
            v.add(
                "relocation.etag",
                "required: send the etag of the version you changed",
            );
        }
        v.into_result()?;
        // Everything that needs no stored state is checked before the transaction.
        check_relocation(&new, "relocation.", today(), &self.policy)?;
        let hid = new.household_id.clone();
        let etag = new.etag.clone();
        self.mutate(
            idem,
            &hid,
            Some(&etag),
            "relocation.",
            |rec| {
                *rec = new;
                Ok(())
            },
            |r| pb::UpdateRelocationResponse {
                relocation: Some(r),
            },
        )
        .await
    }

    pub(super) async fn import_relocations_impl(
        &self,
        principal: Principal,
        mut stream: Streaming<pb::ImportRelocationsRequest>,
    ) -> Result<pb::ImportRelocationsResponse, Status> {
        let mut total = pb::ImportRelocationsResponse::default();
        let mut batch_no = 0usize;
        let today = today();
        while let Some(batch) = stream.message().await? {
            let bp = format!("batch[{batch_no}].");
            let idem = Idempotent::new(
                principal,
                "ImportRelocations",
                &batch.request_id,
                &format!("{bp}request_id"),
                &batch,
            )
            .map_err(|s| with_progress(s, &total))?;
            let mut errors = Vec::new();
            if batch.relocations.is_empty() || batch.relocations.len() > MAX_IMPORT_BATCH {
                let mut v = Violations::new();
                v.add(
                    format!("{bp}relocations"),
                    format!(
                        "a batch holds 1 to {MAX_IMPORT_BATCH} households, got {}",
                        batch.relocations.len()
                    ),
                );
                errors.push(HousingError::Invalid(v));
            }
            let mut checked = Vec::with_capacity(batch.relocations.len());
            for (j, r) in batch.relocations.iter().enumerate() {
                match check_relocation(r, &format!("{bp}relocations[{j}]."), today, &self.policy) {
                    Ok(c) => checked.push(c),
                    Err(e) => errors.push(e),
                }
            }
            if !errors.is_empty() {
                return Err(with_progress(merge(errors).into(), &total));
            }
            let txn = self.db.begin_write().await?;
            if let Some(prev) = idem.begin::<pb::ImportRelocationsResponse>(&txn).await? {
                drop(txn);
                total.batches_replayed += 1;
                tracing::debug!(
                    households = prev.households_imported,
                    "import batch replayed"
                );
                batch_no += 1;
                continue;
            }
            let result: Result<pb::ImportRelocationsResponse, HousingError> = async {
                let checked = self
                    .attach_sites(&txn, checked, |j| format!("{bp}relocations[{j}].site_id"))
                    .await?;
                let ids: Vec<&str> = checked
                    .iter()
                    .map(|c| c.record.household_id.as_str())
                    .collect();
                if let Some(j) = store::find_existing(&*txn, &ids).await? {
                    return Err(HousingError::AlreadyExists {
                        what: "relocation",
                        name: ids[j].to_string(),
                        field: format!("{bp}relocations[{j}].household_id"),
                    });
                }
                store::insert_relocations(&*txn, &checked).await?;
                let people: i64 = checked.iter().map(|c| i64::from(c.record.members)).sum();
                Ok(pb::ImportRelocationsResponse {
                    batches_committed: 1,
                    batches_replayed: 0,
                    households_imported: checked.len() as i64,
                    people_imported: people,
                })
            }
            .await;
            let result = match result {
                Ok(r) => r,
                Err(e) => {
                    drop(txn);
                    return Err(with_progress(e.into(), &total));
                }
            };
            idem.finish(
                &txn,
                &result,
                &format!("batch of {}", result.households_imported),
                &format!(
                    "{} households, {} people",
                    result.households_imported, result.people_imported
                ),
            )
            .await?;
            txn.commit().await?;
            total.batches_committed += 1;
            total.households_imported += result.households_imported;
            total.people_imported += result.people_imported;
            batch_no += 1;
        }
        Ok(total)
    }

    pub(super) async fn record_move_in_impl(
        &self,
        principal: Principal,
        req: pb::RecordMoveInRequest,
    ) -> Result<pb::RecordMoveInResponse, HousingError> {
        let idem = Idempotent::new(
            principal,
            "RecordMoveIn",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Violations::new();
        id(&mut v, "household_id", &req.household_id);
        let handover = opt_date(&mut v, "key_handover", req.key_handover.as_ref());
        let moved = opt_date(&mut v, "moved_in", req.moved_in.as_ref());
        if req.key_handover.is_none() && req.moved_in.is_none() {
            v.add("moved_in", "send key_handover, moved_in or both");
        }
        past_date(&mut v, "key_handover", handover, today);
        past_date(&mut v, "moved_in", moved, today);
        v.into_result()?;
        self.mutate(
            idem,
            &req.household_id,
            None,
            "",
            |rec| {
                // No move-in before completion and acceptance: the prerequisites are checked
                // on the whole record once the site is known, as on every other write.
                if rec.moved_in {
                    return Err(HousingError::rule(
                        "milestones.moved_in",
                        "the household already counts as moved in; correct it with UpdateRelocation",
                    ));
                }
                let m = rec.milestones.get_or_insert_with(Default::default);
                if let Some(d) = handover {
                    m.key_handover = Some(date_to_pb(d));
                }
                if let Some(d) = moved {
                    m.moved_in = Some(date_to_pb(d));
                }
                Ok(())
            },
            |r| pb::RecordMoveInResponse {
                relocation: Some(r),
            },
        )
        .await
    }

    pub(super) async fn record_demolition_impl(
        &self,
        principal: Principal,
        req: pb::RecordDemolitionRequest,
    ) -> Result<pb::RecordDemolitionResponse, HousingError> {
        let idem = Idempotent::new(
            principal,
            "RecordDemolition",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Violations::new();
        id(&mut v, "household_id", &req.household_id);
        let on = req_date(&mut v, "demolished_on", req.demolished_on.as_ref());
        past_date(&mut v, "demolished_on", on, today);
        v.into_result()?;
        let on = on.unwrap_or(today);
        self.mutate(
            idem,
            &req.household_id,
            None,
            "",
            |rec| {
                if !rec.moved_in {
                    return Err(HousingError::rule(
                        "milestones.moved_in",
                        "no demolition before move-in: the household does not count as moved in",
                    ));
                }
                let exempt = rec
                    .old_house
                    .as_ref()
                    .is_some_and(|o| !o.demolition_exempt_reason.is_empty());
                if exempt {
                    return Err(HousingError::rule(
                        "old_house.demolition_exempt_reason",
                        "the old house is exempt from demolition",
                    ));
                }
                let m = rec.milestones.get_or_insert_with(Default::default);
                if m.demolished.is_some() {
                    return Err(HousingError::rule(
                        "milestones.demolished",
                        "the demolition is recorded already; correct it with UpdateRelocation",
                    ));
                }
                m.demolished = Some(date_to_pb(on));
                Ok(())
            },
            |r| pb::RecordDemolitionResponse {
                relocation: Some(r),
            },
        )
        .await
    }

    pub(super) async fn record_reclamation_impl(
        &self,
        principal: Principal,
        req: pb::RecordReclamationRequest,
    ) -> Result<pb::RecordReclamationResponse, HousingError> {
        let idem = Idempotent::new(
            principal,
            "RecordReclamation",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Violations::new();
        id(&mut v, "household_id", &req.household_id);
        let on = req_date(&mut v, "accepted_on", req.accepted_on.as_ref());
        past_date(&mut v, "accepted_on", on, today);
        if req.reclaimed_centi_mu <= 0 {
            v.add(
                "reclaimed_centi_mu",
                format!("must be positive, got {} × 0.01 mu", req.reclaimed_centi_mu),
            );
        }
        match pb::LandType::try_from(req.land_type) {
            Ok(pb::LandType::Unspecified) | Err(_) => v.add(
                "land_type",
                format!("required: a known land type, got {}", req.land_type),
            ),
            Ok(_) => {}
        }
        v.into_result()?;
        let on = on.unwrap_or(today);
        let (area, land) = (req.reclaimed_centi_mu, req.land_type);
        let res = self
            .mutate(
                idem,
                &req.household_id,
                None,
                "",
                |rec| {
                    let m = rec.milestones.get_or_insert_with(Default::default);
                    if m.demolished.is_none() {
                        return Err(HousingError::rule(
                            "milestones.demolished",
                            "no reclamation before demolition: the old house is not demolished",
                        ));
                    }
                    if m.reclamation_accepted.is_some() {
                        return Err(HousingError::rule(
                            "milestones.reclamation_accepted",
                            "the reclamation is recorded already; correct it with UpdateRelocation",
                        ));
                    }
                    m.reclamation_accepted = Some(date_to_pb(on));
                    let o = rec.old_house.get_or_insert_with(Default::default);
                    o.reclaimed_centi_mu = area;
                    o.land_type = land;
                    Ok(())
                },
                |r| pb::RecordReclamationResponse {
                    relocation: Some(r),
                },
            )
            .await;
        // The record's field is named after the request's where the request supplied it.
        res.map_err(|e| rename(e, "old_house.reclaimed_centi_mu", "reclaimed_centi_mu"))
    }

    pub(super) async fn add_support_measure_impl(
        &self,
        principal: Principal,
        req: pb::AddSupportMeasureRequest,
    ) -> Result<pb::AddSupportMeasureResponse, HousingError> {
        let idem = Idempotent::new(
            principal,
            "AddSupportMeasure",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Violations::new();
        id(&mut v, "household_id", &req.household_id);
        let Some(measure) = req.measure else {
            v.add("measure", "required");
            return Err(v.into());
        };
        if measure_from_pb(measure.kind).is_none() {
            v.add(
                "measure.kind",
                format!("required: a known measure, got {}", measure.kind),
            );
        }
        let start = req_date(&mut v, "measure.started_on", measure.started_on.as_ref());
        let end = opt_date(&mut v, "measure.ended_on", measure.ended_on.as_ref());
        past_date(&mut v, "measure.started_on", start, today);
        past_date(&mut v, "measure.ended_on", end, today);
        v.into_result()?;
        self.mutate(
            idem,
            &req.household_id,
            None,
            "",
            |rec| {
                if !rec.moved_in {
                    return Err(HousingError::rule(
                        "milestones.moved_in",
                        "follow-up support starts after move-in: the household does not count as moved in",
                    ));
                }
                rec.support.push(measure);
                Ok(())
            },
            |r| pb::AddSupportMeasureResponse {
                relocation: Some(r),
            },
        )
        .await
    }

    pub(super) async fn record_appraisal_impl(
        &self,
        principal: Principal,
        req: pb::RecordAppraisalRequest,
    ) -> Result<pb::RecordAppraisalResponse, HousingError> {
        let idem = Idempotent::new(
            principal,
            "RecordAppraisal",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Violations::new();
        let Some(mut a) = req.appraisal.clone() else {
            return Err(one("appraisal", "required").into());
        };
        a.renovation_completed_on = None;
        id(&mut v, "appraisal.household_id", &a.household_id);
        village(&mut v, "appraisal.village_code", &a.village_code);
        let grade = grade_from_pb(a.grade);
        if grade.is_none() {
            v.add(
                "appraisal.grade",
                format!("required: A, B, C or D, got {}", a.grade),
            );
        }
        let on = req_date(&mut v, "appraisal.appraised_on", a.appraised_on.as_ref());
        v.into_result()?;
        let (Some(grade), Some(on)) = (grade, on) else {
            return Err(Status::internal("validated fields missing").into());
        };
        let domain = Appraisal {
            grade,
            appraised_on: on,
            appraiser: a.appraiser.clone(),
            renovation_completed_on: None,
        };
        validate_appraisal(&domain, today)
            .map_err(|e| HousingError::from_domain(super::convert::to_wire("appraisal.", e)))?;
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin(&txn).await? {
            return Ok(r);
        }
        if store::is_relocated(&*txn, &a.household_id).await? {
            return Err(HousingError::rule(
                "appraisal.household_id",
                "a relocated household's safe housing is its new house; appraisals are for households not relocated",
            ));
        }
        if let Some(old) = store::find_appraisal(&*txn, &a.household_id).await?
            && old
                .appraised_on
                .as_ref()
                .is_some_and(|d| xk_contracts::convert::date_from_pb(d).is_ok_and(|d| d > on))
        {
            return Err(HousingError::rule(
                "appraisal.appraised_on",
                "a newer appraisal is recorded already",
            ));
        }
        store::put_appraisal(&*txn, &a, on, None).await?;
        let resp = pb::RecordAppraisalResponse {
            appraisal: Some(a.clone()),
        };
        let detail = format!("grade {:?}", grade);
        idem.finish(&txn, &resp, &a.household_id, &detail).await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn complete_renovation_impl(
        &self,
        principal: Principal,
        req: pb::CompleteRenovationRequest,
    ) -> Result<pb::CompleteRenovationResponse, HousingError> {
        let idem = Idempotent::new(
            principal,
            "CompleteRenovation",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Violations::new();
        id(&mut v, "household_id", &req.household_id);
        let on = req_date(&mut v, "completed_on", req.completed_on.as_ref());
        v.into_result()?;
        let on = on.unwrap_or(today);
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin(&txn).await? {
            return Ok(r);
        }
        let Some(mut a) = store::find_appraisal(&*txn, &req.household_id).await? else {
            return Err(HousingError::NotFound {
                what: "appraisal",
                name: req.household_id.clone(),
            });
        };
        let mut domain = Appraisal {
            grade: grade_from_pb(a.grade).unwrap_or(crate::domain::appraisal::Grade::A),
            appraised_on: a
                .appraised_on
                .as_ref()
                .and_then(|d| xk_contracts::convert::date_from_pb(d).ok())
                .unwrap_or(on),
            appraiser: a.appraiser.clone(),
            renovation_completed_on: a
                .renovation_completed_on
                .as_ref()
                .and_then(|d| xk_contracts::convert::date_from_pb(d).ok()),
        };
        domain.complete_renovation(on, today).map_err(|e| {
            let e = e
                .into_iter()
                .map(|x| FieldViolation {
                    field: "completed_on".into(),
                    ..x
                })
                .collect();
            HousingError::from_domain(e)
        })?;
        a.renovation_completed_on = Some(date_to_pb(on));
        store::put_appraisal(&*txn, &a, domain.appraised_on, Some(on)).await?;
        let resp = pb::CompleteRenovationResponse { appraisal: Some(a) };
        idem.finish(&txn, &resp, &req.household_id, "renovation completed")
            .await?;
        txn.commit().await?;
        Ok(resp)
    }
}

/// Renames a violated field in an error (a record path to the request field it came from).
fn rename(e: HousingError, from: &str, to: &str) -> HousingError {
    let fix = |f: String| if f == from { to.to_string() } else { f };
    match e {
        HousingError::Rule(v) => HousingError::Rule(
            v.into_iter()
                .map(|x| FieldViolation {
                    field: fix(x.field),
                    ..x
                })
                .collect(),
        ),
        HousingError::Invalid(v) => {
            let mut out = Violations::new();
            for (f, d) in v.items() {
                out.add(fix(f.clone()), d);
            }
            HousingError::Invalid(out)
        }
        other => other,
    }
}

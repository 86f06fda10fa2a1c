//! Write RPCs. Each one: validate (INVALID_ARGUMENT, nothing touched) -> open the write
//! transaction -> claim the request id (a retry returns the first answer) -> apply the
//! domain rule -> store -> record the response and the audit row -> commit.

use chrono::NaiveDate;
use prost::Message;
use tonic::{Status, Streaming};
use xk_contracts::convert::date_from_pb;
use xk_contracts::pb::common::v1::Date;
use xk_contracts::pb::registry::v1::*;
use xk_contracts::types::{HouseholdId, RegionCode, VillageKind, not_in_future};
use xk_runtime::errors::invalid;
use xk_runtime::idempotency::Idempotent;
use xk_runtime::{Principal, Violations};

use super::{MAX_IMPORT_BATCH, RegistryApi};
use crate::domain::{rules, today, validate};
use crate::error::RegistryError;
use crate::store;

/// A required date field: present, real, not in the future.
fn required_date(
    v: &mut Violations,
    field: &str,
    d: Option<&Date>,
    today: NaiveDate,
) -> Option<NaiveDate> {
    match d {
        None => {
            v.add(field, "required");
            None
        }
        Some(d) => v
            .check(field, date_from_pb(d))
            .and_then(|d| v.check(field, not_in_future(d, today))),
    }
}

fn household_id(v: &mut Violations, field: &str, s: &str) -> Option<String> {
    v.check(field, HouseholdId::parse(s))
        .map(|h| h.as_str().to_string())
}

impl RegistryApi {
    /// Turns a failed insert into the answer for the caller: when a unique key was
    /// violated, finds (after the rollback) which household or person of the batch is
    /// registered already, so the error names its field. Inserting first and explaining
    /// only on failure keeps the common path to the inserts alone.
    async fn explain_conflict(
        &self,
        e: RegistryError,
        batch: &[Household],
        prefix: impl Fn(usize) -> String,
    ) -> Status {
        let RegistryError::Db(db) = &e else {
            return e.into();
        };
        if !xk_runtime::errors::is_unique_violation(db) {
            return e.into();
        }
        match store::find_conflict(self.db.conn(), batch, prefix).await {
            Ok(Some(conflict)) => conflict.into(),
            Ok(None) => xk_runtime::errors::conflict_retry(
                "a concurrent write registered the same household or person; retry",
            ),
            Err(e) => e.into(),
        }
    }

    /// Loads a household in the write transaction, applies `apply`, saves it (checking
    /// `etag` if the caller sent one), and answers with `wrap(stored)`.
    async fn mutate<R>(
        &self,
        idem: Idempotent,
        id: &str,
        etag: Option<&str>,
        apply: impl FnOnce(&mut Household) -> Result<(), RegistryError>,
        wrap: impl FnOnce(Household) -> R,
    ) -> Result<R, Status>
    where
        R: Message + Default,
    {
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<R>(&txn).await? {
            return Ok(r);
        }
        let mut h = store::get_for_update(&*txn, id).await?;
        if let Some(sent) = etag
            && sent != h.etag
        {
            return Err(RegistryError::Stale {
                name: id.to_string(),
                sent: sent.to_string(),
                current: h.etag,
            }
            .into());
        }
        let current = h.etag.clone();
        apply(&mut h)?;
        let stored = store::save(&*txn, &h, &current).await?;
        let detail = stored
            .timeline
            .last()
            .map(|e| e.detail.clone())
            .unwrap_or_default();
        let published = self.cache.is_some().then(|| stored.clone());
        let resp = wrap(stored);
        idem.finish(&txn, &resp, id, &detail).await?;
        txn.commit().await?;
        // Published after the commit, still under the writer lock's ordering: a reader
        // that fetched the previous version cannot replace this one (versions only grow).
        if let (Some(c), Some(h)) = (&self.cache, published) {
            c.offer(&h);
        }
        Ok(resp)
    }

    pub(super) async fn create_household_impl(
        &self,
        principal: Principal,
        req: CreateHouseholdRequest,
    ) -> Result<CreateHouseholdResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "CreateHousehold",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let Some(mut h) = req.household else {
            return Err(invalid("household", "required"));
        };
        let mut v = Violations::new();
        let policy = self.policy_in(h.identified_year);
        validate::new_household(
            &mut h,
            "household.",
            today,
            policy,
            validate::Origin::Create,
            &mut v,
        );
        v.into_result()?;
        h.etag.clear();
        let detail = format!("registered as {}", status_name(h.status));
        rules::append_event(&mut h, EventKind::Registered, today, detail);
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<CreateHouseholdResponse>(&txn).await? {
            return Ok(r);
        }
        let batch = std::slice::from_ref(&h);
        if let Err(e) = store::insert_households(&*txn, batch).await {
            drop(txn);
            return Err(self
                .explain_conflict(e, batch, |_| "household.".into())
                .await);
        }
        h.etag = "1".into();
        let resp = CreateHouseholdResponse { household: Some(h) };
        let target = resp
            .household
            .as_ref()
            .map_or("", |h| h.household_id.as_str());
        idem.finish(&txn, &resp, target, "created").await?;
        txn.commit().await?;
        Ok(resp)
    }

    pub(super) async fn update_household_impl(
        &self,
        principal: Principal,
        req: UpdateHouseholdRequest,
    ) -> Result<UpdateHouseholdResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "UpdateHousehold",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let Some(mut new) = req.household else {
            return Err(invalid("household", "required"));
        };
        let mut v = Violations::new();
        let id = household_id(&mut v, "household.household_id", &new.household_id);
        if new.etag.is_empty() {
            v.add(
                "household.etag",
                "required: send the etag of the version you changed",
            );
        }
        validate::common_fields(
            &mut new,
            "household.",
            today,
            validate::Origin::Create,
            &mut v,
        );
        v.into_result()?;
        let id = id.unwrap_or_default();
        let etag = new.etag.clone();
        self.mutate(
            idem,
            &id,
            Some(&etag),
            |h| Ok(rules::replace_fields(h, new, today)?),
            |h| UpdateHouseholdResponse { household: Some(h) },
        )
        .await
    }

    pub(super) async fn import_households_impl(
        &self,
        principal: Principal,
        mut stream: Streaming<ImportHouseholdsRequest>,
    ) -> Result<ImportHouseholdsResponse, Status> {
        let mut total = ImportHouseholdsResponse::default();
        let mut batch_no = 0usize;
        let today = today();
        while let Some(batch) = stream.message().await? {
            let bp = format!("batch[{batch_no}].");
            let idem = Idempotent::new(
                principal,
                "ImportHouseholds",
                &batch.request_id,
                &format!("{bp}request_id"),
                &batch,
            )?;
            let mut households = batch.households;
            let mut v = Violations::new();
            if households.is_empty() {
                v.add(
                    format!("{bp}households"),
                    "a batch holds at least one household",
                );
            }
            if households.len() > MAX_IMPORT_BATCH {
                v.add(
                    format!("{bp}households"),
                    format!(
                        "at most {MAX_IMPORT_BATCH} households a batch, got {}",
                        households.len()
                    ),
                );
            }
            for (i, h) in households.iter_mut().enumerate() {
                let policy = self.policy_in(h.identified_year);
                validate::new_household(
                    h,
                    &format!("{bp}households[{i}]."),
                    today,
                    policy,
                    validate::Origin::Import,
                    &mut v,
                );
            }
            if !v.is_empty() {
                return Err(with_progress(v.into_status(), &total));
            }
            // Only once the whole batch is valid: an invalid record (a client-sent timeline
            // ending at seq i64::MAX) must be refused, not overflow the next seq.
            for h in &mut households {
                h.etag.clear();
                let detail = format!("registered as {} (import)", status_name(h.status));
                rules::append_event(h, EventKind::Registered, today, detail);
            }
            let txn = self.db.begin_write().await?;
            if let Some(prev) = idem.begin::<ImportHouseholdsResponse>(&txn).await? {
                drop(txn);
                total.batches_replayed += 1;
                tracing::debug!(
                    households = prev.households_imported,
                    "import batch replayed"
                );
                batch_no += 1;
                continue;
            }
            if let Err(e) = store::insert_households(&*txn, &households).await {
                drop(txn);
                let status = self
                    .explain_conflict(e, &households, |i| format!("{bp}households[{i}]."))
                    .await;
                return Err(with_progress(status, &total));
            }
            let people: i64 = households.iter().map(|h| h.members.len() as i64).sum();
            let result = ImportHouseholdsResponse {
                batches_committed: 1,
                batches_replayed: 0,
                households_imported: households.len() as i64,
                people_imported: people,
            };
            idem.finish(
                &txn,
                &result,
                &format!("batch of {}", households.len()),
                &format!("{} households, {people} people", households.len()),
            )
            .await?;
            txn.commit().await?;
            total.batches_committed += 1;
            total.households_imported += result.households_imported;
            total.people_imported += people;
            batch_no += 1;
        }
        Ok(total)
    }

    pub(super) async fn record_income_impl(
        &self,
        principal: Principal,
        req: RecordIncomeRequest,
    ) -> Result<RecordIncomeResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "RecordIncome",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let mut v = Violations::new();
        let id = household_id(&mut v, "household_id", &req.household_id);
        let this_year = chrono::Datelike::year(&today());
        match &req.income {
            None => v.add("income", "required"),
            Some(i) => {
                if !(2000..=this_year).contains(&i.year) {
                    v.add(
                        "income.year",
                        format!("must be between 2000 and {this_year}, got {}", i.year),
                    );
                }
                if i.per_capita_net_income_fen < 0 {
                    v.add("income.per_capita_net_income_fen", "must not be negative");
                }
            }
        }
        v.into_result()?;
        let income = req.income.unwrap_or_default();
        let id = id.unwrap_or_default();
        self.mutate(
            idem,
            &id,
            None,
            |h| {
                rules::record_income(h, income);
                Ok(())
            },
            |h| RecordIncomeResponse { household: Some(h) },
        )
        .await
    }

    pub(super) async fn record_exit_impl(
        &self,
        principal: Principal,
        req: RecordExitRequest,
    ) -> Result<RecordExitResponse, Status> {
        let idem = Idempotent::new(principal, "RecordExit", &req.request_id, "request_id", &req)?;
        let today = today();
        let mut v = Violations::new();
        let id = household_id(&mut v, "household_id", &req.household_id);
        let on = required_date(&mut v, "exited_on", req.exited_on.as_ref(), today);
        if !(2000..=2100).contains(&req.exit_year) {
            v.add(
                "exit_year",
                format!("must be a year, got {}", req.exit_year),
            );
        }
        v.into_result()?;
        let (id, on) = (id.unwrap_or_default(), on.unwrap_or(today));
        let policy = self.policy_in(req.exit_year).clone();
        self.mutate(
            idem,
            &id,
            None,
            |h| Ok(rules::record_exit(h, req.exit_year, on, &policy)?),
            |h| RecordExitResponse { household: Some(h) },
        )
        .await
    }

    pub(super) async fn record_monitoring_impl(
        &self,
        principal: Principal,
        req: RecordMonitoringRequest,
    ) -> Result<RecordMonitoringResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "RecordMonitoring",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Violations::new();
        let id = household_id(&mut v, "household_id", &req.household_id);
        let on = required_date(&mut v, "identified_on", req.identified_on.as_ref(), today);
        let category = match MonitoringCategory::try_from(req.category) {
            Ok(MonitoringCategory::Unspecified) | Err(_) => {
                v.add(
                    "category",
                    format!("required: a known category, got {}", req.category),
                );
                None
            }
            Ok(c) => Some(c),
        };
        v.into_result()?;
        let (id, on) = (id.unwrap_or_default(), on.unwrap_or(today));
        let category = category.unwrap_or(MonitoringCategory::Edge);
        let policy = self.policy_in(chrono::Datelike::year(&on)).clone();
        self.mutate(
            idem,
            &id,
            None,
            |h| Ok(rules::open_monitoring(h, category, on, &policy)?),
            |h| RecordMonitoringResponse { household: Some(h) },
        )
        .await
    }

    pub(super) async fn advance_monitoring_impl(
        &self,
        principal: Principal,
        req: AdvanceMonitoringRequest,
    ) -> Result<AdvanceMonitoringResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "AdvanceMonitoring",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Violations::new();
        let id = household_id(&mut v, "household_id", &req.household_id);
        let on = required_date(&mut v, "on", req.on.as_ref(), today);
        let stage = match MonitoringStage::try_from(req.stage) {
            Ok(
                s @ (MonitoringStage::HelpAssigned
                | MonitoringStage::RiskEliminated
                | MonitoringStage::ReturnedToPoverty),
            ) => Some(s),
            _ => {
                v.add(
                    "stage",
                    format!(
                        "must be HELP_ASSIGNED, RISK_ELIMINATED or RETURNED_TO_POVERTY, got {}",
                        req.stage
                    ),
                );
                None
            }
        };
        v.into_result()?;
        let (id, on) = (id.unwrap_or_default(), on.unwrap_or(today));
        let stage = stage.unwrap_or(MonitoringStage::HelpAssigned);
        self.mutate(
            idem,
            &id,
            None,
            |h| Ok(rules::advance_monitoring(h, stage, on)?),
            |h| AdvanceMonitoringResponse { household: Some(h) },
        )
        .await
    }

    pub(super) async fn remove_member_impl(
        &self,
        principal: Principal,
        req: RemoveMemberRequest,
    ) -> Result<RemoveMemberResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "RemoveMember",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let today = today();
        let mut v = Violations::new();
        let id = household_id(&mut v, "household_id", &req.household_id);
        let resident = v
            .check(
                "resident_id",
                xk_contracts::types::ResidentId::parse(&req.resident_id, today),
            )
            .map(|r| r.as_str().to_string());
        let on = required_date(&mut v, "removed_on", req.removed_on.as_ref(), today);
        let reason = match RemovalReason::try_from(req.reason) {
            Ok(RemovalReason::Unspecified) | Err(_) => {
                v.add(
                    "reason",
                    format!("required: a known reason, got {}", req.reason),
                );
                None
            }
            Ok(r) => Some(r),
        };
        v.into_result()?;
        let (id, on) = (id.unwrap_or_default(), on.unwrap_or(today));
        let resident = resident.unwrap_or_default();
        let reason = reason.unwrap_or(RemovalReason::Other);
        self.mutate(
            idem,
            &id,
            None,
            |h| Ok(rules::remove_member(h, &resident, reason, on)?),
            |h| RemoveMemberResponse { household: Some(h) },
        )
        .await
    }

    pub(super) async fn upsert_village_impl(
        &self,
        principal: Principal,
        req: UpsertVillageRequest,
    ) -> Result<UpsertVillageResponse, Status> {
        let idem = Idempotent::new(
            principal,
            "UpsertVillage",
            &req.request_id,
            "request_id",
            &req,
        )?;
        let Some(village) = req.village else {
            return Err(invalid("village", "required"));
        };
        let mut v = Violations::new();
        let code = v.check(
            "village.village_code",
            RegionCode::parse(&village.village_code),
        );
        v.check("village.name", validate::check_name(&village.name));
        if village.collective_income_fen < 0 {
            v.add("village.collective_income_fen", "must not be negative");
        }
        let this_year = chrono::Datelike::year(&today());
        if village.collective_income_year != 0
            && !(2000..=this_year).contains(&village.collective_income_year)
        {
            v.add(
                "village.collective_income_year",
                format!("must be 0 or between 2000 and {this_year}"),
            );
        }
        v.into_result()?;
        let is_community = code.is_some_and(|c| c.village_kind() == VillageKind::Community);
        let txn = self.db.begin_write().await?;
        if let Some(r) = idem.begin::<UpsertVillageResponse>(&txn).await? {
            return Ok(r);
        }
        store::upsert_village(&*txn, &village, is_community).await?;
        let resp = UpsertVillageResponse {
            village: Some(village),
        };
        let target = resp
            .village
            .as_ref()
            .map_or("", |v| v.village_code.as_str());
        idem.finish(&txn, &resp, target, "upserted").await?;
        txn.commit().await?;
        Ok(resp)
    }
}

fn status_name(s: i32) -> &'static str {
    ArchiveStatus::try_from(s).map_or("UNKNOWN", |s| s.as_str_name())
}

/// Adds to an import error how much of the stream was committed before it.
fn with_progress(s: Status, done: &ImportHouseholdsResponse) -> Status {
    let msg = format!(
        "{} ({} earlier batches committed, {} replayed; resend the rest with the same request ids)",
        s.message(),
        done.batches_committed,
        done.batches_replayed
    );
    Status::with_details(s.code(), msg, s.details().to_vec().into())
}

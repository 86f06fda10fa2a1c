//! CreateHousehold and UpdateHousehold, and the two steps every write to a household
//! shares: `change_household` (the runtime's versioned update, then the
//! cache) and `explain_conflict` (which record of a failed insert exists).

use xk_contracts::pb::registry::v1::{
    CreateHouseholdRequest, CreateHouseholdResponse, EventKind, Household, UpdateHouseholdRequest,
    UpdateHouseholdResponse,
};
use xk_runtime::errors::{conflict_retry, is_unique_violation};
use xk_runtime::idempotency::Idempotent;
use xk_runtime::write::{Audit, update};
use xk_runtime::{ApiError, Violations, clock};

use super::RegistryApi;
use super::fields::{household_id, required};
use super::messages::HouseholdAnswer;
use crate::domain::members::replace_fields;
use crate::domain::record::{append_event, status_name};
use crate::domain::validate::{self, Origin};
use crate::store;

impl RegistryApi {
    /// CreateHousehold: a new household at version 1. ALREADY_EXISTS naming the field when
    /// the household or one of its people is registered already.
    pub(super) async fn create_household(
        &self,
        idem: Idempotent,
        req: CreateHouseholdRequest,
    ) -> Result<CreateHouseholdResponse, ApiError> {
        let mut h = required(req.household, "household")?;
        let today = clock::today();
        let policy = self
            .policy
            .require(h.identified_year, "household.identified_year")?;
        let mut v = Violations::new();
        validate::new_household(&mut h, "household.", today, policy, Origin::Create, &mut v);
        v.into_result()?;
        h.etag.clear();
        let detail = format!("registered as {}", status_name(h.status));
        append_event(&mut h, EventKind::Registered, today, detail);
        let batch = std::slice::from_ref(&h);
        let created = self
            .db
            .write(&idem, async |txn| {
                store::insert_households(&**txn, batch).await?;
                let stored = Household {
                    etag: "1".into(),
                    ..h.clone()
                };
                let audit = Audit::new(stored.household_id.clone(), "created");
                Ok((
                    CreateHouseholdResponse {
                        household: Some(stored),
                    },
                    audit,
                ))
            })
            .await;
        match created {
            Ok(response) => Ok(response),
            Err(e) => Err(self
                .explain_conflict(e, batch, |_| "household.".into())
                .await),
        }
    }

    /// UpdateHousehold: replaces village, causes and current members, based on the etag
    /// the caller read.
    pub(super) async fn update_household(
        &self,
        idem: Idempotent,
        req: UpdateHouseholdRequest,
    ) -> Result<UpdateHouseholdResponse, ApiError> {
        let mut new = required(req.household, "household")?;
        let today = clock::today();
        let mut v = Violations::new();
        let id = household_id(&mut v, "household.household_id", &new.household_id);
        if new.etag.is_empty() {
            v.add(
                "household.etag",
                "required: send the etag of the version you changed",
            );
        }
        validate::common_fields(&mut new, "household.", today, Origin::Create, &mut v);
        v.into_result()?;
        let id = id.unwrap_or_default();
        let etag = new.etag.clone();
        let replace = |h: &mut _| replace_fields(h, new, today);
        self.change_household(&idem, &id, Some(&etag), replace)
            .await
    }

    /// One idempotent change to household `id` through the runtime's versioned update:
    /// lock it, check `etag` if sent, `apply` the rule, save it with a new etag, and answer
    /// with the household as stored. The audit detail is the timeline's last event.
    pub(super) async fn change_household<R: HouseholdAnswer>(
        &self,
        idem: &Idempotent,
        id: &str,
        etag: Option<&str>,
        apply: impl FnOnce(&mut Household) -> Result<(), ApiError> + Send,
    ) -> Result<R, ApiError> {
        // Only a change made now is published: a replayed answer may be older than what
        // is stored, and the cache must not learn an old version it never held.
        let mut fresh = None;
        let response = update(
            &self.db,
            &store::Households {
                lookup: self.lookup(),
            },
            idem,
            id,
            etag,
            |locked| {
                apply(&mut locked.0)?;
                let last = locked.0.timeline.last();
                Ok(last.map(|e| e.detail.clone()).unwrap_or_default())
            },
            |stored| {
                if self.cache.is_some() {
                    fresh = Some(stored.0.clone());
                }
                R::answer(stored.0)
            },
        )
        .await?;
        // Published after the commit: a reader that fetched the previous version cannot
        // replace this one, since the cache keeps the higher version.
        if let (Some(cache), Some(h)) = (&self.cache, fresh) {
            cache.offer(&h);
        }
        Ok(response)
    }

    /// Turns a failed insert into the answer for the caller: when a unique key was
    /// violated, finds (after the rollback) which household or person of the batch is
    /// registered already, so the error names its field. Inserting first and explaining
    /// only on failure keeps the common path to the inserts alone.
    pub(super) async fn explain_conflict(
        &self,
        e: ApiError,
        batch: &[Household],
        prefix: impl Fn(usize) -> String,
    ) -> ApiError {
        let ApiError::Db(db) = &e else {
            return e;
        };
        if !is_unique_violation(db) {
            return e;
        }
        match store::find_conflict(self.db.conn(), batch, prefix).await {
            Ok(Some(conflict)) => conflict,
            Ok(None) => ApiError::Status(conflict_retry(
                "a concurrent write registered the same household or person; retry",
            )),
            Err(e) => e,
        }
    }
}

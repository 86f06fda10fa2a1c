//! ImportHouseholds: an existing archive moved over in batches, each checked whole and
//! committed in its own idempotent transaction by the runtime's import loop.

use chrono::NaiveDate;
use xk_contracts::pb::registry::v1::{
    EventKind, Household, ImportHouseholdsRequest, ImportHouseholdsResponse,
};
use xk_runtime::db::WriteTxn;
use xk_runtime::import::Importer;
use xk_runtime::write::Audit;
use xk_runtime::{ApiError, Violations, clock};

use super::{MAX_IMPORT_BATCH, RegistryApi};
use crate::domain::record::{append_event, status_name};
use crate::domain::validate::{self, Origin};
use crate::store;

impl RegistryApi {
    /// ImportHouseholds: the stream's importer, for the runtime's import loop (every batch
    /// checked whole, then committed or replayed).
    pub(super) fn import_households(&self) -> Result<HouseholdImport<'_>, ApiError> {
        Ok(HouseholdImport {
            api: self,
            today: clock::today(),
        })
    }
}

/// One import stream: the service (policy, database) and the day it is judged on.
pub(super) struct HouseholdImport<'a> {
    /// The service the stream came to.
    api: &'a RegistryApi,
    /// The county's date when the stream began, the same for every batch.
    today: NaiveDate,
}

impl Importer for HouseholdImport<'_> {
    type Batch = ImportHouseholdsRequest;
    type Checked = Vec<Household>;
    const MAX_RECORDS: usize = MAX_IMPORT_BATCH;

    fn check(&self, batch: Self::Batch, prefix: &str) -> Result<Self::Checked, ApiError> {
        let mut households = batch.households;
        let field = format!("{prefix}households");
        // Every bad household of the batch is named, in order (an empty list adds none).
        let mut errors = Vec::new();
        for (i, h) in households.iter_mut().enumerate() {
            let at = format!("{field}[{i}].");
            let identified = format!("{at}identified_year");
            let mut v = Violations::new();
            match self.api.policy.require(h.identified_year, &identified) {
                Ok(policy) => {
                    validate::new_household(h, &at, self.today, policy, Origin::Import, &mut v)
                }
                Err(e) => errors.push(e),
            }
            errors.push(v.into());
        }
        if let Some(e) = ApiError::merge(errors) {
            return Err(e);
        }
        // Only once the whole batch is valid: an invalid record (a client-sent timeline
        // ending at seq i64::MAX) must be refused, not overflow the next seq.
        for h in &mut households {
            h.etag.clear();
            let detail = format!("registered as {} (import)", status_name(h.status));
            append_event(h, EventKind::Registered, self.today, detail);
        }
        Ok(households)
    }

    async fn write(
        &self,
        txn: &WriteTxn,
        households: &Self::Checked,
    ) -> Result<(ImportHouseholdsResponse, Audit), ApiError> {
        store::insert_households(&**txn, households).await?;
        let n = households.len();
        let people: i64 = households.iter().map(|h| h.members.len() as i64).sum();
        let tally = ImportHouseholdsResponse {
            batches_committed: 1,
            batches_replayed: 0,
            households_imported: n as i64,
            people_imported: people,
        };
        let audit = Audit::new(
            format!("batch of {n}"),
            format!("{n} households, {people} people"),
        );
        Ok((tally, audit))
    }

    async fn explain(&self, error: ApiError, households: &Self::Checked, prefix: &str) -> ApiError {
        self.api
            .explain_conflict(error, households, |i| format!("{prefix}households[{i}]."))
            .await
    }
}

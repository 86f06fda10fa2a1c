//! ImportHouseholds: an existing archive moved over in batches, each checked whole and
//! committed in its own idempotent transaction by the runtime's import loop.

use chrono::NaiveDate;
use tonic::{Status, Streaming};
use xk_contracts::pb::registry::v1::{
    EventKind, Household, ImportHouseholdsRequest, ImportHouseholdsResponse,
};
use xk_runtime::db::WriteTxn;
use xk_runtime::import::{self, Importer};
use xk_runtime::write::Audit;
use xk_runtime::{ApiError, Principal, Violations, clock};

use super::{MAX_IMPORT_BATCH, RegistryApi};
use crate::domain::record::{append_event, status_name};
use crate::domain::validate::{self, Origin};
use crate::store;

impl RegistryApi {
    /// ImportHouseholds: every batch checked whole, then committed or replayed.
    pub(super) async fn import_households(
        &self,
        principal: Principal,
        stream: Streaming<ImportHouseholdsRequest>,
    ) -> Result<ImportHouseholdsResponse, Status> {
        let importer = HouseholdImport {
            api: self,
            today: clock::today(),
        };
        import::run(&self.db, &importer, principal, stream).await
    }
}

/// One import stream: the service (policy, database) and the day it is judged on.
struct HouseholdImport<'a> {
    /// The service the stream came to.
    api: &'a RegistryApi,
    /// The county's date when the stream began, the same for every batch.
    today: NaiveDate,
}

impl Importer for HouseholdImport<'_> {
    type Batch = ImportHouseholdsRequest;
    type Checked = Vec<Household>;
    type Tally = ImportHouseholdsResponse;

    fn check(
        &self,
        batch: ImportHouseholdsRequest,
        prefix: &str,
    ) -> Result<Vec<Household>, ApiError> {
        let mut households = batch.households;
        let mut batch_v = Violations::new();
        let field = format!("{prefix}households");
        if households.is_empty() {
            batch_v.add(&field, "a batch holds at least one household");
        }
        if households.len() > MAX_IMPORT_BATCH {
            let n = households.len();
            batch_v.add(
                &field,
                format!("at most {MAX_IMPORT_BATCH} households a batch, got {n}"),
            );
        }
        // Every bad household of the batch is named, in order (an empty list adds none).
        let mut errors = vec![ApiError::from(batch_v)];
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

//! ImportRelocations: the runtime's import loop ([`xk_runtime::import::run`]) with the
//! housing batch: every record checked before anything is written, then registered like
//! CreateRelocation's, the whole batch in one transaction.

use chrono::NaiveDate;
use tonic::Streaming;
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::clock::today;
use xk_runtime::db::WriteTxn;
use xk_runtime::import::Importer;
use xk_runtime::policy::PolicyBook;
use xk_runtime::write::Audit;
use xk_runtime::{ApiError, Principal};

use super::convert::check_relocation;
use super::relocations::register;
use super::{HousingApi, MAX_IMPORT_BATCH};
use crate::checked::Checked;
use crate::domain::policy::Policy;

/// One import stream's view: the policy, and the county's day when the stream began.
struct RelocationImport<'a> {
    policy: &'a PolicyBook<Policy>,
    today: NaiveDate,
}

impl Importer for RelocationImport<'_> {
    type Batch = pb::ImportRelocationsRequest;
    type Checked = Vec<Checked>;
    type Tally = pb::ImportRelocationsResponse;

    fn check(&self, batch: Self::Batch, prefix: &str) -> Result<Vec<Checked>, ApiError> {
        let mut errors = Vec::new();
        let size = batch.relocations.len();
        if size == 0 || size > MAX_IMPORT_BATCH {
            errors.push(ApiError::invalid(
                format!("{prefix}relocations"),
                format!("a batch holds 1 to {MAX_IMPORT_BATCH} households, got {size}"),
            ));
        }
        let mut checked = Vec::with_capacity(size);
        for (j, r) in batch.relocations.iter().enumerate() {
            let at = format!("{prefix}relocations[{j}].");
            match check_relocation(r, &at, self.today, self.policy) {
                Ok(c) => checked.push(c),
                Err(e) => errors.push(e),
            }
        }
        match ApiError::merge(errors) {
            Some(e) => Err(e),
            None => Ok(checked),
        }
    }

    async fn write(
        &self,
        txn: &WriteTxn,
        batch: &Vec<Checked>,
    ) -> Result<(pb::ImportRelocationsResponse, Audit), ApiError> {
        let stored = register(txn, batch).await?;
        let households = stored.len() as i64;
        let people: i64 = stored.iter().map(|c| i64::from(c.record.members)).sum();
        let tally = pb::ImportRelocationsResponse {
            batches_committed: 1,
            batches_replayed: 0,
            households_imported: households,
            people_imported: people,
        };
        let audit = Audit::new(
            format!("batch of {households}"),
            format!("{households} households, {people} people"),
        );
        Ok((tally, audit))
    }
}

/// ImportRelocations: batches until the stream ends or one fails.
pub(super) async fn relocations(
    api: &HousingApi,
    principal: Principal,
    stream: Streaming<pb::ImportRelocationsRequest>,
) -> Result<pb::ImportRelocationsResponse, ApiError> {
    let import = RelocationImport {
        policy: &api.policy,
        today: today(),
    };
    Ok(xk_runtime::import::run(&api.db, &import, principal, stream).await?)
}

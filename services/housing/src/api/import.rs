//! ImportRelocations: the runtime's import loop ([`xk_runtime::import::run`]) with the
//! housing batch: every record checked before anything is written, then registered like
//! CreateRelocation's, the whole batch in one transaction.

use chrono::NaiveDate;
use xk_contracts::pb::housing::v1 as pb;
use xk_runtime::ApiError;
use xk_runtime::clock::today;
use xk_runtime::db::WriteTxn;
use xk_runtime::import::Importer;
use xk_runtime::policy::PolicyBook;
use xk_runtime::write::Audit;

use super::convert::check_relocation;
use super::relocations::register;
use super::{HousingApi, MAX_IMPORT_BATCH};
use crate::checked::Checked;
use crate::domain::policy::Policy;

/// One import stream's view: the policy, and the county's day when the stream began.
pub(super) struct RelocationImport<'a> {
    policy: &'a PolicyBook<Policy>,
    today: NaiveDate,
}

impl Importer for RelocationImport<'_> {
    type Batch = pb::ImportRelocationsRequest;
    type Checked = Vec<Checked>;
    const MAX_RECORDS: usize = MAX_IMPORT_BATCH;

    fn check(&self, batch: Self::Batch, prefix: &str) -> Result<Vec<Checked>, ApiError> {
        let mut errors = Vec::new();
        let mut checked = Vec::with_capacity(batch.relocations.len());
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

/// ImportRelocations: the stream's importer, for the runtime's import loop (batches until
/// the stream ends or one fails).
pub(super) fn relocations(api: &HousingApi) -> Result<RelocationImport<'_>, ApiError> {
    Ok(RelocationImport {
        policy: &api.policy,
        today: today(),
    })
}

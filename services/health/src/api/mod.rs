//! The gRPC face of the health service. Every write RPC reads: validate (INVALID_ARGUMENT,
//! nothing touched) -> one idempotent, audited transaction ([`xk_runtime::Db::write`], or
//! [`xk_runtime::import::run`] per batch) around the domain rule and the store change ->
//! response. Every handler returns [`ApiError`]; the tonic trait converts it to a status.
//!
//! One file per resource's RPCs:
//! - `service`: the tonic trait, one line per RPC.
//! - `enrolments`: Enrol, ImportEnrolments (an [`xk_runtime::import::Importer`]).
//! - `institutions`: UpsertInstitution.
//! - `settlements`: SettleCase; `bills`: its bill check (one live settlement per bill).
//! - `reversals`: ReverseCase.
//! - `reads`: ListInstitutions, GetPersonYear, ListCases, ListExceptions,
//!   ListPersonPayments, SummarizeByRegion.
//!
//! Leaves the others use, which use none of them: `convert` (rows <-> messages) and
//! `checks` (field checks shared by several RPCs). This module holds the service struct.

mod bills;
mod checks;
mod convert;
mod enrolments;
mod institutions;
mod reads;
mod reversals;
mod service;
mod settlements;

use tonic::Status;
use xk_runtime::ApiError;

use crate::domain::Policy;

/// Largest number of enrolments in one import batch: one transaction of this many
/// enrolments (two rows each) commits in well under a second on both databases.
pub const MAX_IMPORT_BATCH: usize = 5000;

/// Longest institution code, matching the column width.
pub const MAX_CODE_LEN: usize = 32;

/// Longest institution name in characters (a hospital's full official name fits).
pub const MAX_NAME_CHARS: usize = 100;

/// Longest reversal reason in characters (it goes to the audit log).
pub const MAX_REASON_CHARS: usize = 200;

xk_runtime::service_api! {
    /// The health service implementation: its database and the validated policy of every
    /// coverage year (settlement terms, premium, cap).
    pub struct HealthApi(Backend<Policy>);
}

impl HealthApi {
    /// How this database reads an enrolment by key: through the key table's county once
    /// the enrolments are partitioned ([`xk_runtime::partition::Lookup`]).
    fn enrolments(&self) -> xk_runtime::partition::Lookup {
        self.db.lookup(crate::store::ENROLMENTS)
    }

    /// How this database reads (and locks) a person-year by key, as [`Self::enrolments`].
    fn person_years(&self) -> xk_runtime::partition::Lookup {
        self.db.lookup(crate::store::PERSON_YEARS)
    }

    /// The policy of a coverage year, if the book covers it.
    fn policy_for(&self, year: i32) -> Option<&Policy> {
        self.policy.for_year(year)
    }

    /// The annual personal cap of a coverage year (0 when no policy covers it, so nobody
    /// counts as over it).
    fn cap_for(&self, year: i32) -> i64 {
        self.policy_for(year)
            .map_or(0, |p| p.supplementary.annual_personal_cap_fen)
    }
}

/// INTERNAL for stored state or configuration the service cannot work with (a bug or
/// tampering, never the caller's doing): the details go to the log, not to the caller.
fn inconsistent(what: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %what, "inconsistent stored state");
    ApiError::Status(Status::internal(
        "stored state is inconsistent; the operators have the details",
    ))
}

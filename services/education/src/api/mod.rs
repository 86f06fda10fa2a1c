//! The gRPC face of the education service. Every write RPC reads the same way: validate
//! the request (INVALID_ARGUMENT naming every bad field, nothing touched) → one
//! [`Db::write`]: the idempotent, audited transaction around the domain rule and the store
//! change → the response. Each write is the `Write` impl of its request message, in its
//! resource's module (after mini-redis's one command per file). Errors are
//! [`xk_runtime::ApiError`], mapped to a status once, in `service`.
//!
//! | module | what it holds |
//! |---|---|
//! | `service` | the tonic trait: the principal and the request id's claim, the call, the status |
//! | `rpc` | what a write RPC is: its name, answer and request id (one table), how it applies (a leaf) |
//! | `students` | CreateStudent, UpdateStudent |
//! | `import` | ImportStudents, through the runtime's import loop |
//! | `letters` | SendLetter, RecordLetterReply |
//! | `visits` | RecordVisit (home teaching) |
//! | `cases` | OpenCase, AddFollowUp, CloseCase |
//! | `subsidies` | RecordSubsidy |
//! | `surveys` | RecordSurvey |
//! | `expenses` | RecordSchoolingExpense, ListSchoolingExpenses |
//! | `reads` | GetStudent, ListStudents, ListExceptions, SummarizeByRegion |
//! | `guarantee` | the stored guarantee, computed and recomputed in the write transaction |
//! | `convert` | proto <-> domain: a student's status and checks, a stored letter |
//! | `fields` | checks of single request fields (a leaf) |
//!
//! The resource modules use `rpc`, `guarantee`, `convert` and `fields`, never each other.

mod cases;
mod convert;
mod expenses;
mod fields;
mod guarantee;
mod import;
mod letters;
mod reads;
mod rpc;
mod service;
mod students;
mod subsidies;
mod surveys;
mod visits;

use chrono::NaiveDate;
use tonic::Status;
use xk_runtime::{ApiError, Violations};

use crate::domain::FieldViolation;
use crate::domain::policy::Policy;

/// Largest number of students in one import batch: bounds a batch's transaction and
/// its memory.
pub const MAX_IMPORT_BATCH: usize = 5000;

xk_runtime::service_api! {
    /// The education service implementation: its database and the policy numbers by
    /// policy year (from [`crate::policy::load`], which makes sure the book covers today).
    pub struct EducationApi(Backend<Policy>);
}

impl EducationApi {
    /// How this database reads a student by id: through the key table's county once the
    /// students are partitioned ([`xk_runtime::partition::Lookup`]).
    fn students(&self) -> xk_runtime::partition::Lookup {
        self.db.lookup(crate::store::STUDENTS)
    }

    /// The policy of the school year containing `on`, which the request sent in `field`.
    fn policy_on(&self, on: NaiveDate, field: &str) -> Result<&Policy, ApiError> {
        crate::policy::policy_on(&self.policy, on, field)
    }

    /// The policy of the school year containing `today`. A book from
    /// [`crate::policy::load`] covers it, and days only move forward, so a miss is the
    /// server's misconfiguration, not the caller's mistake.
    fn policy_today(&self, today: NaiveDate) -> Result<&Policy, ApiError> {
        self.policy_on(today, "today").map_err(|_| {
            ApiError::Status(Status::internal(format!(
                "the policy book (from {}) does not cover today",
                self.policy.first_year()
            )))
        })
    }
}

/// The error for the violations a domain check refused a value with (`prefix` before every
/// field path). The checks never refuse without one; an empty list would still answer
/// INVALID_ARGUMENT rather than pass.
fn refusal(prefix: &str, violations: Vec<FieldViolation>) -> ApiError {
    ApiError::from_violations(prefix, violations)
        .unwrap_or_else(|| ApiError::Invalid(Violations::new()))
}

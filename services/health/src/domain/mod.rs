//! The pure rules of the health service.
//!
//! - [`bill`]: bill numbers, and when a bill may be settled (once at a time; again after
//!   a reversal).
//! - [`code`]: the codes partners print (institution codes, bill numbers).
//! - [`money`]: integer fen, basis points, the rounding rule.
//! - [`policy`]: per-coverage-year configuration, loaded from TOML and validated into the
//!   runtime's policy book.
//! - [`rules`]: the stable ids of the rules a request can break.
//! - [`settlement`]: the four-layer settlement of hospital cases, cumulative per person and
//!   coverage year.
//!
//! Everything a caller needs is re-exported here.

pub mod bill;
pub mod code;
pub mod money;
pub mod policy;
pub mod rules;
pub mod settlement;

pub use bill::{BillRow, BillState, MAX_BILL_NUMBER_LEN, bill_state, check_bill_number};
pub use code::check_code;
pub use money::{BP_SCALE, apply_bp};
pub use policy::{
    BasicInsurance, BasicTerms, DEFAULT_POLICY_TOML, InstitutionLevel, LevelTable,
    MedicalAssistance, Policy, PolicyBook, PolicyError, PolicyViolation, Premium, PremiumSplit,
    SeriousIllness, Supplementary, book_from_toml, embedded_book,
};
pub use settlement::{
    Case, CaseError, ReverseError, SettleError, Settlement, YearToDate, YtdDelta, reverse, settle,
    settle_all,
};

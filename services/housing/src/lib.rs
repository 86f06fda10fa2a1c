//! Relocation office (易地扶贫搬迁办) service of xiaokang: the safe-housing guarantee
//! (住房安全有保障) for relocated households (易地扶贫搬迁) and house-safety appraisals
//! (危房改造) for households not relocated.
//!
//! For now the crate holds only the pure domain core; the gRPC `api` and the `store`
//! layers will depend on it, never the other way round.
//!
//! # Module map
//!
//! | module | what it decides |
//! |---|---|
//! | [`domain::policy`] | the effective-dated policy book (area red line, debt cap, reclaimed-area bound, demolition grace) and the mu unit |
//! | [`domain::milestones`] | the relocation timeline (construction start … reclamation accepted): order and date checks, the move-in rule |
//! | [`domain::relocation`] | resettlement site types, the new house (area, cost, debt), the old house (demolition, reclamation), the household's exceptions |
//! | [`domain::support`] | follow-up support measures and the employment rule |
//! | [`domain::appraisal`] | house-safety grades A–D and renovation of dangerous houses |
//!
//! Shared vocabulary lives in [`domain`]: [`domain::FieldViolation`],
//! [`domain::ViolationKind`] (maps to `INVALID_ARGUMENT` or `FAILED_PRECONDITION`) and
//! [`domain::ExceptionKind`] (what the county summary counts).
//!
//! Rules contain no policy figure: every threshold comes from a [`domain::policy::Policy`].
//! Money is integer fen, area integer 0.01 m², land integer 0.01 mu.

#![warn(missing_docs)]

pub mod domain;

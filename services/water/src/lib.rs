//! Water Resources Bureau (水利局) service of xiaokang: drinking-water safety
//! (饮水安全有保障), graded on the four indicators of T/CHES 18-2018 (农村饮水安全评价准则).
//!
//! For now the crate holds only the pure domain core; the gRPC `api` and the `store`
//! layers will depend on it, never the other way round.
//!
//! # Module map
//!
//! | module | what it decides |
//! |---|---|
//! | [`domain`] | the entry point [`domain::assess`] (policy year → validate → grade), and [`domain::FieldViolation`] / [`domain::ViolationKind`], which the API layer maps to `INVALID_ARGUMENT` or `FAILED_PRECONDITION` |
//! | [`domain::policy`] | the effective-dated policy book ([`domain::policy::Thresholds`] per year: quantity per area type, convenience, supply guarantee, input bounds), loaded from `policy.toml` and validated |
//! | [`domain::measurements`] | what an assessor records: supply type, litres, quality evidence, fetch time and distances, outage days, area, date; raw (as sent) and validated forms |
//! | [`domain::validate`](mod@domain::validate) | request checks that report every violation at once, and the proto field paths they name |
//! | [`domain::grading`] | the four grades ([`domain::grading::Grade`]), the verdict as their minimum ([`domain::grading::Verdict`]), and [`domain::grading::grade`] |
//!
//! Rules contain no policy figure: every threshold and bound comes from a
//! [`domain::policy::Thresholds`].

#![warn(missing_docs)]

pub mod domain;

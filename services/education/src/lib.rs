//! Education Bureau (教育局) service of xiaokang: the compulsory-education guarantee
//! (义务教育有保障) and the campaign against dropping out (控辍保学).
//!
//! For now the crate holds only the pure domain core; the gRPC `api` and the `store`
//! layers will depend on it, never the other way round.
//!
//! # Module map
//!
//! | module | what it decides |
//! |---|---|
//! | [`domain::policy`] | the effective-dated policy book (ages, cut-off, deferral, letters, home teaching, subsidies), loaded from `policy.toml` and validated |
//! | [`domain::scope`] | school years, age at the cut-off date, who is a compulsory-age child ([`domain::scope::in_scope`]), primary/junior stage |
//! | [`domain::status`] | a student's enrolment status and whether it counts as guaranteed ([`domain::status::guarantee`]) |
//! | [`domain::letters`] | notification letters (协查函) for students outside the county: confirmation and the overdue alert |
//! | [`domain::home_teaching`] | home-delivered teaching (送教上门): visits, the yearly log, the hours shortfall |
//! | [`domain::subsidy`] | living allowance and nutrition programme amounts; payment validation |
//! | [`domain::cases`] | return-to-school cases (劝返): open, follow up, close only once the child is guaranteed |
//!
//! Shared vocabulary lives in [`domain`]: [`domain::FieldViolation`] and
//! [`domain::ViolationKind`], which the API layer maps to `INVALID_ARGUMENT` or
//! `FAILED_PRECONDITION`.
//!
//! Rules contain no policy figure: every threshold comes from a [`domain::policy::Policy`].
//! Money is integer fen.

#![warn(missing_docs)]

pub mod domain;

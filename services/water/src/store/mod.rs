//! The water service's I/O: schemes, the assessment history, the `current` table that
//! holds each household's latest status, and the villages' area types. No rules here:
//! callers pass records the domain has validated and graded. Every function returns
//! [`xk_runtime::ApiError`].
//!
//! | module | holds |
//! |---|---|
//! | [`schemes`] | supply schemes and the villages each serves; the scheme [`xk_runtime::write::RecordStore`] |
//! | [`assessments`] | the history and `current`, written together |
//! | [`villages`] | configured area types |
//! | [`summary`] | SummarizeByRegion in SQL, over the rows or their rollups |
//! | [`rollups`] | the per-village running totals the summary reads |
//! | [`gauges`] | the business gauge for `/metrics` |
//! | [`support`] | the leaf every table module shares (chunking, prefix ranges) |

pub mod assessments;
pub mod entities;
pub mod gauges;
pub mod migration;
pub mod rollups;
pub mod schemes;
pub mod summary;
pub mod support;
pub mod villages;

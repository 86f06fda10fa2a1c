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

/// The tables a province's PostgreSQL database may partition by county
/// (`xiaokang migrate water --partition-by-county`): every assessment, keyed by household
/// and sequence number, unique across the province still. (The current state per
/// household is written with an upsert on the household id alone: not offered.)
pub const PARTITIONABLE: &[xk_runtime::partition::Partitionable] =
    &[xk_runtime::partition::Partitionable {
        table: "assessments",
        key: &["household_id", "seq"],
        region: "village_code",
    }];

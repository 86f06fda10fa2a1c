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

/// The history table (read by key through [`xk_runtime::Db::lookup`]).
pub const ASSESSMENTS: &str = "assessments";
/// The current-status table (read by key through [`xk_runtime::Db::lookup`]).
pub const CURRENT: &str = "water_current";

/// Every assessment, keyed by household and sequence number.
pub const ASSESSMENTS_TABLE: xk_runtime::partition::Partitionable =
    xk_runtime::partition::Partitionable {
        table: ASSESSMENTS,
        key: &["household_id", "seq"],
        region: "village_code",
    };

/// Each assessed household's current status, keyed by household. Its village is the
/// current assessment's, so a household assessed in another county moves partitions.
pub const CURRENT_TABLE: xk_runtime::partition::Partitionable =
    xk_runtime::partition::Partitionable {
        table: CURRENT,
        key: &["household_id"],
        region: "village_code",
    };

/// The tables a province's PostgreSQL database may partition by county
/// (`xiaokang migrate water --partition-by-county`): the history and the current statuses,
/// their keys unique across the province still. Once partitioned, both are read through
/// their key tables ([`assessments::Reads`]), and a current row is replaced by a delete
/// and an insert where a plain table takes an upsert on the household id.
pub const PARTITIONABLE: &[xk_runtime::partition::Partitionable] =
    &[ASSESSMENTS_TABLE, CURRENT_TABLE];

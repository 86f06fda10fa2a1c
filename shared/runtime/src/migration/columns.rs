//! The column kinds the services' tables share, defined once, so that a region code, a
//! household id or an amount has the same type in every table of every service.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, blob, string_len, string_len_null, timestamp_with_time_zone,
};

/// A 12-digit region (village) code: prefix ranges select a county, township or village.
pub fn region_code(column: impl IntoIden) -> ColumnDef {
    string_len(column, 12)
}

/// A household's archive card number, the id every service joins households by.
pub fn household_id(column: impl IntoIden) -> ColumnDef {
    string_len(column, 32)
}

/// An 18-character resident id, the id every service joins people by.
pub fn resident_id(column: impl IntoIden) -> ColumnDef {
    string_len(column, 18)
}

/// A code or id an office or the service chooses (site, scheme, institution, snapshot):
/// up to 32 characters.
pub fn code(column: impl IntoIden) -> ColumnDef {
    string_len(column, 32)
}

/// A [`code`] that may be missing.
pub fn code_null(column: impl IntoIden) -> ColumnDef {
    string_len_null(column, 32)
}

/// The number of a document (letter, case, survey, bill): up to 64 characters.
pub fn document_number(column: impl IntoIden) -> ColumnDef {
    string_len(column, 64)
}

/// Who did something: a principal's name as the audit log records it, up to 32 characters.
pub fn principal(column: impl IntoIden) -> ColumnDef {
    string_len(column, 32)
}

/// A calendar month, `YYYY-MM`.
pub fn month(column: impl IntoIden) -> ColumnDef {
    string_len(column, 7)
}

/// An amount in fen, 64 bits wide so that sums over a county do not overflow.
pub fn fen(column: impl IntoIden) -> ColumnDef {
    big_integer(column)
}

/// A record's optimistic-concurrency version (its etag).
pub fn version(column: impl IntoIden) -> ColumnDef {
    big_integer(column)
}

/// The encoded protobuf record that reads return.
pub fn doc(column: impl IntoIden) -> ColumnDef {
    blob(column)
}

/// When a row was written (created, updated, recorded, taken), with its time zone.
pub fn written_at(column: impl IntoIden) -> ColumnDef {
    timestamp_with_time_zone(column)
}

//! What every table module of the store shares: the statement chunk size and the error
//! for a stored record that does not decode. A leaf: it uses no other store module.

use std::future::Future;

use sea_orm::DbErr;
use xk_runtime::ApiError;

/// Rows (or keys) per multi-row statement: well under SQLite's bound-parameter limit for
/// every table here (the widest has 15 columns).
pub const CHUNK: usize = 500;

/// The error for a stored record that does not decode: logged with its key at the server,
/// INTERNAL to the caller (never the record's content).
pub fn unreadable(what: &str, key: &str, e: prost::DecodeError) -> ApiError {
    tracing::error!(what, key, error = %e, "stored record does not decode");
    ApiError::Db(DbErr::Custom(format!("stored {what} is unreadable")))
}

/// Runs `query` on each [`CHUNK`] of `keys` (an `IN (...)` list) and collects the rows, so
/// a long key list never exceeds a statement's parameter limit.
pub async fn in_chunks<K, T, F, Fut>(keys: &[K], query: F) -> Result<Vec<T>, ApiError>
where
    F: Fn(&[K]) -> Fut,
    Fut: Future<Output = Result<Vec<T>, DbErr>>,
{
    let mut out = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        out.extend(query(chunk).await?);
    }
    Ok(out)
}

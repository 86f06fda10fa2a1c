//! The responses and audit rows of a transaction's writes, kept in memory until its commit
//! stores them all at once.
//!
//! A write's bookkeeping is two rows besides its work: the stored response of its request
//! id (for retries) and its audit row. Written one statement each, they were two of the
//! seven to nine statements of a unary write, and on SQLite every statement is a round trip
//! to the connection's worker thread. Here a write only records them;
//! [`crate::db::WriteTxn::commit`] stores every write's in two multi-row statements just
//! before the commit, so they are durable together with the work or not at all, as before.
//!
//! The request id itself is still claimed by its own statement before the work (a row
//! with an empty response): that claim is what makes a concurrent duplicate wait on
//! PostgreSQL, and what a duplicate inside the same transaction finds; such a duplicate
//! reads the first answer from here ([`Bookkeeping::response_of`]), since the row's
//! response is filled only at the commit.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use super::{audit_entry, idempotency_key};

/// One write's response and audit row, waiting for the commit.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The principal that claimed the request id.
    pub principal: &'static str,
    /// The request id claimed.
    pub request_id: String,
    /// The RPC (kept in both rows).
    pub method: &'static str,
    /// The request's fingerprint (as claimed).
    pub request_hash: String,
    /// The encoded response: what a retry gets.
    pub response: Vec<u8>,
    /// When the work finished (the audit row's `at`).
    pub at: DateTime<Utc>,
    /// The audit row's target.
    pub target: String,
    /// The audit row's detail.
    pub detail: String,
}

/// The entries of one write transaction, in the order its writes finished.
#[derive(Debug, Default)]
pub(crate) struct Bookkeeping {
    /// Finished writes not yet stored.
    entries: Vec<Entry>,
}

impl Bookkeeping {
    /// Records a finished write.
    pub(crate) fn push(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// How many entries there are: a group commit member notes it before its work, and
    /// forgets what it added ([`Bookkeeping::forget_since`]) if its work is rolled back.
    pub(crate) fn mark(&self) -> usize {
        self.entries.len()
    }

    /// Drops the entries recorded since `mark`: their writes were rolled back to a
    /// savepoint, so their rows must not be stored.
    pub(crate) fn forget_since(&mut self, mark: usize) {
        self.entries.truncate(mark);
    }

    /// The response recorded in this transaction for `(principal, request_id)`, if a write
    /// of it finished here (its key row's response is still empty until the commit).
    pub(crate) fn response_of(&self, principal: &str, request_id: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.principal == principal && e.request_id == request_id)
            .map(|e| e.response.as_slice())
    }

    /// Stores every entry: the responses into their claimed key rows (one upsert) and the
    /// audit rows (one insert), in finishing order. Called inside the transaction, just
    /// before its commit.
    pub(crate) async fn flush<C: ConnectionTrait>(self, txn: &C) -> Result<(), DbErr> {
        if self.entries.is_empty() {
            return Ok(());
        }
        // SQLite binds at most 32,766 values a statement and PostgreSQL 65,535: a batch of
        // 256 writes binds 6 × 256 per statement, far below either.
        let keys = self.entries.iter().map(|e| idempotency_key::ActiveModel {
            principal: Set(e.principal.to_string()),
            request_id: Set(e.request_id.clone()),
            method: Set(e.method.to_string()),
            request_hash: Set(e.request_hash.clone()),
            response: Set(e.response.clone()),
            // Only the response is updated: the claimed row keeps its own `created_at`.
            created_at: Set(e.at),
        });
        idempotency_key::Entity::insert_many(keys)
            .on_conflict(
                OnConflict::columns([
                    idempotency_key::Column::Principal,
                    idempotency_key::Column::RequestId,
                ])
                .update_column(idempotency_key::Column::Response)
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        let audits = self.entries.into_iter().map(|e| audit_entry::ActiveModel {
            id: NotSet,
            at: Set(e.at),
            principal: Set(e.principal.to_string()),
            request_id: Set(e.request_id),
            method: Set(e.method.to_string()),
            target: Set(e.target),
            detail: Set(e.detail),
        });
        audit_entry::Entity::insert_many(audits)
            .exec_without_returning(txn)
            .await?;
        Ok(())
    }
}

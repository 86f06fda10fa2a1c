//! Idempotent writes and the audit log, recorded in the same transaction as the work.
//!
//! Every mutating RPC carries a `request_id`. Before doing any work the handler claims
//! `(principal, request_id)` in the `idempotency_keys` table inside its write transaction:
//! - a fresh claim means "do the work"; [`Idempotent::finish`] then records the encoded
//!   response and an audit row, which the transaction's commit stores with the work
//!   ([`bookkeeping`]: one multi-row statement each for all the transaction's writes);
//! - an existing claim with the same request fingerprint returns the stored response
//!   (the first answer; nothing new is written);
//! - an existing claim with a different request is refused with ALREADY_EXISTS.
//!
//! On PostgreSQL a concurrent duplicate blocks on the key until the first commits, then
//! sees its answer; on SQLite writers are serialised by [`crate::db::Db::begin_write`].

mod bookkeeping;

pub(crate) use bookkeeping::{Bookkeeping, Entry as BookkeepingEntry};

use chrono::Utc;
use prost::Message;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryTrait, Statement,
};
use sha2::{Digest, Sha256};
use tonic::Status;

use crate::auth::Principal;
use crate::db::WriteTxn;
use crate::errors::{db_status, invalid};

/// The `idempotency_keys` table.
pub mod idempotency_key {
    use sea_orm::entity::prelude::*;

    /// One claimed request id.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        /// Who sent it: ids are scoped per principal, so bureaus cannot collide.
        #[sea_orm(primary_key, auto_increment = false)]
        pub principal: String,
        /// The caller's request id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: String,
        /// The RPC it was used with.
        pub method: String,
        /// SHA-256 of the encoded request: the same id with another request is refused.
        pub request_hash: String,
        /// The encoded response returned to every retry.
        pub response: Vec<u8>,
        /// When it was first seen.
        pub created_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `audit_log` table.
pub mod audit_entry {
    use sea_orm::entity::prelude::*;

    /// One write: who, request id, what, when.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        /// Order of writing.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// When it was committed (UTC).
        pub at: DateTimeUtc,
        /// Who wrote.
        pub principal: String,
        /// The request id of the write.
        pub request_id: String,
        /// The RPC.
        pub method: String,
        /// What it wrote to (a household id, a batch, …; never a resident id or a name).
        pub target: String,
        /// A short description (counts, new status; never personal data).
        pub detail: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The longest request id accepted.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// Checks a request id's form: 1-64 printable ASCII characters without spaces.
pub fn validate_request_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("required: every write carries a request_id for safe retries".into());
    }
    if id.len() > MAX_REQUEST_ID_LEN {
        return Err(format!(
            "at most {MAX_REQUEST_ID_LEN} characters, got {}",
            id.len()
        ));
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("only printable ASCII without spaces".into());
    }
    Ok(())
}

/// One write's idempotency and audit context.
#[derive(Debug, Clone)]
pub struct Idempotent {
    /// Who is writing.
    principal: Principal,
    /// The caller's request id.
    request_id: String,
    /// The RPC name.
    method: &'static str,
    /// Fingerprint of the request.
    hash: String,
}

impl Idempotent {
    /// Validates the request id (field `field`) and fingerprints the request.
    pub fn new<M: Message>(
        principal: Principal,
        method: &'static str,
        request_id: &str,
        field: &str,
        request: &M,
    ) -> Result<Self, Status> {
        validate_request_id(request_id).map_err(|e| invalid(field, e))?;
        Ok(Self {
            principal,
            request_id: request_id.to_string(),
            method,
            hash: hex::encode(Sha256::digest(request.encode_to_vec())),
        })
    }

    /// The request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Claims the request id in `txn`. `Some(response)` if it was answered before: return
    /// it and write nothing. `None`: do the work, then call [`Idempotent::finish`].
    pub async fn begin<R: Message + Default>(&self, txn: &WriteTxn) -> Result<Option<R>, Status> {
        let claim = self.claim_statement(txn.get_database_backend());
        let inserted = txn
            .execute_raw(claim)
            .await
            .map_err(db_status)?
            .rows_affected();
        self.claimed(txn, inserted == 1).await
    }

    /// The statement that claims the request id: an insert that does nothing if the id is
    /// taken, so one row affected means "claimed now". [`Idempotent::begin`] runs it on
    /// its own; a group commit on SQLite runs it in one round trip with its savepoint
    /// ([`crate::group_commit`]) and goes on with [`Idempotent::claimed`].
    pub(crate) fn claim_statement(&self, backend: DbBackend) -> Statement {
        use idempotency_key as k;
        let row = k::ActiveModel {
            principal: Set(self.principal.name().to_string()),
            request_id: Set(self.request_id.clone()),
            method: Set(self.method.to_string()),
            request_hash: Set(self.hash.clone()),
            response: Set(Vec::new()),
            created_at: Set(Utc::now()),
        };
        k::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([k::Column::Principal, k::Column::RequestId])
                    .do_nothing()
                    .to_owned(),
            )
            .build(backend)
    }

    /// After the claim statement: `inserted` says whether it claimed the id now. If not,
    /// the id's first answer (`Some`), or ALREADY_EXISTS if it came with another request.
    pub(crate) async fn claimed<R: Message + Default>(
        &self,
        txn: &WriteTxn,
        inserted: bool,
    ) -> Result<Option<R>, Status> {
        use idempotency_key as k;
        if inserted {
            return Ok(None);
        }
        let existing = k::Entity::find()
            .filter(k::Column::Principal.eq(self.principal.name()))
            .filter(k::Column::RequestId.eq(&self.request_id))
            .one(&**txn)
            .await
            .map_err(db_status)?
            .ok_or_else(|| {
                crate::errors::conflict_retry("request id claimed concurrently; retry")
            })?;
        if existing.method != self.method || existing.request_hash != self.hash {
            return Err(crate::errors::already_exists(
                "request_id",
                &self.request_id,
                &format!(
                    "it was used before for a different {} request; use a fresh request_id for new work",
                    existing.method
                ),
            ));
        }
        // A write earlier in this same transaction claimed it: its response is recorded
        // for the commit, not stored in the row yet.
        let pending = txn.pending_response(self.principal.name(), &self.request_id);
        let stored = pending.as_deref().unwrap_or(existing.response.as_slice());
        let response = R::decode(stored).map_err(|e| {
            tracing::error!(error = %e, "stored idempotent response does not decode");
            Status::internal("stored response is unreadable")
        })?;
        tracing::debug!(method = self.method, "replayed an idempotent write");
        crate::metrics::record_idempotent_replay(self.method);
        Ok(Some(response))
    }

    /// Records the response for retries and the audit row in `txn`, which stores them when
    /// it commits ([`bookkeeping`]). Commit afterwards.
    pub async fn finish<R: Message>(
        &self,
        txn: &WriteTxn,
        response: &R,
        target: &str,
        detail: &str,
    ) -> Result<(), Status> {
        txn.record(BookkeepingEntry {
            principal: self.principal.name(),
            request_id: self.request_id.clone(),
            method: self.method,
            request_hash: self.hash.clone(),
            response: response.encode_to_vec(),
            at: Utc::now(),
            target: target.to_string(),
            detail: detail.to_string(),
        });
        Ok(())
    }
}

/// The principal the auth layer attached to a request.
pub fn principal_of<T>(req: &tonic::Request<T>) -> Result<Principal, Status> {
    req.extensions()
        .get::<Principal>()
        .copied()
        .ok_or_else(|| Status::unauthenticated("no principal: the call bypassed authentication"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_checked() {
        assert!(validate_request_id("req-1").is_ok());
        assert!(validate_request_id("").unwrap_err().contains("required"));
        assert!(
            validate_request_id(&"a".repeat(65))
                .unwrap_err()
                .contains("at most 64")
        );
        assert!(validate_request_id("has space").is_err());
        assert!(validate_request_id("中文").is_err());
    }
}

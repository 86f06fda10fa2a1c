//! Tables every service has: the idempotency keys and the audit log. Each service's
//! migrator lists [`RuntimeTables`] first, so they live in the service's own database.
//!
//! And what the services' migrations and entities share: the column kinds ([`columns`]),
//! tables and indexes written as data ([`schema`], [`crate::schema_migration!`]), the
//! entity boilerplate ([`crate::entities!`]) and the migrator ([`crate::migrator!`]).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub mod columns;
mod entity;
pub mod schema;

pub use columns::{
    code, code_null, doc, document_number, fen, household_id, month, principal, region_code,
    resident_id, version, written_at,
};
pub use schema::{Schema, alter_table, index};

/// Creates `idempotency_keys` and `audit_log`.
pub struct RuntimeTables;

impl MigrationName for RuntimeTables {
    fn name(&self) -> &str {
        "m20261129_000000_runtime_tables"
    }
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Principal,
    RequestId,
    Method,
    RequestHash,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Principal,
    RequestId,
    Method,
    Target,
    Detail,
}

#[async_trait::async_trait]
impl MigrationTrait for RuntimeTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .if_not_exists()
                    .col(principal(IdempotencyKeys::Principal))
                    .col(string_len(IdempotencyKeys::RequestId, 64))
                    .col(string_len(IdempotencyKeys::Method, 64))
                    .col(string_len(IdempotencyKeys::RequestHash, 64))
                    .col(blob(IdempotencyKeys::Response))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::Principal)
                            .col(IdempotencyKeys::RequestId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(principal(AuditLog::Principal))
                    .col(string_len(AuditLog::RequestId, 64))
                    .col(string_len(AuditLog::Method, 64))
                    .col(string(AuditLog::Target))
                    .col(text(AuditLog::Detail))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                AuditLog::Table.into_iden(),
                IdempotencyKeys::Table.into_iden(),
            ],
        )
        .await
    }
}

/// Drops `tables` in order (children before parents), for a migration's `down`.
pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = DynIden>,
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(table).to_owned())
            .await?;
    }
    Ok(())
}

/// Drops the index `name` of `table`.
pub async fn drop_index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

/// Declares a service's migrator: the runtime's own tables ([`RuntimeTables`]) first, then
/// the service's migrations, oldest first.
///
/// ```ignore
/// xk_runtime::migrator!(
///     /// The registry's migrator.
///     Migrator: m20261129_000001_registry_tables::Migration,
///     m20261206_000020_disaster_expenses::Migration,
/// );
/// ```
#[macro_export]
macro_rules! migrator {
    ($(#[$meta:meta])* $name:ident: $($migration:path),+ $(,)?) => {
        $(#[$meta])*
        pub struct $name;

        impl ::sea_orm_migration::MigratorTrait for $name {
            fn migrations() -> Vec<Box<dyn ::sea_orm_migration::MigrationTrait>> {
                vec![
                    Box::new($crate::migration::RuntimeTables),
                    $(Box::new($migration)),+
                ]
            }
        }
    };
}

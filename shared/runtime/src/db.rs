//! Connecting to a service's own database by URL, and the write path.
//!
//! SQLite (the embedded default, one file per service) runs in WAL mode with
//! `synchronous=FULL`, so a write acknowledged to a client survives a process kill and a
//! power cut. SQLite allows one writer at a time, and a deferred transaction that has read
//! cannot always upgrade to a writer without SQLITE_BUSY; so writes take an in-process lock
//! first ([`Db::begin_write`]). PostgreSQL needs no such lock.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, QuerySelect, Select, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, OwnedMutexGuard};
use tonic::Status;

use crate::errors::db_status;
use crate::group_commit::{GroupCommit, GroupCommitStats};
use crate::idempotency::Bookkeeping;
use crate::partition;
use crate::rollup::{self, Rollups};

/// A service's database.
#[derive(Clone, Debug)]
pub struct Db {
    /// The pool.
    conn: DatabaseConnection,
    /// Serialises writers on SQLite; `None` on PostgreSQL.
    write_lock: Option<Arc<Mutex<()>>>,
    /// Whether [`Db::migrate`] applies pending migrations (false: only checks them).
    apply_migrations: bool,
    /// Batches concurrent writes into one transaction and one commit; `None` when turned
    /// off (`ServeSettings::group_commit`), so each write commits alone.
    group: Option<Arc<GroupCommit>>,
    /// Counts the service's pending migrations; set by [`Db::migrate`], which is the only
    /// place that knows the service's migrator type (read by the readiness probe).
    pending_check: Arc<OnceLock<PendingCheck>>,
    /// The service's rollups, set once by [`Db::keep_rollups`]; every write transaction
    /// merges the deltas it wrote into them before it commits.
    rollups: Arc<OnceLock<Rollups>>,
    /// Whether [`Db::keep_rollups`] rebuilds them whatever their state, with a fresh floor
    /// (`xiaokang migrate --rebuild-rollups`).
    rebuild_rollups: bool,
    /// The service's name in metrics (set by [`Db::with_query_metrics`]).
    service: &'static str,
    /// When the PostgreSQL rollups' merger merges ([`Db::with_rollup_merge`]).
    merge_timing: rollup::MergeTiming,
    /// The PostgreSQL rollups' background merger, started by [`Db::keep_rollups`]; stopped
    /// when the last clone drops or by [`Db::close`].
    merger: Arc<OnceLock<rollup::Merger>>,
    /// False when the rollups are turned off (`ServeSettings::rollups`): [`Db::keep_rollups`]
    /// builds nothing and every summary reads the rows.
    rollups_on: bool,
    /// How each table is read by key: through its key table once partitioned by county.
    /// Found by [`Db::migrate`]; read by [`Db::lookup`].
    lookups: Arc<OnceLock<partition::Lookups>>,
}

/// Counts a migrator's pending migrations on a connection.
type PendingCheck = for<'a> fn(&'a DatabaseConnection) -> BoxFuture<'a, Result<usize, DbErr>>;

fn count_pending<M: MigratorTrait>(
    conn: &DatabaseConnection,
) -> BoxFuture<'_, Result<usize, DbErr>> {
    Box::pin(async move { Ok(M::get_pending_migrations_read_only(conn).await?.len()) })
}

/// The pool's connections now, for the pool gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open (idle and in use).
    pub size: u32,
    /// Connections open and idle.
    pub idle: usize,
    /// The most connections the pool opens.
    pub max: u32,
}

/// A write transaction; dropping it without [`WriteTxn::commit`] rolls back, so a failed
/// request writes nothing.
pub struct WriteTxn {
    /// The open transaction.
    txn: DatabaseTransaction,
    /// Held until commit or rollback (SQLite only).
    _guard: Option<OwnedMutexGuard<()>>,
    /// The service's rollups: on PostgreSQL its commit wakes their merger (on SQLite the
    /// triggers have added its writes into them already).
    rollups: Option<Rollups>,
    /// The responses and audit rows of the writes done in it, stored just before it
    /// commits (a plain mutex: held for a push or a lookup, never across an await).
    bookkeeping: std::sync::Mutex<Bookkeeping>,
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    /// Stores the responses and audit rows its writes recorded, then commits: work,
    /// bookkeeping and running totals (added in place by the triggers on SQLite; on
    /// PostgreSQL as deltas pending for the background merger, which summaries add in: see
    /// [`crate::rollup`]) become durable together. The write lock is released afterwards.
    pub async fn commit(self) -> Result<(), Status> {
        let bookkeeping = std::mem::take(&mut *self.bookkeeping());
        bookkeeping.flush(&self.txn).await.map_err(db_status)?;
        let backend = self.txn.get_database_backend();
        self.txn.commit().await.map_err(db_status)?;
        if let Some(rollups) = &self.rollups
            && Rollups::merged_in_background(backend)
        {
            rollups.written();
        }
        Ok(())
    }

    /// The bookkeeping, whatever a panicking holder left (a push or a truncation cannot
    /// leave it half-done).
    fn bookkeeping(&self) -> std::sync::MutexGuard<'_, Bookkeeping> {
        self.bookkeeping
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a finished write's response and audit row for the commit.
    pub(crate) fn record(&self, entry: crate::idempotency::BookkeepingEntry) {
        self.bookkeeping().push(entry);
    }

    /// The response a write earlier in this transaction recorded for the request id.
    pub(crate) fn pending_response(&self, principal: &str, request_id: &str) -> Option<Vec<u8>> {
        self.bookkeeping()
            .response_of(principal, request_id)
            .map(<[u8]>::to_vec)
    }

    /// The writes recorded so far (see [`WriteTxn::forget_since`]).
    pub(crate) fn bookkeeping_mark(&self) -> usize {
        self.bookkeeping().mark()
    }

    /// Forgets the writes recorded since `mark`, whose statements were just rolled back
    /// to a savepoint (a group commit member that failed or was cancelled).
    pub(crate) fn forget_since(&self, mark: usize) {
        self.bookkeeping().forget_since(mark);
    }
}

/// Turns `sqlite:relative/path.db` into a URL sqlx accepts, creating the folder (0700)
/// and the database file (0600) so that only the service's user can read the records.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (file, _query) = path.split_once('?').unwrap_or((path, ""));
    if file != ":memory:" && !file.is_empty() {
        let file = Path::new(file);
        if let Some(dir) = file.parent()
            && !dir.as_os_str().is_empty()
        {
            create_private_dir_all(dir)?;
        }
        make_private_database(file)?;
    }
    Ok(format!("sqlite://{file}?mode=rwc"))
}

/// Creates `dir` and any missing parents with mode 0700 (folders that exist keep theirs).
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the SQLite file with mode 0600 before SQLite opens it, and narrows an existing
/// one (and its `-wal` / `-shm` companions) to 0600. SQLite creates the `-wal` and `-shm`
/// files with the database file's permissions, so a 0600 database keeps them 0600
/// whatever the process umask (checked by tests/db_faults.rs).
fn make_private_database(file: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(file)?;
        let mut companions = vec![file.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            companions.push(name.into());
        }
        for path in companions.iter().filter(|p| p.exists()) {
            let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
            if mode != 0o600 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// How a database is opened: durable (every service, always) or for a first bulk load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every acknowledged write survives a crash and a power cut (SQLite: WAL,
    /// `synchronous=FULL`; PostgreSQL: the server's settings).
    #[default]
    Full,
    /// For loading an empty database once, before it serves anyone
    /// (`ServeSettings::bulk_load`): SQLite keeps its rollback journal in memory and never
    /// syncs (`journal_mode=MEMORY`, `synchronous=OFF`, a 512 MiB page cache), so each page
    /// is written once, to the database file, with no WAL copy and no checkpoint;
    /// PostgreSQL commits without waiting for its WAL flush (`synchronous_commit=off`). A
    /// crash during the load can lose or (SQLite) corrupt what was loaded: load again into
    /// a fresh database. Start the service normally once the load is done.
    BulkLoad,
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) with a pool of `pool` connections.
    pub async fn connect(url: &str, pool: u32) -> anyhow::Result<Db> {
        Self::connect_as(url, pool, Durability::Full).await
    }

    /// [`Db::connect`] with the given durability.
    pub async fn connect_as(url: &str, pool: u32, durability: Durability) -> anyhow::Result<Db> {
        let is_sqlite = url.starts_with("sqlite:");
        let url = if is_sqlite {
            prepare_sqlite_url(url)?
        } else {
            url.to_string()
        };
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(pool.max(1))
            .min_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        let bulk = durability == Durability::BulkLoad;
        if bulk {
            tracing::warn!(
                "bulk load mode: writes are not synced and a crash can lose or corrupt the database; start again without XK_BULK_LOAD before serving"
            );
        }
        if is_sqlite {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            opts.map_sqlx_sqlite_opts(move |o| {
                let o = o.busy_timeout(Duration::from_secs(10)).foreign_keys(true);
                if bulk {
                    o.journal_mode(SqliteJournalMode::Memory)
                        .synchronous(SqliteSynchronous::Off)
                        // 512 MiB: a province's key indexes take random inserts.
                        .pragma("cache_size", "-524288")
                } else {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        // 64 MiB page cache: summaries over a county stay in memory.
                        .pragma("cache_size", "-65536")
                }
            });
        } else if bulk {
            opts.map_sqlx_postgres_opts(|o| o.options([("synchronous_commit", "off")]));
        }
        let conn = Database::connect(opts).await?;
        Ok(Db {
            conn,
            write_lock: is_sqlite.then(|| Arc::new(Mutex::new(()))),
            apply_migrations: true,
            group: Some(Arc::new(GroupCommit::new(default_lanes(is_sqlite, pool)))),
            pending_check: Arc::new(OnceLock::new()),
            rollups: Arc::new(OnceLock::new()),
            lookups: Arc::new(OnceLock::new()),
            rebuild_rollups: false,
            service: "unknown",
            merge_timing: rollup::MergeTiming::default(),
            merger: Arc::new(OnceLock::new()),
            rollups_on: true,
        })
    }

    /// Records every statement's duration as `service`'s query latency. Call before the
    /// first clone: clones share the pool but copy the connection's callback.
    pub fn with_query_metrics(mut self, service: &'static str) -> Db {
        self.service = service;
        if let Some(group) = &self.group {
            let _ = group.service.set(service);
        }
        self.conn.set_metric_callback(move |info| {
            crate::metrics::record_query(service, info.elapsed);
        });
        self
    }

    /// Turns group commit ([`crate::group_commit`]) on (the default) or off: off, every
    /// write runs and commits in a transaction of its own.
    pub fn with_group_commit(mut self, on: bool) -> Db {
        match (on, &self.group) {
            (true, None) => {
                let lanes = default_lanes(self.write_lock.is_some(), self.pool_max());
                self.group = Some(Arc::new(GroupCommit::new(lanes)));
            }
            (false, _) => self.group = None,
            (true, Some(_)) => {}
        }
        self
    }

    /// Group commit with `lanes` batches open at a time (PostgreSQL; SQLite always has
    /// one writer, so one lane). Call before the first clone and before any write.
    pub fn with_group_commit_lanes(mut self, lanes: usize) -> Db {
        let lanes = if self.write_lock.is_some() { 1 } else { lanes };
        let group = GroupCommit::new(lanes);
        if let Some(service) = self.group.as_ref().and_then(|g| g.service.get()) {
            let _ = group.service.set(service);
        }
        self.group = Some(Arc::new(group));
        self
    }

    /// The most connections the pool opens.
    fn pool_max(&self) -> u32 {
        self.pool_stats().map_or(1, |s| s.max)
    }

    /// The group committer, when group commit is on.
    pub(crate) fn group(&self) -> Option<&Arc<GroupCommit>> {
        self.group.as_ref()
    }

    /// Batches committed and writes in them so far; `None` when group commit is off.
    pub fn group_commit_stats(&self) -> Option<GroupCommitStats> {
        self.group.as_ref().map(|g| g.stats())
    }

    /// The pool's size, idle connections and maximum (SQLite and PostgreSQL pools).
    pub fn pool_stats(&self) -> Option<PoolStats> {
        macro_rules! stats_of {
            ($pool:expr) => {{
                let pool = $pool;
                Some(PoolStats {
                    size: pool.size(),
                    idle: pool.num_idle(),
                    max: pool.options().get_max_connections(),
                })
            }};
        }
        match self.backend() {
            DbBackend::Postgres => stats_of!(self.conn.get_postgres_connection_pool()),
            DbBackend::Sqlite => stats_of!(self.conn.get_sqlite_connection_pool()),
            _ => None,
        }
    }

    /// How many of the service's migrations are not applied; `None` before
    /// [`Db::migrate`] ran (nothing to compare with).
    pub async fn pending_migrations(&self) -> Option<Result<usize, DbErr>> {
        let check = self.pending_check.get()?;
        Some(check(&self.conn).await)
    }

    /// Only check migrations at start, never apply them (replicas; see
    /// `ServeSettings::migrate`).
    pub fn check_migrations_only(mut self) -> Db {
        self.apply_migrations = false;
        self
    }

    /// The connection pool, for reads.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Which SQL dialect.
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Whether this process is the database's only writer (embedded SQLite), so it may
    /// keep what it reads in memory and publish what it writes.
    pub fn is_single_writer(&self) -> bool {
        self.write_lock.is_some()
    }

    /// Opens a write transaction (taking the writer lock on SQLite).
    pub async fn begin_write(&self) -> Result<WriteTxn, Status> {
        let guard = match &self.write_lock {
            Some(l) => Some(l.clone().lock_owned().await),
            None => None,
        };
        let txn = self.conn.begin().await.map_err(db_status)?;
        Ok(WriteTxn {
            txn,
            _guard: guard,
            rollups: self.rollups.get().cloned(),
            bookkeeping: Default::default(),
        })
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }

    /// Applies the service's pending migrations (or, when only checking, refuses to start
    /// while any is pending), and refuses to start if the database holds a migration this
    /// binary does not know (it was migrated by a newer version).
    pub async fn migrate<M: MigratorTrait>(&self) -> anyhow::Result<()> {
        let _ = self.pending_check.set(count_pending::<M>);
        let known: Vec<String> = M::migrations()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        let applied = M::get_migration_models(&self.conn).await?;
        if let Some(unknown) = applied.iter().find(|m| !known.contains(&m.version)) {
            anyhow::bail!(
                "the database has migration {} that this binary does not know: it was migrated by a newer version; refusing to start",
                unknown.version
            );
        }
        if self.apply_migrations {
            M::up(&self.conn, None).await?;
        } else {
            let pending = M::get_pending_migrations_read_only(&self.conn).await?;
            if let Some(first) = pending.first() {
                anyhow::bail!(
                    "{} migration(s) pending, first {}: run `xiaokang migrate` before starting replicas with XK_MIGRATE=false",
                    pending.len(),
                    first.name()
                );
            }
        }
        let _ = self
            .lookups
            .set(partition::Lookups::find(&self.conn).await?);
        Ok(())
    }

    /// How `table` is read by key here ([`partition::Lookup`]): directly, or through its
    /// key table when it is partitioned by county. Direct until [`Db::migrate`] ran.
    pub fn lookup(&self, table: &str) -> partition::Lookup {
        self.lookups
            .get()
            .map_or(partition::Lookup::Direct, |l| l.of(table))
    }

    /// Makes [`Db::keep_rollups`] rebuild every rollup with a fresh floor, whatever its
    /// state (`xiaokang migrate --rebuild-rollups`).
    pub fn rebuilding_rollups(mut self) -> Db {
        self.rebuild_rollups = true;
        self
    }

    /// When the PostgreSQL rollups' background merger merges (`XK_ROLLUP_MERGE_MS`,
    /// `XK_ROLLUP_IDLE_MERGE_MS`). Call before [`Db::keep_rollups`].
    pub fn with_rollup_merge(mut self, timing: rollup::MergeTiming) -> Db {
        self.merge_timing = timing;
        self
    }

    /// Turns the rollups off: [`Db::keep_rollups`] builds and keeps nothing, and every
    /// summary reads the rows (`XK_ROLLUPS=false`, for measuring what keeping them costs).
    pub fn without_rollups(mut self) -> Db {
        self.rollups_on = false;
        self
    }

    /// Builds the service's rollups where missing or changed ([`rollup::ensure`]; `build`
    /// gives the definitions for a floor) and keeps them from now on: the triggers add every
    /// write into them (SQLite) or the background merger merges its deltas after it commits
    /// (PostgreSQL). Call once, after
    /// [`Db::migrate`] and before the first write.
    pub async fn keep_rollups(
        &self,
        build: impl Fn(chrono::NaiveDate) -> Vec<rollup::Rollup>,
    ) -> anyhow::Result<()> {
        if !self.rollups_on {
            return Ok(());
        }
        let today = crate::clock::today();
        let rollups = rollup::ensure(&self.conn, today, self.rebuild_rollups, build)
            .await?
            .with_scopes_per_merge(self.merge_timing.scopes_per_merge);
        if Rollups::merged_in_background(self.backend()) {
            let merger = rollup::Merger::spawn(
                self.service,
                self.conn.clone(),
                rollups.clone(),
                self.merge_timing,
            );
            let _ = self.merger.set(merger);
        }
        self.rollups
            .set(rollups)
            .map_err(|_| anyhow::anyhow!("the rollups were set up twice"))
    }

    /// The service's rollups, once [`Db::keep_rollups`] set them up.
    pub fn rollups(&self) -> Option<&Rollups> {
        self.rollups.get()
    }

    /// Where a summary whose date comparands are `dates` is answered from: the rollups when
    /// they are kept, built from this process's definitions, and every date is on or after
    /// their floor (the database's, which a newer replica may have moved), else the rows. A summary reads all its figures from
    /// the one source this returns, never some from each.
    pub async fn summary_source(
        &self,
        dates: &[chrono::NaiveDate],
    ) -> Result<rollup::Source, crate::ApiError> {
        let Some(rollups) = self.rollups() else {
            return Ok(rollup::Source::Rows);
        };
        let floor = rollups.readable_from(&self.conn).await?;
        let source = match floor {
            Some(floor) if dates.iter().all(|d| *d >= floor) => rollup::Source::Rollups,
            _ => rollup::Source::Rows,
        };
        tracing::debug!(source = source.label(), ?floor, "summary source");
        Ok(source)
    }

    /// Every rollup scope whose stored totals differ from its rows (empty when right);
    /// an error when the service keeps no rollups.
    pub async fn verify_rollups(&self) -> anyhow::Result<Vec<rollup::Mismatch>> {
        let rollups = self
            .rollups()
            .ok_or_else(|| anyhow::anyhow!("this service keeps no rollups"))?;
        Ok(rollups.verify(&self.conn).await?)
    }

    /// Closes the pool (graceful shutdown), after a last merge of the pending rollup deltas
    /// (PostgreSQL), so that a stopped suite leaves none behind.
    pub async fn close(self) -> Result<(), DbErr> {
        if let (Some(merger), Some(rollups)) = (self.merger.get(), self.rollups()) {
            merger.stop();
            if let Err(e) = rollups.merge_pending(&self.conn).await {
                tracing::warn!(error = %e, "rollup deltas left pending at shutdown");
            }
        }
        self.conn.close().await
    }
}

/// Group commit lanes by default: one on SQLite (one writer at a time); on PostgreSQL half
/// the pool (each open batch holds a connection, and one commits while the next fills),
/// at most 8.
fn default_lanes(is_sqlite: bool, pool: u32) -> usize {
    if is_sqlite {
        1
    } else {
        (pool as usize / 2).clamp(1, 8)
    }
}

/// The rows a write transaction reads in order to change them, locked (`SELECT … FOR
/// UPDATE` on PostgreSQL) until it commits: concurrent writers to one record then queue
/// on the row and each reads the version the previous one committed, instead of all
/// reading the same version and all but one failing its version check. SQLite has no row
/// locks (its SQL builder leaves the clause out) and needs none: its writers already run
/// one at a time under [`Db::begin_write`].
pub fn for_update<E: EntityTrait>(select: Select<E>) -> Select<E> {
    select.lock_exclusive()
}

/// Writes the `n`th (1-based) placeholder for raw SQL in the backend's dialect: `$n` on
/// PostgreSQL, `?n` on SQLite; both may repeat a number, so values bind once each.
pub fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode_and_folders() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nested/registry.db");
        let url = prepare_sqlite_url(&format!("sqlite://{}", file.display())).unwrap();
        assert_eq!(url, format!("sqlite://{}?mode=rwc", file.display()));
        assert!(dir.path().join("nested").is_dir());
    }

    #[cfg(unix)]
    #[test]
    fn sqlite_files_and_new_folders_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("new/registry.db");
        prepare_sqlite_url(&format!("sqlite://{}", file.display())).unwrap();
        assert_eq!(mode(&dir.path().join("new")), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(
            std::fs::metadata(&file).unwrap().len(),
            0,
            "an empty new database"
        );
        // A database and WAL left world-readable by an older version are narrowed.
        let old = dir.path().join("old.db");
        let wal = dir.path().join("old.db-wal");
        for p in [&old, &wal] {
            std::fs::write(p, b"x").unwrap();
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        prepare_sqlite_url(&format!("sqlite:{}", old.display())).unwrap();
        assert_eq!((mode(&old), mode(&wal)), (0o600, 0o600));
        assert_eq!(std::fs::read(&old).unwrap(), b"x", "contents untouched");
    }

    #[test]
    fn placeholders_follow_the_dialect() {
        assert_eq!(placeholder(DbBackend::Postgres, 3), "$3");
        assert_eq!(placeholder(DbBackend::Sqlite, 3), "?3");
    }
}

//! Per-village running totals ("rollups"), kept in the same transaction as every write, so
//! that a summary reads villages, not people.
//!
//! A [`Rollup`] is a source table's rows folded by `GROUP BY` into a small table: one row
//! per scope (the village code, with the coverage year where the figures have one) and per
//! combination of the key columns the summary's conditions test, holding the row count `n`
//! and the sums of the summed columns. Its columns keep the source's names, so a summary's
//! `SUM(1) FILTER (WHERE <condition>)` over the source becomes
//! `SUM(n) FILTER (WHERE <same condition>)` over the rollup.
//!
//! How it is kept:
//! - **Deltas.** Triggers on the source table work out what every inserted, updated or
//!   deleted row adds to or takes from the totals, inside the writing transaction: +1 and
//!   the row's sums under its new keys, −1 and minus its sums under its old ones. No write
//!   path can forget them: imports, corrections, reversals and deletions all count, and the
//!   cost is in proportion to the rows written, never to a village's size.
//! - **SQLite: in place.** Per row (SQLite has no statement triggers), the trigger adds the
//!   row's change straight into its group's rollup row, or inserts the group (an upsert on
//!   a unique index of scope and keys); a group whose count falls to zero is deleted by a
//!   trigger of the rollup table. SQLite has one writer at a time, so no other transaction
//!   adds to the same row meanwhile, and rows and totals become durable together or not at
//!   all. Nothing is ever pending and there is no delta table. (Until this release the
//!   triggers appended deltas that every commit grouped and merged: a fifth of an
//!   import's rate.)
//! - **PostgreSQL: pending, then merged.** Writers commit in parallel (group commit's
//!   lanes, replicas), and none merges or waits for another over the totals: the triggers
//!   run once per statement, grouped from its transition tables, and write into the
//!   rollup's `_delta` table, and a write commits its rows with those deltas, *pending*. Each process runs a
//!   [`Merger`] that, shortly after its writes commit (and now and then when idle), opens a
//!   transaction of its own and *tries* a transaction-level advisory lock per scope with
//!   visible deltas: for each scope it gets, it moves all that scope's visible deltas into
//!   the rollup rows, in one statement per chunk of scopes (read and deleted together, so a
//!   delta committed meanwhile is never deleted unadded); a scope whose lock another
//!   replica's merger holds stays pending for the next round. Only a scope's lock holder
//!   changes its rollup rows or removes its deltas, so no row is added twice or lost.
//!   (Until this release every writer merged at its commit: a few statements per
//!   transaction, a quarter of a write's cost.) A summary reads
//!   the rollup through its `_live` view, the rollup rows and the pending deltas below
//!   them ([`Table::sql_name`]): every figure is a sum of `n` or of a summed column under a
//!   condition on scope and key columns, which a delta row meets exactly as the row it
//!   stands for, so the pending deltas add in as they would merge. (A condition on a
//!   summed column would not hold that way: a service tests a key instead.)
//! - **Building.** [`ensure`] creates the tables and triggers and fills the rollup from the
//!   rows when it is missing or its definition changed (a new policy book, a new date
//!   floor, a new binary): `xiaokang migrate` and every start run it. A fingerprint of the
//!   definition's SQL, stored in `xk_rollups`, tells. A rebuild drops the delta table with
//!   whatever was pending in it, which the fill counts from the rows; dropping the tables
//!   and triggers waits for the writers still using them, and writers after it wait for the
//!   rebuild to commit.
//! - **Proving.** [`Rollups::verify`] merges what is pending (PostgreSQL), recomputes every scope from
//!   the rows and names each one whose totals (on PostgreSQL, with what is pending again
//!   by then) differ (`xiaokang verify-rollups`).
//!
//! Dates. A condition that compares a stored date with the request's date (a letter sent
//! by `as_of`, a deferral still running at `as_of`) needs the date as a key, which would
//! keep one rollup row per distinct day. A key built with [`Rollup::date_key`] folds every
//! date before the rollup's *floor* into the day before it: for any comparand on or after
//! the floor, `<`, `<=`, `>` and `>=` give the same answer for the folded day as for the
//! real one, so the rollup is exact for those requests and compact. A request whose dates
//! fall before the floor is answered by the full scan ([`Rollups::floor`] tells which).

mod merge;
mod merger;
mod sql;
mod sqlite;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::api_error::ApiError;

pub use merger::MergeTiming;
pub(crate) use merger::Merger;

/// The most delta rows [`Rollups::pending_rows`] counts per rollup: enough to tell a
/// backlog from the few hundred rows of normal operation, while a merger that keeps
/// failing does not make every round's count scan an ever larger table.
pub const PENDING_COUNT_CAP: u64 = 100_000;

/// The most scopes (villages) one PostgreSQL merge transaction locks unless configured
/// otherwise (`XK_ROLLUP_MERGE_SCOPES`); more pending are merged by further transactions. Each advisory lock holds an entry of the server's
/// shared lock table until its transaction ends, and that table has room for
/// `max_locks_per_transaction` × `max_connections` entries, 6,400 by default: a round
/// after a province's import touches tens of thousands of villages, and locking them all
/// at once failed with "out of shared memory" (`xiaokang bench partition`, 30,000
/// villages), for that round and for every query needing a lock meanwhile.
pub const DEFAULT_SCOPES_PER_MERGE: usize = 1_000;

/// One rollup table: a source table folded into running totals per scope and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    /// The rollup table's name (`<source>_rollup` by convention).
    pub table: &'static str,
    /// The table whose rows it totals.
    pub source: &'static str,
    /// The source columns whose values name one unit of totals (the unit a summary groups
    /// and a PostgreSQL writer locks): the village code column, after the year column where
    /// the figures have one. Never NULL.
    pub scope: Vec<&'static str>,
    /// The grouping keys: (column name, SQL expression over a source row). The name is the
    /// source column's name when the summary's conditions test that column.
    pub keys: Vec<(&'static str, String)>,
    /// The summed columns: (column name, SQL expression over a source row). `n`, the row
    /// count, is always there besides.
    pub measures: Vec<(&'static str, String)>,
}

impl Rollup {
    /// A rollup of `source` into `table`, scoped by `scope`, with no keys or measures yet.
    pub fn new(table: &'static str, source: &'static str, scope: &[&'static str]) -> Self {
        Rollup {
            table,
            source,
            scope: scope.to_vec(),
            keys: Vec::new(),
            measures: Vec::new(),
        }
    }

    /// Adds a key column kept as the source column of that name.
    pub fn key(mut self, column: &'static str) -> Self {
        self.keys.push((column, column.to_string()));
        self
    }

    /// Adds several key columns kept as they are.
    pub fn keys(self, columns: &[&'static str]) -> Self {
        columns.iter().fold(self, |r, c| r.key(c))
    }

    /// Adds a key column computed by `expr` (an SQL expression over a source row).
    pub fn key_as(mut self, column: &'static str, expr: impl Into<String>) -> Self {
        self.keys.push((column, expr.into()));
        self
    }

    /// Adds a date key column: the source column `column` (or NULL), with every day before
    /// `floor` folded into the day before `floor` (see the module docs), in `backend`'s
    /// date literal syntax.
    pub fn date_key(self, column: &'static str, floor: NaiveDate, backend: DbBackend) -> Self {
        let expr = sql::folded_date(column, floor, backend);
        self.key_as(column, expr)
    }

    /// Adds a date key column that is the folded `column` (as [`Rollup::date_key`]) where
    /// `condition` holds and NULL elsewhere (a date only some rows' figures compare).
    pub fn date_key_when(
        self,
        column: &'static str,
        condition: &str,
        floor: NaiveDate,
        backend: DbBackend,
    ) -> Self {
        let folded = sql::folded_date(column, floor, backend);
        self.key_as(column, format!("CASE WHEN {condition} THEN {folded} END"))
    }

    /// Adds a summed column kept under the source column's name.
    pub fn sum(mut self, column: &'static str) -> Self {
        self.measures.push((column, column.to_string()));
        self
    }

    /// Adds a summed column computed by `expr` over a source row.
    pub fn sum_as(mut self, column: &'static str, expr: impl Into<String>) -> Self {
        self.measures.push((column, expr.into()));
        self
    }
}

/// The floor a fresh build uses: the first day of the month two months before `today`'s.
/// Summaries dated within roughly the last two to three months read the rollups; a floor
/// moves only when the rollups are rebuilt (a changed definition, or `xiaokang migrate
/// --rebuild-rollups`).
pub fn default_floor(today: NaiveDate) -> NaiveDate {
    let first = today.with_day(1).unwrap_or(today);
    first.checked_sub_months(Months::new(2)).unwrap_or(first)
}

/// A service's rollups as built in its database, with the floor they were built with.
#[derive(Debug, Clone)]
pub struct Rollups {
    /// The definitions, built with `floor`.
    defs: Arc<Vec<Rollup>>,
    /// The date before which the date keys are folded.
    floor: NaiveDate,
    /// Each definition's fingerprint (same order): a summary reads the rollups only while
    /// the database's were built with these, not by a replica running another policy
    /// book or binary.
    prints: Arc<Vec<String>>,
    /// Wakes the PostgreSQL [`Merger`] after a commit ([`Rollups::written`]).
    wake: Arc<Notify>,
    /// The most scopes one PostgreSQL merge transaction locks ([`DEFAULT_SCOPES_PER_MERGE`]).
    scopes_per_merge: usize,
}

/// Where a summary's figures come from, all of them: the rollups or the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The per-village running totals (a recent date, rollups kept).
    Rollups,
    /// The full scan of the rows (a date before the rollups' floor, or rollups off).
    Rows,
}

impl Source {
    /// What a figure sums to count rows: `n` (the rows a rollup row stands for) or `1`.
    pub fn count(self) -> &'static str {
        match self {
            Source::Rollups => "n",
            Source::Rows => "1",
        }
    }

    /// The table to read: `rollup` (a rollup table over `rows`) or `rows`.
    pub fn table(self, rollup: &'static str, rows: &'static str) -> Table {
        match self {
            Source::Rollups => Table::Rollup(rollup),
            Source::Rows => Table::Plain(rows),
        }
    }

    /// `rollups` or `rows`, for logs and traces.
    pub fn label(self) -> &'static str {
        match self {
            Source::Rollups => "rollups",
            Source::Rows => "rows",
        }
    }
}

/// A table a summary reads, as [`Source::table`] names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// A table read as it is: rows, or a table that is small on every path.
    Plain(&'static str),
    /// A rollup table: read with its pending deltas on PostgreSQL (see the module docs).
    Rollup(&'static str),
}

impl Table {
    /// What a statement on `backend` reads for this table: on PostgreSQL a rollup's
    /// `_live` view (the totals and, added in, the deltas still pending); otherwise the table
    /// itself (SQLite merges every commit's deltas before the commit).
    pub fn sql_name(self, backend: DbBackend) -> Cow<'static, str> {
        match (self, backend) {
            (Table::Rollup(table), DbBackend::Postgres) => Cow::Owned(sql::live(table)),
            (Table::Plain(table) | Table::Rollup(table), _) => Cow::Borrowed(table),
        }
    }
}

impl From<&'static str> for Table {
    fn from(table: &'static str) -> Table {
        Table::Plain(table)
    }
}

/// A rollup scope whose stored totals differ from its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The rollup table.
    pub table: &'static str,
    /// The scope's values, joined with `/` (a village code, or a year and a village code).
    pub scope: String,
}

impl Rollups {
    /// The definitions.
    pub fn defs(&self) -> &[Rollup] {
        &self.defs
    }

    /// The floor the process built its definitions with. Before answering from the rollups,
    /// a summary compares its dates with [`Rollups::floor`] (the database's own), which a
    /// newer replica may have moved later.
    pub fn built_floor(&self) -> NaiveDate {
        self.floor
    }

    /// The floor the database's rollups were last built with (a later one than this
    /// process's when another replica rebuilt them since it started): a summary whose dates
    /// are all on or after it may read the rollups; otherwise it scans the rows.
    pub async fn floor<C: ConnectionTrait>(&self, conn: &C) -> Result<NaiveDate, ApiError> {
        let stored = sql::latest_floor(conn).await?;
        Ok(stored.map_or(self.floor, |f| f.max(self.floor)))
    }

    /// The floor from which a summary may read the rollups, or `None` when it must read the
    /// rows because the database's rollups were built from another definition than this
    /// process's (a replica started since with another policy book or binary).
    pub async fn readable_from<C: ConnectionTrait>(
        &self,
        conn: &C,
    ) -> Result<Option<NaiveDate>, ApiError> {
        let stored = sql::all_stored(conn).await?;
        let mut floor = self.floor;
        for (def, print) in self.defs.iter().zip(self.prints.iter()) {
            match stored.iter().find(|(name, _, _)| name == def.table) {
                Some((_, stored_print, stored_floor)) if stored_print == print => {
                    floor = floor.max(*stored_floor);
                }
                _ => return Ok(None),
            }
        }
        Ok(Some(floor))
    }

    /// Whether writes on `backend` leave deltas pending for the [`Merger`] (PostgreSQL),
    /// rather than adding into the totals in place as they write (SQLite, one writer at a
    /// time).
    pub fn merged_in_background(backend: DbBackend) -> bool {
        backend == DbBackend::Postgres
    }

    /// These rollups, merging at most `scopes` scopes a PostgreSQL transaction (at least
    /// one).
    pub fn with_scopes_per_merge(mut self, scopes: usize) -> Rollups {
        self.scopes_per_merge = scopes.max(1);
        self
    }

    /// Tells the [`Merger`] that a write committed (PostgreSQL; nothing waits for it).
    pub(crate) fn written(&self) {
        self.wake.notify_one();
    }

    /// Moves what is pending into the totals in a transaction of its own, for every scope
    /// whose lock is free (the PostgreSQL [`Merger`]'s round; on SQLite nothing is pending
    /// between writes).
    /// On PostgreSQL at most [`Rollups::with_scopes_per_merge`] scopes a transaction, in as many
    /// transactions as it takes, until a transaction finds none left it can lock.
    pub async fn merge_pending(&self, conn: &DatabaseConnection) -> Result<(), DbErr> {
        self.merge_in_turns(conn, false).await
    }

    /// Merges what is pending, [`Rollups::with_scopes_per_merge`] scopes a transaction, waiting for each
    /// lock when `wait`, else leaving the scopes another merger holds (PostgreSQL; nothing
    /// is ever pending on SQLite).
    async fn merge_in_turns(&self, conn: &DatabaseConnection, wait: bool) -> Result<(), DbErr> {
        if !Self::merged_in_background(conn.get_database_backend()) {
            return Ok(());
        }
        loop {
            let txn = conn.begin().await?;
            let turn = self.merge_locked(&txn, wait).await?;
            txn.commit().await?;
            // Stop when nothing is left beyond this turn, or when it locked nothing (the
            // rest is another merger's just now).
            if !turn.more || turn.merged == 0 {
                return Ok(());
            }
        }
    }

    /// Adds the deltas `txn` sees into the totals (see the module docs) and clears them,
    /// in `txn`, never waiting for another writer: it merges the scopes whose locks are
    /// free and leaves the rest pending (PostgreSQL; on SQLite nothing is ever pending, and
    /// it does nothing).
    pub async fn refresh<C: ConnectionTrait>(&self, txn: &C) -> Result<(), DbErr> {
        if !Self::merged_in_background(txn.get_database_backend()) {
            return Ok(());
        }
        self.merge_locked(txn, false).await.map(|_| ())
    }

    /// PostgreSQL: locks the scopes that have visible deltas (this transaction's and those
    /// left pending), waiting for each when `wait`, else only those free now, and moves the
    /// deltas of every scope locked into the totals. The lock is taken by a statement of its
    /// own, before the merge's: under READ COMMITTED the merge's snapshot then shows
    /// everything the lock's previous holder committed.
    ///
    /// It locks at most [`Rollups::with_scopes_per_merge`] scopes (the lowest keys), and says whether
    /// more were pending beyond them.
    async fn merge_locked<C: ConnectionTrait>(
        &self,
        txn: &C,
        wait: bool,
    ) -> Result<MergeTurn, DbErr> {
        let touched = merge::touched(txn, &self.defs).await?;
        let keyed: Vec<Vec<(i32, Vec<String>)>> = self
            .defs
            .iter()
            .zip(touched)
            .map(|(def, scopes)| {
                let key = |s: &Vec<String>| merge::lock_key(def.table, s);
                scopes.into_iter().map(|s| (key(&s), s)).collect()
            })
            .collect();
        let pending: BTreeSet<i32> = keyed.iter().flatten().map(|(k, _)| *k).collect();
        let more = pending.len() > self.scopes_per_merge;
        let keys: BTreeSet<i32> = pending.into_iter().take(self.scopes_per_merge).collect();
        if keys.is_empty() {
            return Ok(MergeTurn::default());
        }
        let held: BTreeSet<i32> = if wait {
            txn.execute_unprepared(&merge::lock(&keys, true)).await?;
            keys
        } else {
            let statement = Statement::from_string(DbBackend::Postgres, merge::lock(&keys, false));
            txn.query_all_raw(statement)
                .await?
                .iter()
                .map(|row| row.try_get::<i32>("", "k"))
                .collect::<Result<_, _>>()?
        };
        for (def, scopes) in self.defs.iter().zip(keyed) {
            let mine: Vec<Vec<String>> = scopes
                .into_iter()
                .filter(|(key, _)| held.contains(key))
                .map(|(_, scope)| scope)
                .collect();
            for statement in merge::merge_held(def, &mine) {
                txn.execute_unprepared(&statement).await?;
            }
        }
        Ok(MergeTurn {
            merged: held.len(),
            more,
        })
    }

    /// Vacuums every delta table (PostgreSQL; nothing to do elsewhere): the rows merges
    /// deleted stop costing the summaries that read the tables, and the emptied pages at
    /// the end are given back. A plain VACUUM, which writers and readers do not wait for;
    /// a table another replica or autovacuum is vacuuming right then is skipped, not
    /// waited for.
    pub async fn vacuum_deltas(&self, conn: &DatabaseConnection) -> Result<(), DbErr> {
        if conn.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for def in self.defs.iter() {
            conn.execute_unprepared(&format!("VACUUM (SKIP_LOCKED) {}_delta", def.table))
                .await?;
        }
        Ok(())
    }

    /// The delta rows waiting to be merged, all rollups together, each counted up to
    /// [`PENDING_COUNT_CAP`] (PostgreSQL keeps them between a write and the [`Merger`]'s
    /// round; SQLite has none).
    pub async fn pending_rows<C: ConnectionTrait>(&self, conn: &C) -> Result<u64, DbErr> {
        if !Self::merged_in_background(conn.get_database_backend()) {
            return Ok(0);
        }
        let counts: Vec<String> = self
            .defs
            .iter()
            .map(|def| {
                format!(
                    "(SELECT COUNT(*) FROM (SELECT 1 FROM {}_delta LIMIT {PENDING_COUNT_CAP}) AS d)",
                    def.table
                )
            })
            .collect();
        if counts.is_empty() {
            return Ok(0);
        }
        let sql = format!("SELECT CAST({} AS BIGINT) AS n", counts.join(" + "));
        let backend = conn.get_database_backend();
        let row = conn
            .query_one_raw(Statement::from_string(backend, sql))
            .await?;
        let rows: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(rows).unwrap_or(0))
    }

    /// Every scope whose stored totals differ from a fresh recomputation, in table and scope
    /// order; empty when the rollups are right.
    ///
    /// On PostgreSQL the deltas still pending (writes leave them to the [`Merger`]) are
    /// merged first, waiting for each lock, and the comparison reads the totals with
    /// whatever is pending at that moment, as a summary does. SQLite has nothing pending.
    pub async fn verify(&self, conn: &DatabaseConnection) -> Result<Vec<Mismatch>, DbErr> {
        if Self::merged_in_background(conn.get_database_backend()) {
            // All but the last turn's scopes in transactions of their own (see
            // `DEFAULT_SCOPES_PER_MERGE`); a last transaction merges what is left.
            self.merge_in_turns(conn, true).await?;
            let txn = conn.begin().await?;
            self.merge_locked(&txn, true).await?;
            txn.commit().await?;
        }
        let mut found = Vec::new();
        for def in self.defs.iter() {
            for scope in sql::differences(conn, def).await? {
                found.push(Mismatch {
                    table: def.table,
                    scope,
                });
            }
        }
        Ok(found)
    }
}

/// What one PostgreSQL merge transaction did.
#[derive(Debug, Clone, Copy, Default)]
struct MergeTurn {
    /// Scopes it locked and merged.
    merged: usize,
    /// Whether more scopes were pending than one turn locks, for another turn.
    more: bool,
}

/// Creates or rebuilds `build(floor)`'s rollups where missing or changed, and returns them.
///
/// The floor kept is the one the database's rollups were built with while their definition
/// is unchanged; a rebuild takes [`default_floor`] of `today`, or always when `rebuild`.
/// On PostgreSQL an advisory lock makes replicas starting together build once.
pub async fn ensure(
    conn: &DatabaseConnection,
    today: NaiveDate,
    rebuild: bool,
    build: impl Fn(NaiveDate) -> Vec<Rollup>,
) -> Result<Rollups, DbErr> {
    let txn = conn.begin().await?;
    let backend = txn.get_database_backend();
    txn.execute_unprepared(&sql::create_meta(backend)).await?;
    if backend == DbBackend::Postgres {
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(7426061)")
            .await?;
    }
    let fresh_floor = default_floor(today);
    // Every table keeps its own floor: the largest one in use is the one all adopt, so a
    // table rebuilt alone (a new key) does not make the others' folding inexact.
    let mut floor = None;
    for def in build(fresh_floor) {
        if let Some((_, stored)) = sql::stored(&txn, def.table).await? {
            floor = Some(floor.map_or(stored, |f: NaiveDate| f.max(stored)));
        }
    }
    let floor = match floor {
        Some(kept) if !rebuild => kept,
        _ => fresh_floor,
    };
    let defs = build(floor);
    let mut prints = Vec::with_capacity(defs.len());
    for def in &defs {
        let source = sql::source(&txn, def.source).await?;
        let fingerprint = fingerprint(def, backend, source.partitioned);
        prints.push(fingerprint.clone());
        let unchanged = sql::stored(&txn, def.table)
            .await?
            .is_some_and(|(print, stored)| print == fingerprint && stored == floor);
        if unchanged && !rebuild {
            continue;
        }
        for statement in sql::drop(def, backend) {
            txn.execute_unprepared(&statement).await?;
        }
        for statement in sql::create(def, backend, &source) {
            txn.execute_unprepared(&statement).await?;
        }
        txn.execute_unprepared(&sql::fill(def)).await?;
        sql::store(&txn, def.table, &fingerprint, floor).await?;
    }
    txn.commit().await?;
    Ok(Rollups {
        wake: Arc::new(Notify::new()),
        defs: Arc::new(defs),
        floor,
        prints: Arc::new(prints),
        scopes_per_merge: DEFAULT_SCOPES_PER_MERGE,
    })
}

/// What identifies a rollup's definition: a hash of the SQL that builds and fills it (the
/// triggers' form without the source's column list, which the migrations fix; a source
/// partitioned since gets other update triggers, and so another fingerprint).
fn fingerprint(def: &Rollup, backend: DbBackend, partitioned: bool) -> String {
    let mut hash = Sha256::new();
    let source = sql::SourceTable {
        columns: Vec::new(),
        partitioned,
    };
    for statement in sql::create(def, backend, &source) {
        hash.update(statement.as_bytes());
    }
    hash.update(sql::fill(def).as_bytes());
    hex::encode(&hash.finalize()[..12])
}

//! Per-village running totals ("rollups"), kept in the same transaction as every write, so
//! that a summary reads villages, not people.
//!
//! A [`Rollup`] is a source table's rows folded by `GROUP BY` into a small table: one row
//! per scope (the village code, with the coverage year where the figures have one) and per
//! combination of the key columns the summary's conditions test, holding the row count `n`
//! and the sums of the summed columns. Its columns keep the source's names, so a summary's
//! `SUM(CASE WHEN <condition> THEN 1 …)` over the source becomes
//! `SUM(CASE WHEN <same condition> THEN n …)` over the rollup.
//!
//! How it is kept (the same on SQLite and PostgreSQL):
//! - **Deltas.** Triggers on the source table write what every inserted, updated or deleted
//!   row adds to or takes from the totals into the rollup's `_delta` table, inside the
//!   writing transaction: +1 and the row's sums under its new keys, −1 and minus its sums
//!   under its old ones (per row on SQLite, reading the row by rowid before and after the
//!   change; once per statement on PostgreSQL, grouped from the statement's transition
//!   tables). No write path can forget them: imports, corrections, reversals and deletions
//!   all leave their deltas, and the cost is in proportion to the rows written, never to a
//!   village's size.
//! - **Merging.** [`crate::db::WriteTxn::commit`] (every write, alone or in a group
//!   commit's batch) adds the transaction's deltas, grouped, into the rollup rows just
//!   before it commits (rows whose count falls to zero go), so rows and rollup become
//!   durable together or not at all. On PostgreSQL the merge first takes a
//!   transaction-level advisory lock per touched scope, in a fixed order: two writers of
//!   one village merge one after the other, the second reading the first's committed
//!   totals, and the fixed order cannot deadlock.
//! - **Building.** [`ensure`] creates the tables and triggers and fills the rollup from the
//!   rows when it is missing or its definition changed (a new policy book, a new date
//!   floor, a new binary): `xiaokang migrate` and every start run it. A fingerprint of the
//!   definition's SQL, stored in `xk_rollups`, tells.
//! - **Proving.** [`verify`] recomputes every scope from the rows and names each one whose
//!   stored totals differ (`xiaokang verify-rollups`).
//!
//! Dates. A condition that compares a stored date with the request's date (a letter sent
//! by `as_of`, a deferral still running at `as_of`) needs the date as a key, which would
//! keep one rollup row per distinct day. A key built with [`Rollup::date_key`] folds every
//! date before the rollup's *floor* into the day before it: for any comparand on or after
//! the floor, `<`, `<=`, `>` and `>=` give the same answer for the folded day as for the
//! real one, so the rollup is exact for those requests and compact. A request whose dates
//! fall before the floor is answered by the full scan ([`Rollups::floor`] tells which).

mod sql;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;

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
    pub fn table(self, rollup: &'static str, rows: &'static str) -> &'static str {
        match self {
            Source::Rollups => rollup,
            Source::Rows => rows,
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

    /// Adds this transaction's deltas into the totals (see the module docs) and clears them.
    /// Called by [`crate::db::WriteTxn::commit`] just before it commits.
    pub async fn refresh<C: ConnectionTrait>(&self, txn: &C) -> Result<(), DbErr> {
        let backend = txn.get_database_backend();
        let touched = sql::touched(txn, &self.defs).await?;
        for (def, scopes) in self.defs.iter().zip(touched) {
            if scopes.is_empty() {
                continue;
            }
            for statement in sql::merge(def, &scopes, backend) {
                txn.execute_unprepared(&statement).await?;
            }
        }
        Ok(())
    }

    /// Every scope whose stored totals differ from a fresh recomputation, in table and scope
    /// order; empty when the rollups are right. Deltas still pending (left by a write that
    /// bypassed the write transaction) are reported first, then merged, in a transaction of
    /// their own, before the comparison.
    pub async fn verify(&self, conn: &DatabaseConnection) -> Result<Vec<Mismatch>, DbErr> {
        // Deltas left committed and unmerged come from a write that bypassed the write
        // transaction's commit: merged now (so the totals heal), but reported, since that
        // write path would leave summaries stale until the next write.
        let txn = conn.begin().await?;
        let pending = sql::touched(&txn, &self.defs).await?;
        self.refresh(&txn).await?;
        txn.commit().await?;
        let mut found = Vec::new();
        for (def, scopes) in self.defs.iter().zip(pending) {
            for scope in scopes {
                found.push(Mismatch {
                    table: def.table,
                    scope: format!("{} (deltas left unmerged by a write)", scope.join("/")),
                });
            }
        }
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
    for def in &defs {
        let fingerprint = fingerprint(def, backend);
        let unchanged = sql::stored(&txn, def.table)
            .await?
            .is_some_and(|(print, stored)| print == fingerprint && stored == floor);
        if unchanged && !rebuild {
            continue;
        }
        for statement in sql::drop(def, backend) {
            txn.execute_unprepared(&statement).await?;
        }
        let source_columns = sql::source_columns(&txn, def.source).await?;
        for statement in sql::create(def, backend, &source_columns) {
            txn.execute_unprepared(&statement).await?;
        }
        txn.execute_unprepared(&sql::fill(def)).await?;
        sql::store(&txn, def.table, &fingerprint, floor).await?;
    }
    txn.commit().await?;
    let prints = defs.iter().map(|d| fingerprint(d, backend)).collect();
    Ok(Rollups {
        defs: Arc::new(defs),
        floor,
        prints: Arc::new(prints),
    })
}

/// What identifies a rollup's definition: a hash of the SQL that builds and fills it (the
/// triggers' form without the source's column list, which the migrations fix).
fn fingerprint(def: &Rollup, backend: DbBackend) -> String {
    let mut hash = Sha256::new();
    for statement in sql::create(def, backend, &[]) {
        hash.update(statement.as_bytes());
    }
    hash.update(sql::fill(def).as_bytes());
    hex::encode(&hash.finalize()[..12])
}

//! The SQL that moves PostgreSQL's pending deltas into the totals (SQLite's triggers add
//! into them in place): which scopes have deltas, the scope locks, and the merge itself (see the module docs of
//! [`super`] for when each runs). The same rule as [`super::sql`]'s holds: names come from
//! the services' definitions and values from the database's own columns, quoted.

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DbErr, Statement};
use sha2::{Digest, Sha256};

use super::Rollup;
use super::sql::{columns, group_by, quote};

/// The first key of every refresh's advisory locks (PostgreSQL), apart from other locks.
const LOCK_CLASS: i32 = 7426;

/// Scopes per merge statement (keeps each statement's text short).
const SCOPES_PER_STATEMENT: usize = 200;

/// For each definition, the distinct scopes with deltas this transaction sees (its own, and
/// on PostgreSQL those other writers left pending), each as its columns' text values, in
/// scope order.
pub(super) async fn touched<C: ConnectionTrait>(
    conn: &C,
    defs: &[Rollup],
) -> Result<Vec<Vec<Vec<String>>>, DbErr> {
    let backend = conn.get_database_backend();
    let mut out = Vec::with_capacity(defs.len());
    for def in defs {
        let cols: Vec<String> = def
            .scope
            .iter()
            .enumerate()
            .map(|(i, c)| format!("CAST({c} AS TEXT) AS s{i}"))
            .collect();
        let sql = format!(
            "SELECT DISTINCT {} FROM {}_delta ORDER BY {}",
            cols.join(", "),
            def.table,
            (1..=def.scope.len())
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut scopes = Vec::new();
        for row in conn
            .query_all_raw(Statement::from_string(backend, sql))
            .await?
        {
            let values = (0..def.scope.len())
                .map(|i| row.try_get::<String>("", &format!("s{i}")))
                .collect::<Result<Vec<_>, _>>()?;
            scopes.push(values);
        }
        out.push(scopes);
    }
    Ok(out)
}

/// `WHERE`-clause text matching exactly `scopes` of `def` (columns qualified by `alias`).
fn matching(def: &Rollup, alias: &str, scopes: &[Vec<String>]) -> String {
    if def.scope.len() == 1 {
        let list: Vec<String> = scopes.iter().map(|s| quote(&s[0])).collect();
        return format!("{alias}.{} IN ({})", def.scope[0], list.join(", "));
    }
    let each: Vec<String> = scopes
        .iter()
        .map(|values| {
            let parts: Vec<String> = def
                .scope
                .iter()
                .zip(values)
                .map(|(c, v)| format!("{alias}.{c} = {}", quote(v)))
                .collect();
            format!("({})", parts.join(" AND "))
        })
        .collect();
    format!("({})", each.join(" OR "))
}

/// A stable lock key for one scope of one rollup.
pub(super) fn lock_key(table: &str, scope: &[String]) -> i32 {
    let mut hash = Sha256::new();
    hash.update(table.as_bytes());
    for value in scope {
        hash.update(b"/");
        hash.update(value.as_bytes());
    }
    let digest = hash.finalize();
    i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The statement that takes the advisory locks `keys` (PostgreSQL) until the transaction
/// ends. With `wait`, it waits for each in ascending order (two waiting lockers take shared
/// keys in the same order, so they cannot deadlock) and selects nothing useful; without,
/// it takes only the keys free now and selects those as `k`, waiting for none.
pub(super) fn lock(keys: &BTreeSet<i32>, wait: bool) -> String {
    let list: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    let keys = format!("unnest(ARRAY[{}]::int4[]) AS m(k)", list.join(", "));
    if wait {
        format!("SELECT pg_advisory_xact_lock({LOCK_CLASS}, k) FROM {keys}")
    } else {
        format!("SELECT k FROM {keys} WHERE pg_try_advisory_xact_lock({LOCK_CLASS}, k)")
    }
}

/// The scope and key columns, in select-list order.
pub(super) fn group_columns(def: &Rollup) -> Vec<&'static str> {
    def.scope
        .iter()
        .copied()
        .chain(def.keys.iter().map(|(k, _)| *k))
        .collect()
}

/// `n` and the sums, added up over a group of deltas, as BIGINT under their own names.
pub(super) fn summed(def: &Rollup) -> String {
    let sums: Vec<String> = std::iter::once("n")
        .chain(def.measures.iter().map(|(m, _)| *m))
        .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect();
    sums.join(", ")
}

/// `n = r.n + d.n, …` for every summed column: a rollup row `r` plus its grouped deltas `d`.
fn added(def: &Rollup) -> String {
    let sets: Vec<String> = std::iter::once("n")
        .chain(def.measures.iter().map(|(m, _)| *m))
        .map(|c| format!("{c} = r.{c} + d.{c}"))
        .collect();
    sets.join(", ")
}

/// The condition that a rollup row `r` and a grouped delta row `d` are one group: the same
/// scope and keys, NULL keys being values (a letter with no reply is a group of its own).
fn same_group(def: &Rollup) -> String {
    let joined: Vec<String> = def
        .scope
        .iter()
        .map(|c| format!("r.{c} = d.{c}"))
        .chain(
            def.keys
                .iter()
                .map(|(k, _)| format!("r.{k} IS NOT DISTINCT FROM d.{k}")),
        )
        .collect();
    joined.join(" AND ")
}

/// The statements that move every visible delta of `scopes`, whose locks this transaction
/// holds, into `def`'s totals (PostgreSQL): one statement per chunk of scopes.
///
/// One statement, because under READ COMMITTED every statement reads a new snapshot: an
/// `UPDATE … FROM` the grouped deltas followed by a `DELETE` of the deltas would also
/// delete the deltas that a writer which did not get the lock committed between the two,
/// never added. Here the deltas added are the rows the statement's own `DELETE … RETURNING`
/// removed; deltas committed after its snapshot stay for the next holder. All parts of a
/// `WITH` read one snapshot and none sees another's changes, so the rows emptied (`gone`)
/// and those updated (`kept`) are told from the new groups by what they return, not by
/// reading the table again. No row whose count falls to zero remains or is inserted.
pub(super) fn merge_held(def: &Rollup, scopes: &[Vec<String>]) -> Vec<String> {
    let t = def.table;
    let joined = same_group(def);
    let returned: Vec<String> = group_columns(def)
        .iter()
        .map(|c| format!("r.{c}"))
        .collect();
    let returned = returned.join(", ");
    scopes
        .chunks(SCOPES_PER_STATEMENT)
        .map(|chunk| {
            format!(
                "WITH moved AS (DELETE FROM {t}_delta AS m WHERE {} RETURNING m.*), \
                 d AS (SELECT {}, {} FROM moved {}), \
                 gone AS (DELETE FROM {t} AS r USING d WHERE {joined} AND r.n + d.n = 0 \
                 RETURNING {returned}), \
                 kept AS (UPDATE {t} AS r SET {} FROM d WHERE {joined} AND r.n + d.n <> 0 \
                 RETURNING {returned}) \
                 INSERT INTO {t} ({}) SELECT d.* FROM d WHERE d.n <> 0 AND NOT EXISTS \
                 (SELECT 1 FROM (SELECT * FROM gone UNION ALL SELECT * FROM kept) AS r \
                 WHERE {joined})",
                matching(def, "m", chunk),
                group_columns(def).join(", "),
                summed(def),
                group_by(def),
                added(def),
                columns(def),
            )
        })
        .collect()
}

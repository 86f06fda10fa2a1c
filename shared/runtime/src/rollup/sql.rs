//! The SQL of the rollups, in both dialects: tables, triggers, fill, comparison (the
//! merge's is in [`super::merge`]).
//!
//! Every name here is a `&'static str` from a service's own definition, and every value
//! written into SQL text is either a date, a hex fingerprint or a scope value read back from
//! the database's own columns, quoted by [`quote`]: nothing a caller sends reaches this text.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use super::Rollup;
use super::merge::{group_columns, summed};
use super::sqlite;

/// The meta table: one row per rollup table, with its definition's fingerprint and floor.
const META: &str = "xk_rollups";

/// `value` as an SQL string literal. PostgreSQL gives an unknown-typed literal the type of
/// the column it is compared with; SQLite converts it by the column's affinity.
pub(super) fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The view a PostgreSQL summary reads a rollup through: its merged totals and, below
/// them, the deltas still pending (committed by writers that did not get the scope's lock).
pub(super) fn live(table: &str) -> String {
    format!("{table}_live")
}

/// A date literal in the backend's syntax (SQLite keeps dates as `YYYY-MM-DD` text).
fn date(day: NaiveDate, backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => format!("DATE '{day}'"),
        _ => format!("'{day}'"),
    }
}

/// `column`, with days before `floor` folded into the day before it (NULL stays NULL).
pub(super) fn folded_date(column: &str, floor: NaiveDate, backend: DbBackend) -> String {
    let before = floor.checked_sub_days(Days::new(1)).unwrap_or(floor);
    format!(
        "CASE WHEN {column} < {} THEN {} ELSE {column} END",
        date(floor, backend),
        date(before, backend)
    )
}

/// The select list of a fill or refresh: scope, keys, `n`, sums.
fn select_list(def: &Rollup) -> String {
    let mut items: Vec<String> = def.scope.iter().map(|c| c.to_string()).collect();
    items.extend(
        def.keys
            .iter()
            .map(|(name, expr)| format!("{expr} AS {name}")),
    );
    items.push("COUNT(*) AS n".into());
    items.extend(
        def.measures
            .iter()
            .map(|(name, expr)| format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT) AS {name}")),
    );
    items.join(", ")
}

/// The select list of a delta: as [`select_list`], with the count and the sums multiplied
/// by `sign` (+1 for rows as they are now, −1 for rows as they were).
fn delta_list(def: &Rollup, sign: i64) -> String {
    let mut items: Vec<String> = def.scope.iter().map(|c| c.to_string()).collect();
    items.extend(
        def.keys
            .iter()
            .map(|(name, expr)| format!("{expr} AS {name}")),
    );
    items.push(format!("{sign} * COUNT(*) AS n"));
    items.extend(def.measures.iter().map(|(name, expr)| {
        format!("{sign} * CAST(COALESCE(SUM({expr}), 0) AS BIGINT) AS {name}")
    }));
    items.join(", ")
}

/// One source row's deltas as a `VALUES` list (a per-row trigger's): scope, keys, `sign`
/// as the count, and `sign` times each sum, every source column read from `row` (`NEW` or
/// `OLD`).
pub(super) fn row_values(def: &Rollup, row: &str, sign: i64, source_columns: &[String]) -> String {
    let of_row = |expr: &str| qualified(expr, row, source_columns);
    let mut items: Vec<String> = def.scope.iter().map(|c| of_row(c)).collect();
    items.extend(def.keys.iter().map(|(_, expr)| of_row(expr)));
    items.push(sign.to_string());
    items.extend(
        def.measures
            .iter()
            .map(|(_, expr)| format!("{sign} * CAST(COALESCE({}, 0) AS BIGINT)", of_row(expr))),
    );
    items.join(", ")
}

/// `expr` with every identifier that names a column of the source qualified by `row`
/// (`NEW.status`). Left alone: text inside string literals (dates, codes), an identifier
/// after a `.` (already qualified) or before a `(` (a function), and everything else.
pub(super) fn qualified(expr: &str, row: &str, source_columns: &[String]) -> String {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = String::with_capacity(expr.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A literal runs to the next quote; a doubled quote inside it reads as two
            // literals back to back, which copies it unchanged all the same.
            let end = chars[i + 1..]
                .iter()
                .position(|&q| q == '\'')
                .map_or(chars.len(), |p| i + 1 + p + 1);
            out.extend(&chars[i..end]);
            i = end;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let end = chars[i..]
                .iter()
                .position(|&w| !(w.is_ascii_alphanumeric() || w == '_'))
                .map_or(chars.len(), |p| i + p);
            let word: String = chars[i..end].iter().collect();
            let after_dot = out.trim_end().ends_with('.');
            let before_paren = chars[end..].iter().find(|w| !w.is_whitespace()) == Some(&'(');
            let column = !c.is_ascii_digit() && source_columns.contains(&word);
            if column && !after_dot && !before_paren {
                out.push_str(row);
                out.push('.');
            }
            out.push_str(&word);
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The rollup's column names, in select-list order.
pub(super) fn columns(def: &Rollup) -> String {
    let mut cols: Vec<&str> = def.scope.clone();
    cols.extend(def.keys.iter().map(|(name, _)| *name));
    cols.push("n");
    cols.extend(def.measures.iter().map(|(name, _)| *name));
    cols.join(", ")
}

/// `GROUP BY 1, 2, …` over the scope and the keys (by position: a key may carry the name
/// of the source column it is computed from).
pub(super) fn group_by(def: &Rollup) -> String {
    let positions: Vec<String> = (1..=def.scope.len() + def.keys.len())
        .map(|p| p.to_string())
        .collect();
    format!("GROUP BY {}", positions.join(", "))
}

/// The grouped rows of `source` (optionally only where `filter`).
fn grouped(def: &Rollup, filter: Option<&str>) -> String {
    let filter = filter.map(|f| format!(" WHERE {f}")).unwrap_or_default();
    format!(
        "SELECT {} FROM {}{filter} {}",
        select_list(def),
        def.source,
        group_by(def)
    )
}

/// The scope's values as one text (`a/b`), for reports.
fn scope_text(def: &Rollup) -> String {
    def.scope
        .iter()
        .map(|c| format!("CAST({c} AS TEXT)"))
        .collect::<Vec<_>>()
        .join(" || '/' || ")
}

/// Creates the meta table if missing.
pub(super) fn create_meta(_backend: DbBackend) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {META} (name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, \
         floor TEXT NOT NULL)"
    )
}

/// The stored fingerprint and floor of `table`, if it was built.
pub(super) async fn stored<C: ConnectionTrait>(
    conn: &C,
    table: &str,
) -> Result<Option<(String, NaiveDate)>, DbErr> {
    let backend = conn.get_database_backend();
    let sql = format!(
        "SELECT fingerprint, floor FROM {META} WHERE name = {}",
        quote(table)
    );
    let Some(row) = conn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
    else {
        return Ok(None);
    };
    let print: String = row.try_get("", "fingerprint")?;
    let floor: String = row.try_get("", "floor")?;
    let floor = floor
        .parse::<NaiveDate>()
        .map_err(|e| DbErr::Custom(format!("rollup {table}: unreadable floor {floor}: {e}")))?;
    Ok(Some((print, floor)))
}

/// Every built rollup's name, fingerprint and floor.
pub(super) async fn all_stored<C: ConnectionTrait>(
    conn: &C,
) -> Result<Vec<(String, String, NaiveDate)>, DbErr> {
    let backend = conn.get_database_backend();
    let sql = format!("SELECT name, fingerprint, floor FROM {META}");
    let mut out = Vec::new();
    for row in conn
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        let name: String = row.try_get("", "name")?;
        let floor: String = row.try_get("", "floor")?;
        let floor = floor
            .parse::<NaiveDate>()
            .map_err(|e| DbErr::Custom(format!("rollup {name}: unreadable floor {floor}: {e}")))?;
        out.push((name, row.try_get("", "fingerprint")?, floor));
    }
    Ok(out)
}

/// Records that `table` was built with `fingerprint` and `floor`.
pub(super) async fn store<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    fingerprint: &str,
    floor: NaiveDate,
) -> Result<(), DbErr> {
    conn.execute_unprepared(&format!("DELETE FROM {META} WHERE name = {}", quote(table)))
        .await?;
    conn.execute_unprepared(&format!(
        "INSERT INTO {META} (name, fingerprint, floor) VALUES ({}, {}, {})",
        quote(table),
        quote(fingerprint),
        quote(&floor.to_string())
    ))
    .await?;
    Ok(())
}

/// Drops the rollup's tables, triggers and (PostgreSQL) trigger functions, where present
/// (also those of the first version, which marked villages instead of writing deltas).
pub(super) fn drop(def: &Rollup, backend: DbBackend) -> Vec<String> {
    let t = def.table;
    let triggers = [
        "mark_ins", "mark_upd", "mark_del", "ins", "upd_old", "upd_new", "del", "upd",
    ];
    let mut out: Vec<String> = triggers
        .iter()
        .map(|op| match backend {
            DbBackend::Postgres => format!("DROP TRIGGER IF EXISTS {t}_{op} ON {}", def.source),
            _ => format!("DROP TRIGGER IF EXISTS {t}_{op}"),
        })
        .collect();
    if backend == DbBackend::Postgres {
        for f in ["mark", "new", "old", "both", "moved"] {
            out.push(format!("DROP FUNCTION IF EXISTS {t}_{f}()"));
        }
        // Before the tables it reads, which could not be dropped under it.
        out.push(format!("DROP VIEW IF EXISTS {}", live(t)));
    }
    for table in ["", "_dirty", "_delta"] {
        out.push(format!("DROP TABLE IF EXISTS {t}{table}"));
    }
    out
}

/// The columns of `source` (as the database lists them) that the rollup reads: those named
/// as an identifier in its scope, keys or sums.
fn read_columns<'a>(def: &Rollup, source_columns: &'a [String]) -> Vec<&'a str> {
    let mut words = BTreeSet::new();
    let exprs = def
        .scope
        .iter()
        .copied()
        .chain(def.keys.iter().map(|(_, e)| e.as_str()))
        .chain(def.measures.iter().map(|(_, e)| e.as_str()));
    for expr in exprs {
        words.extend(expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')));
    }
    source_columns
        .iter()
        .map(String::as_str)
        .filter(|c| words.contains(c))
        .collect()
}

/// The update triggers' condition: some column the rollup reads differs between `OLD`
/// and `NEW` (`differs` is the dialect's null-safe "not the same"); `None` when it reads
/// none of the listed columns.
pub(super) fn changed(def: &Rollup, source_columns: &[String], differs: &str) -> Option<String> {
    let read = read_columns(def, source_columns);
    if read.is_empty() {
        return None;
    }
    let each: Vec<String> = read
        .iter()
        .map(|c| format!("OLD.{c} {differs} NEW.{c}"))
        .collect();
    Some(each.join(" OR "))
}

/// What the triggers of a rollup need to know of its source table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct SourceTable {
    /// The source's columns, for the update triggers' condition.
    pub(super) columns: Vec<String>,
    /// Whether it is a PostgreSQL partitioned table ([`crate::partition`]): an update that
    /// moves a row to another partition fires no row-level UPDATE trigger there, so the
    /// update deltas are taken per statement instead.
    pub(super) partitioned: bool,
}

/// The columns of `source` and whether it is partitioned.
pub(super) async fn source<C: ConnectionTrait>(
    conn: &C,
    source: &str,
) -> Result<SourceTable, DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!(
            "SELECT CAST(column_name AS TEXT) AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = {}",
            quote(source)
        ),
        _ => format!("SELECT name FROM pragma_table_info({})", quote(source)),
    };
    let columns = conn
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
        .iter()
        .map(|r| r.try_get::<String>("", "name"))
        .collect::<Result<_, _>>()?;
    let partitioned = match backend {
        DbBackend::Postgres => crate::partition::is_partitioned(conn, source).await?,
        _ => false,
    };
    Ok(SourceTable {
        columns,
        partitioned,
    })
}

/// Creates the (empty) rollup table and its scope index, and the triggers that keep it:
/// on PostgreSQL a delta table and the triggers that write each statement's deltas into
/// it, on SQLite triggers that add each row's change into the totals in place. The
/// source's columns let the update triggers fire only when a column the rollup reads
/// changes: an update of anything else (a household's document, its version) changes
/// nothing.
pub(super) fn create(def: &Rollup, backend: DbBackend, src: &SourceTable) -> Vec<String> {
    let (t, source) = (def.table, def.source);
    let source_columns = src.columns.as_slice();
    let scope = def.scope.join(", ");
    let cols = columns(def);
    let mut out = vec![
        format!(
            "CREATE TABLE {t} AS SELECT {} FROM {source} WHERE 1 = 0 {}",
            select_list(def),
            group_by(def)
        ),
        format!("CREATE INDEX {t}_scope ON {t} ({scope})"),
    ];
    match backend {
        DbBackend::Postgres => {
            out.push(format!(
                "CREATE TABLE {t}_delta AS SELECT {cols} FROM {t} WHERE 1 = 0"
            ));
            // What summaries read: every figure is a sum, so the pending deltas (−1 and
            // minus the sums for a row taken away) add into the totals as they would merge.
            out.push(format!(
                "CREATE VIEW {} AS SELECT {cols} FROM {t} UNION ALL SELECT {cols} FROM {t}_delta",
                live(t)
            ));
            // Inserts and deletes once per statement, grouped from the statement's
            // transition tables: a 1,000-row insert leaves one delta row per village and key
            // combination. Updates per row, and only when a column the rollup reads changed
            // (a statement trigger cannot skip), so a write that only touches a document or
            // a version leaves no delta and merges nothing.
            let delta = |rows: &str, sign: i64| {
                format!(
                    "INSERT INTO {t}_delta ({cols}) SELECT {} FROM {rows} {};",
                    delta_list(def, sign),
                    group_by(def)
                )
            };
            for (name, body) in [
                ("new", delta("xk_new", 1)),
                ("old", delta("xk_old", -1)),
                // One row out and one in, straight from OLD and NEW (no grouping of a
                // one-row set, which cost a sort per updated row).
                (
                    "both",
                    format!(
                        "INSERT INTO {t}_delta ({cols}) VALUES ({}), ({});",
                        row_values(def, "OLD", -1, source_columns),
                        row_values(def, "NEW", 1, source_columns)
                    ),
                ),
            ] {
                out.push(format!(
                    "CREATE FUNCTION {t}_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                     {body} RETURN NULL; END $$"
                ));
            }
            for (op, event, tables, function) in [
                ("ins", "INSERT", "NEW TABLE AS xk_new", "new"),
                ("del", "DELETE", "OLD TABLE AS xk_old", "old"),
            ] {
                out.push(format!(
                    "CREATE TRIGGER {t}_{op} AFTER {event} ON {source} REFERENCING {tables} \
                     FOR EACH STATEMENT EXECUTE FUNCTION {t}_{function}()"
                ));
            }
            if src.partitioned {
                // A row moved to another partition by an update fires no row-level UPDATE
                // trigger (PostgreSQL runs it as a delete and an insert, and fires neither
                // statement's triggers either); the statement's UPDATE transition tables
                // do hold it. So: the old rows out and the new rows in, netted per village
                // and keys, and only the groups that changed kept (an update of a document
                // alone nets to nothing).
                out.push(format!(
                    "CREATE FUNCTION {t}_moved() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                     {} RETURN NULL; END $$",
                    netted(def)
                ));
                out.push(format!(
                    "CREATE TRIGGER {t}_upd AFTER UPDATE ON {source} \
                     REFERENCING OLD TABLE AS xk_old NEW TABLE AS xk_new \
                     FOR EACH STATEMENT EXECUTE FUNCTION {t}_moved()"
                ));
            } else {
                let when = changed(def, source_columns, "IS DISTINCT FROM")
                    .map_or(String::new(), |c| format!(" WHEN ({c})"));
                out.push(format!(
                    "CREATE TRIGGER {t}_upd AFTER UPDATE ON {source} FOR EACH ROW{when} \
                     EXECUTE FUNCTION {t}_both()"
                ));
            }
        }
        _ => out.extend(sqlite::kept_in_place(def, source_columns)),
    }
    out
}

/// An update statement's deltas from its transition tables `xk_old` and `xk_new`: each
/// side grouped with its sign, then netted per scope and keys, keeping the groups whose
/// count or a sum changed.
fn netted(def: &Rollup) -> String {
    let (t, cols) = (def.table, columns(def));
    let grouped = def.scope.len() + def.keys.len();
    let names: Vec<&str> = def
        .scope
        .iter()
        .copied()
        .chain(def.keys.iter().map(|(name, _)| *name))
        .collect();
    let sums: Vec<&str> = std::iter::once("n")
        .chain(def.measures.iter().map(|(name, _)| *name))
        .collect();
    let outer: Vec<String> = names
        .iter()
        .map(|n| n.to_string())
        .chain(sums.iter().map(|s| format!("CAST(SUM({s}) AS BIGINT)")))
        .collect();
    let changed: Vec<String> = sums.iter().map(|s| format!("SUM({s}) <> 0")).collect();
    let positions: Vec<String> = (1..=grouped).map(|p| p.to_string()).collect();
    format!(
        "INSERT INTO {t}_delta ({cols}) SELECT {} FROM (SELECT {} FROM xk_old {by} \
         UNION ALL SELECT {} FROM xk_new {by}) AS moved GROUP BY {} HAVING {};",
        outer.join(", "),
        delta_list(def, -1),
        delta_list(def, 1),
        positions.join(", "),
        changed.join(" OR "),
        by = group_by(def),
    )
}

/// Fills an empty rollup from every row of its source.
pub(super) fn fill(def: &Rollup) -> String {
    format!(
        "INSERT INTO {} ({}) {}",
        def.table,
        columns(def),
        grouped(def, None)
    )
}

/// The scopes (as `a/b` text) whose totals differ from a fresh grouping of the source, in
/// order. The totals are the rollup table's on SQLite (its triggers add every change in); on
/// PostgreSQL the rollup and its pending deltas, grouped, read in the same statement as the
/// rows so that writes committing meanwhile cannot show as a difference.
pub(super) async fn differences<C: ConnectionTrait>(
    conn: &C,
    def: &Rollup,
) -> Result<Vec<String>, DbErr> {
    let backend = conn.get_database_backend();
    let fresh = grouped(def, None);
    let stored = match backend {
        DbBackend::Postgres => {
            // A group whose deltas took every row away adds up to nothing: it is no group.
            let nonzero: Vec<String> = std::iter::once("n")
                .chain(def.measures.iter().map(|(m, _)| *m))
                .map(|c| format!("SUM({c}) <> 0"))
                .collect();
            format!(
                "SELECT {}, {} FROM {} {} HAVING {}",
                group_columns(def).join(", "),
                summed(def),
                live(def.table),
                group_by(def),
                nonzero.join(" OR ")
            )
        }
        _ => format!("SELECT {} FROM {}", columns(def), def.table),
    };
    let mut found = BTreeSet::new();
    for (a, b) in [(&fresh, &stored), (&stored, &fresh)] {
        let sql = format!("SELECT {} AS s FROM ({a} EXCEPT {b}) AS d", scope_text(def));
        for row in conn
            .query_all_raw(Statement::from_string(backend, sql))
            .await?
        {
            found.insert(row.try_get::<String>("", "s")?);
        }
    }
    Ok(found.into_iter().collect())
}

/// The latest floor any of the database's rollups was built with, if any was.
pub(super) async fn latest_floor<C: ConnectionTrait>(conn: &C) -> Result<Option<NaiveDate>, DbErr> {
    let backend = conn.get_database_backend();
    let sql = format!("SELECT MAX(floor) AS f FROM {META}");
    let Some(row) = conn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
    else {
        return Ok(None);
    };
    let floor: Option<String> = row.try_get("", "f")?;
    floor
        .map(|f| {
            f.parse::<NaiveDate>()
                .map_err(|e| DbErr::Custom(format!("rollups: unreadable floor {f}: {e}")))
        })
        .transpose()
}

#[cfg(test)]
mod qualify_tests {
    use super::qualified;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn source_columns_are_read_from_the_trigger_row_and_nothing_else_is() {
        let columns = cols(&["status", "sent_on", "people", "with_cases"]);
        assert_eq!(
            qualified("CASE WHEN status = 3 THEN 1 ELSE 0 END", "NEW", &columns),
            "CASE WHEN NEW.status = 3 THEN 1 ELSE 0 END"
        );
        // Dates in literals, a literal naming a column, a function and a qualified name.
        assert_eq!(
            qualified(
                "CASE WHEN sent_on < '2026-10-01' THEN 'sent_on' ELSE sent_on END",
                "OLD",
                &columns
            ),
            "CASE WHEN OLD.sent_on < '2026-10-01' THEN 'sent_on' ELSE OLD.sent_on END"
        );
        assert_eq!(
            qualified("status(people) + x.people + people_count", "NEW", &columns),
            "status(NEW.people) + x.people + people_count"
        );
        // A doubled quote inside a literal, digits, and a column at the very end.
        assert_eq!(
            qualified("'it''s status' || 2019 || status", "NEW", &columns),
            "'it''s status' || 2019 || NEW.status"
        );
    }
}

#[cfg(test)]
mod partitioned_tests {
    use super::*;

    #[test]
    fn a_partitioned_source_nets_each_update_statement_and_keeps_only_what_changed() {
        let def = Rollup::new("people_rollup", "people", &["village_code"])
            .key("status")
            .sum("fen");
        let plain = SourceTable {
            columns: vec!["village_code".into(), "status".into(), "fen".into()],
            partitioned: false,
        };
        let parted = SourceTable {
            partitioned: true,
            ..plain.clone()
        };
        let row_level = create(&def, DbBackend::Postgres, &plain).join(";\n");
        assert!(row_level.contains("AFTER UPDATE ON people FOR EACH ROW WHEN"));
        let per_statement = create(&def, DbBackend::Postgres, &parted).join(";\n");
        assert!(!per_statement.contains("FOR EACH ROW"), "{per_statement}");
        assert!(per_statement.contains(
            "AFTER UPDATE ON people REFERENCING OLD TABLE AS xk_old NEW TABLE AS xk_new \
             FOR EACH STATEMENT EXECUTE FUNCTION people_rollup_moved()"
        ));
        let netted = netted(&def);
        assert!(netted.starts_with("INSERT INTO people_rollup_delta (village_code, status, n, fen) SELECT village_code, status, CAST(SUM(n) AS BIGINT), CAST(SUM(fen) AS BIGINT)"), "{netted}");
        assert!(netted.contains("-1 * COUNT(*) AS n"), "{netted}");
        assert!(
            netted.contains("FROM xk_old GROUP BY 1, 2 UNION ALL"),
            "{netted}"
        );
        assert!(
            netted.ends_with("GROUP BY 1, 2 HAVING SUM(n) <> 0 OR SUM(fen) <> 0;"),
            "{netted}"
        );
        // SQLite has no partitions: the flag changes nothing there.
        assert_eq!(
            create(&def, DbBackend::Sqlite, &plain),
            create(&def, DbBackend::Sqlite, &parted)
        );
    }
}

//! SQLite's rollup triggers: every row written is added into its group's totals in place,
//! in the writing transaction (see [`super`]'s module docs). SQLite has one writer at a
//! time, so no other transaction can be adding to the same group meanwhile.

use super::Rollup;
use super::sql::{changed, columns, qualified, row_values};

/// The statements that keep `def`'s rollup table (already created, empty or filled) from
/// now on: its unique group index, the trigger that drops an emptied group, and the
/// source's insert, update and delete triggers. `source_columns` are the source's columns
/// (the update triggers fire only when one the rollup reads changes).
pub(super) fn kept_in_place(def: &Rollup, source_columns: &[String]) -> Vec<String> {
    let (t, source) = (def.table, def.source);
    let cols = columns(def);
    let mut out = Vec::new();
    // Per row (SQLite has no statement triggers): the row's change, computed from the
    // trigger's OLD or NEW values (the expressions' columns qualified by them), is added
    // to its group's row, or inserted as a new group. Until the eighteenth session the
    // triggers appended to a delta table that every commit then grouped, added in and
    // emptied: a sort of every delta, twice, and five statements per commit, which cost an
    // import a fifth of its rate (README, "Write cost of keeping the rollups").
    //
    // The upsert needs a unique index on the group; a NULL key would make every row its
    // own group there, so each key is indexed as `ifnull(key, x'')`. An empty blob equals
    // no text or number, so it stands for NULL alone.
    let target = upsert_target(def);
    out.push(format!("CREATE UNIQUE INDEX {t}_group ON {t} ({target})"));
    // A group whose last row went takes its row with it, as a merge does on PostgreSQL:
    // the table holds exactly the groups a fresh grouping gives.
    out.push(format!(
        "CREATE TRIGGER {t}_zero AFTER UPDATE OF n ON {t} FOR EACH ROW \
         WHEN NEW.n = 0 BEGIN DELETE FROM {t} WHERE rowid = NEW.rowid; END"
    ));
    let added: Vec<String> = std::iter::once("n")
        .chain(def.measures.iter().map(|(m, _)| *m))
        .map(|c| format!("{c} = {c} + excluded.{c}"))
        .collect();
    let added = added.join(", ");
    // `values` (a group, a count, the sums) added into its group's row.
    let upsert = |values: String| {
        format!(
            "INSERT INTO {t} ({cols}) VALUES ({values}) ON CONFLICT ({target}) \
             DO UPDATE SET {added};"
        )
    };
    let delta = |row: &str, sign: i64| upsert(row_values(def, row, sign, source_columns));
    // An update that leaves the row in its group (a settlement's sums, an income) adds
    // the sums' difference to that group's row, one upsert; one that moves it takes it out
    // of the old group and adds it to the new one. (Out and in for every update, as first
    // written, emptied a group of one row and inserted it again.)
    let changed = changed(def, source_columns, "IS NOT");
    let when = |group: &str| match &changed {
        Some(c) => format!(" WHEN ({c}) AND {group}"),
        None => format!(" WHEN {group}"),
    };
    let same = same_group(def, source_columns);
    let moved = when(&format!("NOT ({same})"));
    let mut triggers = vec![
        ("ins", "AFTER INSERT", String::new(), delta("NEW", 1)),
        ("upd_old", "BEFORE UPDATE", moved.clone(), delta("OLD", -1)),
        ("upd_new", "AFTER UPDATE", moved, delta("NEW", 1)),
        ("del", "BEFORE DELETE", String::new(), delta("OLD", -1)),
    ];
    // Without sums, an update within its group changes no total.
    if !def.measures.is_empty() {
        let body = upsert(difference_values(def, source_columns));
        triggers.push(("upd", "AFTER UPDATE", when(&format!("({same})")), body));
    }
    for (op, event, only, body) in triggers {
        out.push(format!(
            "CREATE TRIGGER {t}_{op} {event} ON {source} FOR EACH ROW{only} BEGIN {body} END"
        ));
    }
    out
}

/// The condition (SQLite, in an update trigger) that `OLD` and `NEW` fall in the same
/// group: every scope and key expression the same over both, NULL being the same as NULL.
fn same_group(def: &Rollup, source_columns: &[String]) -> String {
    let each: Vec<String> = def
        .scope
        .iter()
        .copied()
        .chain(def.keys.iter().map(|(_, expr)| expr.as_str()))
        .map(|expr| {
            format!(
                "({}) IS ({})",
                qualified(expr, "OLD", source_columns),
                qualified(expr, "NEW", source_columns)
            )
        })
        .collect();
    each.join(" AND ")
}

/// An update within its group as a `VALUES` list (SQLite): the group from `NEW`, a count
/// of 0, and each sum's difference, new minus old.
fn difference_values(def: &Rollup, source_columns: &[String]) -> String {
    let of = |row: &str, expr: &str| qualified(expr, row, source_columns);
    let mut items: Vec<String> = def.scope.iter().map(|c| of("NEW", c)).collect();
    items.extend(def.keys.iter().map(|(_, expr)| of("NEW", expr)));
    items.push("0".into());
    items.extend(def.measures.iter().map(|(_, expr)| {
        format!(
            "CAST(COALESCE({}, 0) AS BIGINT) - CAST(COALESCE({}, 0) AS BIGINT)",
            of("NEW", expr),
            of("OLD", expr)
        )
    }));
    items.join(", ")
}

/// The columns of a SQLite rollup's unique group index, and of its triggers' upsert: the
/// scope as it is (never NULL), then each key with NULL as an empty blob.
fn upsert_target(def: &Rollup) -> String {
    let parts: Vec<String> = def
        .scope
        .iter()
        .map(|c| c.to_string())
        .chain(def.keys.iter().map(|(k, _)| format!("ifnull({k}, x'')")))
        .collect();
    parts.join(", ")
}

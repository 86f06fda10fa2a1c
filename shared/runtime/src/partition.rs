//! PostgreSQL partitioning by county: an option for a province's database, where a
//! county's lists, exports and walks should read one county's rows and indexes, not the
//! province's (docs/deploy.md, "A city or a province").
//!
//! A service names the tables it allows to be partitioned ([`Partitionable`]: the big
//! ones, keyed by a household or resident id, with a 12-digit region code). Partitioning
//! one ([`by_county`], `xiaokang migrate NAME --partition-by-county`) turns it into a
//! table partitioned by range of its region code, one partition per county (the code's
//! first six digits) and a default partition for counties not given one yet:
//!
//! - PostgreSQL requires the partition key in every unique key, so the primary key
//!   becomes (key…, region code). The key stays unique across the whole table through a
//!   small table of the keys, `<table>_keys`, written by statement triggers in the same
//!   statement as the rows: a second row with a key already used in another county fails
//!   with the same unique violation as before, and the services answer ALREADY_EXISTS as
//!   they did. Keys never change (a trigger refuses an update of one).
//! - A row whose region code changes to another county moves to that county's partition.
//!   PostgreSQL runs that move as a delete and an insert, firing no row-level UPDATE
//!   trigger, so rollups over a partitioned table take their update deltas per statement
//!   ([`crate::rollup`]); the rollups' fingerprint includes this, so the next
//!   `migrate` or start rebuilds them.
//! - Queries of a region read `region BETWEEN prefix… AND prefix…` ([`crate::query`]), which
//!   PostgreSQL prunes to one partition for a county or anything inside one. A lookup by
//!   key alone would probe (and lock) every partition, so the key table also keeps each
//!   key's region code, and `<table>_by_key(key…, for_update)` reads a row from its
//!   county's partition alone. A service asks its [`crate::Db`] how to read a table by key
//!   ([`Lookups`], found when it starts) and builds the statement with [`Lookup`]: the
//!   registry's households, health's enrolments and person-years, education's students.
//!   A read by part of a key or by many keys (water's history of a household, a batch's
//!   current statuses) asks the key table where those keys are ([`key_regions`]) and
//!   names their villages in its own query, which prunes to their partitions.
//!
//! It runs in one transaction with the service's writers stopped (it rewrites the table).
//! Run again with more counties, it adds their partitions, moving their rows out of the
//! default partition.

use sea_orm::sea_query::{FromValueTuple, IntoValueTuple};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, PrimaryKeyTrait, Statement,
    TransactionTrait, Value,
};

/// The advisory lock [`by_county`] holds while it works (apart from the rollups' own).
const LOCK_KEY: i64 = 7_426_062;

/// A table a service lets operators partition by county.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partitionable {
    /// The table.
    pub table: &'static str,
    /// Its primary key's columns: unique across the whole table still, through
    /// `<table>_keys`.
    pub key: &'static [&'static str],
    /// Its 12-digit region code column; the first six digits name the county.
    pub region: &'static str,
}

/// What [`by_county`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partitioning {
    /// Tables turned into partitioned ones now (the others were already).
    pub converted: Vec<&'static str>,
    /// Partitions created, as (table, county).
    pub partitions_added: Vec<(&'static str, String)>,
    /// Rows moved out of a default partition into a county's new one.
    pub rows_moved: u64,
}

/// Whether `table` is a partitioned table (always false but on PostgreSQL).
pub async fn is_partitioned<C: ConnectionTrait>(conn: &C, table: &str) -> Result<bool, DbErr> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT relkind = 'p' AS partitioned FROM pg_class \
             WHERE oid = to_regclass(current_schema() || '.' || $1)",
            [table.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<bool>("", "partitioned")?,
        None => false,
    })
}

/// The county partitions `table` has now (six-digit codes, in order).
pub async fn counties_of<C: ConnectionTrait>(conn: &C, table: &str) -> Result<Vec<String>, DbErr> {
    let prefix = format!("{table}_c");
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT CAST(c.relname AS TEXT) AS name FROM pg_inherits i \
             JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = to_regclass(current_schema() || '.' || $1) ORDER BY 1",
            [table.into()],
        ))
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let name: String = row.try_get("", "name")?;
        if let Some(county) = name.strip_prefix(&prefix)
            && is_county(county)
        {
            out.push(county.to_string());
        }
    }
    Ok(out)
}

/// Whether `code` is a county code: six ASCII digits.
pub fn is_county(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// Partitions `tables` by county (PostgreSQL only), with a partition for each of
/// `counties` and for each county found in the rows, in one transaction.
pub async fn by_county(
    conn: &DatabaseConnection,
    tables: &[Partitionable],
    counties: &[String],
) -> Result<Partitioning, DbErr> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Err(DbErr::Custom(
            "partitioning by county is a PostgreSQL option; SQLite keeps one file per county"
                .into(),
        ));
    }
    if let Some(bad) = counties.iter().find(|c| !is_county(c)) {
        return Err(DbErr::Custom(format!(
            "{bad:?} is not a county code (six digits, as 420625)"
        )));
    }
    let txn = conn.begin().await?;
    // Two operators (or two deploy jobs) running it at once take turns: the second finds
    // the tables partitioned and adds only what is still missing.
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({LOCK_KEY})"))
        .await?;
    let mut done = Partitioning::default();
    for table in tables {
        let t = table.table;
        let mut wanted: Vec<String> = counties.to_vec();
        if is_partitioned(&txn, t).await? {
            wanted.extend(counties_in(&txn, &format!("{t}_default"), table.region).await?);
        } else {
            // Every county's partition made before the rows are copied, so each row is
            // written once, straight into its county's partition.
            wanted.extend(counties_in(&txn, t, table.region).await?);
            wanted.sort();
            wanted.dedup();
            convert(&txn, table, &wanted).await?;
            done.converted.push(t);
            done.partitions_added
                .extend(wanted.iter().map(|c| (t, c.clone())));
            continue;
        }
        wanted.sort();
        wanted.dedup();
        let have = counties_of(&txn, t).await?;
        for county in wanted.iter().filter(|c| !have.contains(c)) {
            done.rows_moved += add_county(&txn, table, county).await?;
            done.partitions_added.push((t, county.clone()));
        }
        // A table partitioned by an older version gets this version's lookup.
        run(&txn, &by_key_function(table)).await?;
    }
    txn.commit().await?;
    Ok(done)
}

/// Runs each statement in order.
async fn run<C: ConnectionTrait>(conn: &C, statements: &[String]) -> Result<(), DbErr> {
    for statement in statements {
        conn.execute_unprepared(statement).await?;
    }
    Ok(())
}

/// Turns the plain `table` into a partitioned one with a partition for each of `counties`
/// and a default one, and the same rows, indexes and key uniqueness.
async fn convert<C: ConnectionTrait>(
    conn: &C,
    table: &Partitionable,
    counties: &[String],
) -> Result<(), DbErr> {
    let Partitionable {
        table: t, region, ..
    } = *table;
    // The secondary indexes, to make again on the new table under the same names.
    let indexes = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT CAST(i.relname AS TEXT) AS name, pg_get_indexdef(x.indexrelid) AS def, \
             x.indisunique AS is_unique \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             WHERE x.indrelid = to_regclass(current_schema() || '.' || $1) \
             AND NOT x.indisprimary ORDER BY 1",
            [t.into()],
        ))
        .await?;
    let mut remade = Vec::new();
    for row in &indexes {
        let name: String = row.try_get("", "name")?;
        if row.try_get::<bool>("", "is_unique")? {
            return Err(DbErr::Custom(format!(
                "{t} has the unique index {name}, which a partitioned table cannot keep"
            )));
        }
        remade.push((name, row.try_get::<String>("", "def")?));
    }
    let old = format!("{t}_unpartitioned");
    let mut statements = vec![
        format!("ALTER TABLE {t} RENAME TO {old}"),
        // The old key's name would clash with the new key's.
        format!("ALTER TABLE {old} RENAME CONSTRAINT {t}_pkey TO {old}_pkey"),
    ];
    statements.extend(remade.iter().map(|(name, _)| format!("DROP INDEX {name}")));
    statements.push(format!(
        "CREATE TABLE {t} (LIKE {old} INCLUDING DEFAULTS INCLUDING GENERATED \
         INCLUDING IDENTITY) PARTITION BY RANGE ({region})"
    ));
    let keys = table.key.join(", ");
    statements.push(format!(
        "ALTER TABLE {t} ADD CONSTRAINT {t}_pkey PRIMARY KEY ({keys}, {region})"
    ));
    statements.push(format!("CREATE TABLE {t}_default PARTITION OF {t} DEFAULT"));
    statements.extend(counties.iter().map(|county| {
        format!(
            "CREATE TABLE {t}_c{county} PARTITION OF {t} FOR VALUES {}",
            bounds(county)
        )
    }));
    // The definitions name the table as it was (`ON public.households`): now the new one.
    statements.extend(remade.into_iter().map(|(_, def)| def));
    statements.push(format!("INSERT INTO {t} SELECT * FROM {old}"));
    // After the rows are copied in, so the copy does not write the keys twice.
    statements.extend(key_table(table, &old));
    statements.push(format!("DROP TABLE {old}"));
    run(conn, &statements).await
}

/// The table of keys that keeps `table`'s key unique across partitions, filled from
/// `filled_from`, and the triggers that keep it so.
fn key_table(table: &Partitionable, filled_from: &str) -> Vec<String> {
    let Partitionable {
        table: t,
        key,
        region,
    } = *table;
    let keys = key.join(", ");
    let matches: Vec<String> = key.iter().map(|k| format!("k.{k} = o.{k}")).collect();
    let moved: Vec<String> = key.iter().map(|k| format!("k.{k} = n.{k}")).collect();
    let changed: Vec<String> = key
        .iter()
        .map(|k| format!("OLD.{k} IS DISTINCT FROM NEW.{k}"))
        .collect();
    let mut out = vec![
        format!("CREATE TABLE {t}_keys AS SELECT {keys}, {region} FROM {filled_from}"),
        format!("ALTER TABLE {t}_keys ADD CONSTRAINT {t}_keys_pkey PRIMARY KEY ({keys})"),
        format!(
            "CREATE FUNCTION {t}_keys_new() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             INSERT INTO {t}_keys ({keys}, {region}) SELECT {keys}, {region} FROM xk_new; \
             RETURN NULL; END $$"
        ),
        format!(
            "CREATE FUNCTION {t}_keys_old() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             DELETE FROM {t}_keys k USING xk_old o WHERE {}; RETURN NULL; END $$",
            matches.join(" AND ")
        ),
        format!(
            "CREATE FUNCTION {t}_keys_moved() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             UPDATE {t}_keys k SET {region} = n.{region} FROM xk_new n \
             WHERE {} AND k.{region} IS DISTINCT FROM n.{region}; RETURN NULL; END $$",
            moved.join(" AND ")
        ),
        format!(
            "CREATE FUNCTION {t}_keys_fixed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             RAISE EXCEPTION 'the key of a {t} row cannot change'; END $$"
        ),
        format!(
            "CREATE TRIGGER {t}_keys_ins AFTER INSERT ON {t} REFERENCING NEW TABLE AS xk_new \
             FOR EACH STATEMENT EXECUTE FUNCTION {t}_keys_new()"
        ),
        format!(
            "CREATE TRIGGER {t}_keys_del AFTER DELETE ON {t} REFERENCING OLD TABLE AS xk_old \
             FOR EACH STATEMENT EXECUTE FUNCTION {t}_keys_old()"
        ),
        format!(
            "CREATE TRIGGER {t}_keys_mov AFTER UPDATE ON {t} REFERENCING NEW TABLE AS xk_new \
             FOR EACH STATEMENT EXECUTE FUNCTION {t}_keys_moved()"
        ),
        format!(
            "CREATE TRIGGER {t}_keys_upd BEFORE UPDATE ON {t} FOR EACH ROW WHEN ({}) \
             EXECUTE FUNCTION {t}_keys_fixed()",
            changed.join(" OR ")
        ),
    ];
    out.extend(by_key_function(table));
    out
}

/// `<table>_by_key(key…, for_update)`: a row by its key from one partition. The key table
/// names the row's village, and a statement planned with that value reads (and locks) that
/// county's partition alone, where a lookup by key alone probes and locks every partition.
/// If the row moved meanwhile, the plain lookup finds it wherever it is now. Made again
/// on every run (dropped first: an older run's function may name its parameters).
fn by_key_function(table: &Partitionable) -> [String; 2] {
    let Partitionable {
        table: t,
        key,
        region,
    } = *table;
    // Parameters by position: $1…$n the key (typed as its columns), $n+1 the lock.
    let params: Vec<String> = key.iter().map(|k| format!("{t}.{k}%TYPE")).collect();
    let matched: Vec<String> = key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ${}", i + 1))
        .collect();
    let matched = matched.join(" AND ");
    let given: Vec<String> = (1..=key.len()).map(|i| format!("${i}")).collect();
    let given = given.join(", ");
    // After the key: the lock flag among the function's parameters, the village among
    // the statement's.
    let next = key.len() + 1;
    let locking = format!("CASE WHEN ${next} THEN ' FOR UPDATE' ELSE '' END");
    [
        format!("DROP FUNCTION IF EXISTS {t}_by_key"),
        format!(
            "CREATE FUNCTION {t}_by_key({}, boolean) RETURNS SETOF {t} \
             LANGUAGE plpgsql AS $$ DECLARE xk_at text; BEGIN \
             SELECT {region} INTO xk_at FROM {t}_keys WHERE {matched}; \
             IF xk_at IS NULL THEN RETURN; END IF; \
             RETURN QUERY EXECUTE 'SELECT * FROM {t} WHERE {matched} AND {region} = ${next}' \
             || {locking} USING {given}, xk_at; \
             IF NOT FOUND THEN RETURN QUERY EXECUTE 'SELECT * FROM {t} WHERE {matched}' \
             || {locking} USING {given}; END IF; \
             END $$",
            params.join(", ")
        ),
    ]
}

/// How a service reads one row of a table by its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lookup {
    /// The table's own query (a plain table, or SQLite).
    #[default]
    Direct,
    /// Through `<table>_by_key`, which reads only the row's county partition.
    ThroughKeys,
}

impl Lookup {
    /// The statement reading the row of `table` with `key` (its key columns' values, in
    /// order) through its key table, locking it when `for_update`; `None` to read it
    /// directly.
    pub fn statement(
        self,
        table: &str,
        key: impl IntoIterator<Item = Value>,
        for_update: bool,
    ) -> Option<Statement> {
        match self {
            Lookup::Direct => None,
            // `table` is a service's own constant; the key's values are bound.
            Lookup::ThroughKeys => {
                let mut values: Vec<Value> = key.into_iter().collect();
                values.push(for_update.into());
                let params: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
                Some(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    format!("SELECT * FROM {table}_by_key({})", params.join(", ")),
                    values,
                ))
            }
        }
    }
}

/// Where the rows of `table` whose key starts with one of `firsts` (values of its key's
/// first column) are placed: (first value, region code) pairs, each once, read from the
/// key table when `lookup` goes through it, `None` for a direct lookup. A caller adds
/// `region IN (the regions)` to its query of the rows, which PostgreSQL prunes to their
/// counties' partitions; a read by part of the key (a household's assessments) or by many
/// keys (a batch's rows) otherwise probes, and with `FOR UPDATE` locks, every partition.
/// The key table's primary key starts with the same column, so this is an index read.
/// A row that moves meanwhile is missed by the caller's pruned read as if it were not
/// there yet: callers must treat that as they treat a concurrent insert.
pub async fn key_regions<C: ConnectionTrait>(
    conn: &C,
    lookup: Lookup,
    table: &Partitionable,
    firsts: &[&str],
) -> Result<Option<Vec<(String, String)>>, DbErr> {
    if lookup == Lookup::Direct {
        return Ok(None);
    }
    let Partitionable {
        table: t,
        key,
        region,
    } = *table;
    let first = key[0];
    let mut out = Vec::new();
    for chunk in firsts.chunks(KEY_CHUNK) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        // `t`, `first` and `region` are a service's own constants; the values are bound.
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "SELECT DISTINCT {first} AS k, {region} AS r FROM {t}_keys \
                     WHERE {first} IN ({})",
                    params.join(", ")
                ),
                chunk.iter().map(|v| Value::from(*v)),
            ))
            .await?;
        for row in rows {
            out.push((row.try_get("", "k")?, row.try_get("", "r")?));
        }
    }
    Ok(Some(out))
}

/// Values per `IN (...)` list of [`key_regions`]: far under PostgreSQL's parameter limit.
const KEY_CHUNK: usize = 1000;

/// The distinct regions of [`key_regions`]' pairs, in order.
pub fn regions(placed: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = placed.iter().map(|(_, r)| r.clone()).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The row of `E` whose primary key is `key`, read the way `lookup` says, and locked until
/// the transaction ends when `for_update` ([`crate::db::for_update`]).
pub async fn find_by_key<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    lookup: Lookup,
    key: <E::PrimaryKey as PrimaryKeyTrait>::ValueType,
    for_update: bool,
) -> Result<Option<E::Model>, DbErr> {
    let values = key.into_value_tuple();
    let table = E::default().table_name();
    match lookup.statement(table, values.clone(), for_update) {
        Some(statement) => E::find().from_raw_sql(statement).one(conn).await,
        None => {
            let key = <E::PrimaryKey as PrimaryKeyTrait>::ValueType::from_value_tuple(values);
            let select = E::find_by_id(key);
            let select = if for_update {
                crate::db::for_update(select)
            } else {
                select
            };
            select.one(conn).await
        }
    }
}

/// Which tables of a database are read by key through their key tables: the partitioned
/// ones with a `<table>_by_key` function. Found once when a service starts
/// ([`crate::Db::migrate`]); partitioning runs with the service stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    /// The tables read through their keys, by name.
    through_keys: Vec<String>,
}

impl Lookups {
    /// The lookups of the database behind `conn` (none but on PostgreSQL).
    pub async fn find<C: ConnectionTrait>(conn: &C) -> Result<Lookups, DbErr> {
        if conn.get_database_backend() != DbBackend::Postgres {
            return Ok(Lookups::default());
        }
        let rows = conn
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT CAST(c.relname AS TEXT) AS name FROM pg_class c \
                 WHERE c.relkind = 'p' \
                 AND c.relnamespace = to_regnamespace(current_schema()) \
                 AND EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = c.relnamespace \
                 AND p.proname = c.relname || '_by_key') ORDER BY 1",
            ))
            .await?;
        let through_keys = rows
            .iter()
            .map(|row| row.try_get::<String>("", "name"))
            .collect::<Result<_, _>>()?;
        Ok(Lookups { through_keys })
    }

    /// How `table` is read by key.
    pub fn of(&self, table: &str) -> Lookup {
        if self.through_keys.iter().any(|t| t == table) {
            Lookup::ThroughKeys
        } else {
            Lookup::Direct
        }
    }
}

/// The counties of the rows in `relation` (a plain table, or a default partition).
async fn counties_in<C: ConnectionTrait>(
    conn: &C,
    relation: &str,
    region: &str,
) -> Result<Vec<String>, DbErr> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT DISTINCT CAST(substr({region}, 1, 6) AS TEXT) AS county \
                 FROM {relation} ORDER BY 1"
            ),
        ))
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let county: String = row.try_get("", "county")?;
        // A malformed code stays in the default partition rather than naming a table.
        if is_county(&county) {
            out.push(county);
        }
    }
    Ok(out)
}

/// The bounds of `county`'s partition: its six digits up to the next county's.
fn bounds(county: &str) -> String {
    match county.parse::<u32>() {
        Ok(n) if n < 999_999 => format!("FROM ('{county}') TO ('{:06}')", n + 1),
        _ => format!("FROM ('{county}') TO (MAXVALUE)"),
    }
}

/// Adds `county`'s partition to `table`, moving its rows out of the default partition
/// (detached meanwhile, so that no trigger counts the move as new or removed rows).
/// Returns the rows moved.
async fn add_county<C: ConnectionTrait>(
    conn: &C,
    table: &Partitionable,
    county: &str,
) -> Result<u64, DbErr> {
    let Partitionable {
        table: t, region, ..
    } = *table;
    let part = format!("{t}_c{county}");
    let range = bounds(county);
    // `county` is six digits ([`by_county`] checked them, or they came from the rows).
    let inside = format!("substr({region}, 1, 6) = '{county}'");
    let moving = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT COUNT(*) AS n FROM {t}_default WHERE {inside}"),
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if moving == 0 {
        conn.execute_unprepared(&format!(
            "CREATE TABLE {part} PARTITION OF {t} FOR VALUES {range}"
        ))
        .await?;
        return Ok(0);
    }
    run(
        conn,
        &[
            format!("ALTER TABLE {t} DETACH PARTITION {t}_default"),
            format!("CREATE TABLE {part} PARTITION OF {t} FOR VALUES {range}"),
            format!("INSERT INTO {part} SELECT * FROM {t}_default WHERE {inside}"),
            format!("DELETE FROM {t}_default WHERE {inside}"),
            format!("ALTER TABLE {t} ATTACH PARTITION {t}_default DEFAULT"),
        ],
    )
    .await?;
    Ok(moving as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn county_codes_are_six_digits() {
        assert!(is_county("420625"));
        assert!(!is_county("42062"));
        assert!(!is_county("4206251"));
        assert!(!is_county("42062a"));
        assert!(!is_county("42062'"));
    }

    #[test]
    fn a_county_partition_runs_to_the_next_county() {
        assert_eq!(bounds("420625"), "FROM ('420625') TO ('420626')");
        assert_eq!(bounds("420699"), "FROM ('420699') TO ('420700')");
        assert_eq!(bounds("999999"), "FROM ('999999') TO (MAXVALUE)");
    }

    #[test]
    fn the_key_table_follows_inserts_moves_and_deletes_and_refuses_key_changes() {
        let members = Partitionable {
            table: "members",
            key: &["resident_id"],
            region: "village_code",
        };
        let sql = key_table(&members, "members_unpartitioned").join(";\n");
        for part in [
            "CREATE TABLE members_keys AS SELECT resident_id, village_code FROM members_unpartitioned",
            "PRIMARY KEY (resident_id)",
            "INSERT INTO members_keys (resident_id, village_code) SELECT resident_id, village_code FROM xk_new",
            "DELETE FROM members_keys k USING xk_old o WHERE k.resident_id = o.resident_id",
            "UPDATE members_keys k SET village_code = n.village_code FROM xk_new n WHERE k.resident_id = n.resident_id",
            "WHEN (OLD.resident_id IS DISTINCT FROM NEW.resident_id)",
            "CREATE FUNCTION members_by_key(members.resident_id%TYPE, boolean) RETURNS SETOF members",
            "SELECT village_code INTO xk_at FROM members_keys WHERE resident_id = $1;",
            "'SELECT * FROM members WHERE resident_id = $1 AND village_code = $2' \
             || CASE WHEN $2 THEN ' FOR UPDATE' ELSE '' END USING $1, xk_at;",
        ] {
            assert!(sql.contains(part), "{part:?} missing from\n{sql}");
        }
        // A two-column key: both columns bound in order, the lock flag after them.
        let enrolments = Partitionable {
            table: "enrolments",
            key: &["resident_id", "coverage_year"],
            region: "village_code",
        };
        let sql = key_table(&enrolments, "old").join(";\n");
        for part in [
            "PRIMARY KEY (resident_id, coverage_year)",
            "DROP FUNCTION IF EXISTS enrolments_by_key",
            "CREATE FUNCTION enrolments_by_key(enrolments.resident_id%TYPE, \
             enrolments.coverage_year%TYPE, boolean)",
            "FROM enrolments_keys WHERE resident_id = $1 AND coverage_year = $2;",
            "'SELECT * FROM enrolments WHERE resident_id = $1 AND coverage_year = $2 \
             AND village_code = $3' || CASE WHEN $3 THEN ' FOR UPDATE' ELSE '' END \
             USING $1, $2, xk_at;",
        ] {
            assert!(sql.contains(part), "{part:?} missing from\n{sql}");
        }
    }

    #[test]
    fn a_lookup_through_the_keys_binds_the_key_and_the_lock() {
        assert!(
            Lookup::Direct
                .statement("households", ["HH1".into()], false)
                .is_none()
        );
        let through = Lookup::ThroughKeys
            .statement("households", ["HH1".into()], true)
            .unwrap();
        assert_eq!(through.sql, "SELECT * FROM households_by_key($1, $2)");
        assert_eq!(through.values.unwrap().0, vec!["HH1".into(), true.into()]);
        let two = Lookup::ThroughKeys
            .statement("person_years", ["R1".into(), 2019.into()], false)
            .unwrap();
        assert_eq!(two.sql, "SELECT * FROM person_years_by_key($1, $2, $3)");
        assert_eq!(
            two.values.unwrap().0,
            vec!["R1".into(), 2019.into(), false.into()]
        );
    }

    #[test]
    fn the_regions_of_placed_keys_are_each_named_once_in_order() {
        let placed = [
            ("H2".to_string(), "420683100201".to_string()),
            ("H1".to_string(), "420625100201".to_string()),
            ("H2".to_string(), "420625100201".to_string()),
        ];
        assert_eq!(regions(&placed), ["420625100201", "420683100201"]);
        assert!(regions(&[]).is_empty());
    }

    #[test]
    fn lookups_name_the_tables_read_through_their_keys() {
        let found = Lookups {
            through_keys: vec!["households".into()],
        };
        assert_eq!(found.of("households"), Lookup::ThroughKeys);
        assert_eq!(found.of("members"), Lookup::Direct);
        assert_eq!(Lookups::default().of("households"), Lookup::Direct);
    }
}

//! SummarizeByRegion's grouped counts: GROUP BYs over covering indexes whose figures are
//! added, field by field, into one counts message per region. A service names each
//! query's table, code column, filter and figures (with [`crate::figures!`]);
//! [`count_by_region`] binds the prefix's range, runs the statements and folds the rows,
//! so no service writes a row struct and a copy loop per query. Totals over the
//! regions add up the same fields ([`crate::sum_fields!`], [`total`]).

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::ApiError;
use crate::db::placeholder;
use crate::rollup::Table;

/// `SUM(what)` over the rows meeting `cond`, as BIGINT (PostgreSQL sums bigint to
/// NUMERIC); 0 for a group where no row meets it.
///
/// An aggregate `FILTER (WHERE cond)` rather than `SUM(CASE WHEN cond THEN what ELSE 0
/// END)`: the same sum (a NULL condition counts as false either way), but SQLite runs the
/// filter as a jump over the row's accumulation, where the CASE builds a value for every
/// row and figure. A registry summary evaluates about twenty figures per rollup row.
pub fn sum_when(cond: &str, what: &str) -> String {
    format!("CAST(COALESCE(SUM({what}) FILTER (WHERE {cond}), 0) AS BIGINT)")
}

/// `SUM(what)` as BIGINT (NULL only for a group without rows, which GROUP BY never has).
pub fn sum_of(what: &str) -> String {
    format!("CAST(SUM({what}) AS BIGINT)")
}

/// The group key of a region level: the first `len` digits of the code in `column`
/// (`SUBSTR` reads the same on SQLite and PostgreSQL).
pub fn group_key(column: &str, len: usize) -> String {
    format!("SUBSTR({column}, 1, {len})")
}

/// One figure of a grouped count: the SQL aggregate, the name it is selected as, and the
/// field of the counts message `T` it is added to. Built by [`crate::figures!`].
pub struct Figure<T> {
    /// The aggregate expression.
    pub sql: String,
    /// Its column name in the result (the field's name).
    pub alias: &'static str,
    /// The field it adds to.
    pub field: fn(&mut T) -> &mut i64,
}

/// The figures of a grouped count as [`Figure`]s of counts type `T`: `field = sql` each,
/// the field named as in `T` and selected under that name.
#[macro_export]
macro_rules! figures {
    ($counts:ty; $($field:ident = $sql:expr),+ $(,)?) => {
        vec![$($crate::query::grouped::Figure::<$counts> {
            sql: ::std::string::String::from($sql),
            alias: stringify!($field),
            field: |c: &mut $counts| &mut c.$field,
        }),+]
    };
}

/// A closure adding the named `i64` fields of one counts message into another: the
/// `add` of [`total`], written without a derive because the messages are generated.
#[macro_export]
macro_rules! sum_fields {
    ($counts:ty; $($field:ident),+ $(,)?) => {
        |total: &mut $counts, group: &$counts| {
            $(total.$field += group.$field;)+
        }
    };
}

/// One GROUP BY over a table's rows under the region prefix: `SELECT key AS g, figures…
/// FROM table WHERE code in the prefix's range [AND filter] GROUP BY key ORDER BY g`. The
/// prefix's lowest and highest codes are placeholders 1 and 2; a filter's and the
/// figures' own values follow from 3.
pub struct GroupedCount<T> {
    /// The table counted (a rollup's is read with its pending deltas on PostgreSQL).
    table: Table,
    /// Its 12-digit code column (an index's leading columns).
    code: &'static str,
    /// Group by the whole code and fold the groups into regions in memory, instead of
    /// grouping by the region's digits in SQL.
    whole_codes: bool,
    /// More conditions, with placeholders from 3.
    filter: Option<String>,
    /// The values of placeholders 3, 4, …
    values: Vec<Value>,
    /// What each group counts.
    figures: Vec<Figure<T>>,
}

impl<T> GroupedCount<T> {
    /// `figures` of the rows of `table` (a name, or what [`crate::rollup::Source::table`]
    /// picks) whose `code` column is under the prefix.
    pub fn new(table: impl Into<Table>, code: &'static str, figures: Vec<Figure<T>>) -> Self {
        GroupedCount {
            table: table.into(),
            code,
            whole_codes: false,
            filter: None,
            values: Vec::new(),
            figures,
        }
    }

    /// Only the rows also meeting `filter`; `values` bind placeholders 3, 4, … of the
    /// filter and the figures.
    pub fn filter(mut self, filter: impl Into<String>, values: Vec<Value>) -> Self {
        self.filter = Some(filter.into());
        self.values = values;
        self
    }

    /// Binds placeholders 3, 4, … (used by the figures) without a filter.
    pub fn bind(mut self, values: Vec<Value>) -> Self {
        self.values = values;
        self
    }

    /// Groups as suits `source`: by the whole code over the rows
    /// ([`GroupedCount::by_whole_code`]); by the region's digits over the rollups, whose
    /// few rows per village sort cheaply, so that one row per region comes back instead of
    /// one per village (on SQLite every row returned is handed over from the connection's
    /// worker thread, which cost more than the query itself at the demo county's size).
    pub fn grouped_for(self, source: crate::rollup::Source) -> Self {
        match source {
            crate::rollup::Source::Rows => self.by_whole_code(),
            crate::rollup::Source::Rollups => self,
        }
    }

    /// Groups by the whole code, the covering index's own order, so the database
    /// aggregates as it scans instead of sorting every row for a SUBSTR key; the (few
    /// hundred) village groups are folded into regions afterwards.
    pub fn by_whole_code(mut self) -> Self {
        self.whole_codes = true;
        self
    }

    /// The statement's SQL for regions of `key_len` digits.
    fn sql(&self, backend: DbBackend, key_len: usize) -> String {
        let select: Vec<String> = self
            .figures
            .iter()
            .map(|f| format!("{} AS {}", f.sql, f.alias))
            .collect();
        let key = if self.whole_codes {
            self.code.to_string()
        } else {
            group_key(self.code, key_len)
        };
        let mut filter = format!(
            "{code} >= {} AND {code} <= {}",
            placeholder(backend, 1),
            placeholder(backend, 2),
            code = self.code
        );
        if let Some(more) = &self.filter {
            filter = format!("{filter} AND {more}");
        }
        format!(
            "SELECT {key} AS g, {} FROM {} WHERE {filter} GROUP BY {key} ORDER BY g",
            select.join(", "),
            self.table.sql_name(backend),
        )
    }
}

/// The counts of each region of `key_len` digits under `prefix`, in code order, from
/// `queries` run one after another; a region appears once any query counted a row in it,
/// its code written to the field `region`.
pub async fn count_by_region<T: Default, C: ConnectionTrait>(
    conn: &C,
    (prefix, key_len): (&str, usize),
    region: fn(&mut T) -> &mut String,
    queries: impl IntoIterator<Item = GroupedCount<T>>,
) -> Result<Vec<T>, ApiError> {
    let (lo, hi) = super::prefix_range(prefix);
    let mut groups = Groups::new(key_len, region);
    for query in queries {
        let sql = query.sql(conn.get_database_backend(), key_len);
        let mut values: Vec<Value> = vec![lo.clone().into(), hi.clone().into()];
        values.extend(query.values);
        let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, values);
        groups.add_rows(conn, stmt, &query.figures).await?;
    }
    Ok(groups.into_regions())
}

/// Counts per region, in code order; a region appears once any count touched it.
pub struct Groups<T> {
    /// The regions' counts by region code.
    by_code: BTreeMap<String, T>,
    /// Digits of a region code (6, 9 or 12): longer group keys fold into their region.
    key_len: usize,
    /// The message's region code field.
    region: fn(&mut T) -> &mut String,
}

impl<T: Default> Groups<T> {
    /// No regions yet, each to be keyed by the first `key_len` digits of a code and its
    /// code written to the field `region`.
    pub fn new(key_len: usize, region: fn(&mut T) -> &mut String) -> Self {
        Groups {
            by_code: BTreeMap::new(),
            key_len,
            region,
        }
    }

    /// The counts of the region `code` lies in, created empty the first time.
    pub fn entry(&mut self, code: &str) -> &mut T {
        let key = code.get(..self.key_len).unwrap_or(code);
        let region = self.region;
        self.by_code.entry(key.to_string()).or_insert_with(|| {
            let mut counts = T::default();
            *region(&mut counts) = key.to_string();
            counts
        })
    }

    /// Runs `stmt` (a GROUP BY selecting the group's code as `g` and each figure under
    /// its alias) and adds each group's figures into the region its code lies in.
    async fn add_rows<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        stmt: Statement,
        figures: &[Figure<T>],
    ) -> Result<(), ApiError> {
        for row in conn.query_all_raw(stmt).await? {
            let code: String = row.try_get("", "g")?;
            let counts = self.entry(&code);
            for figure in figures {
                *(figure.field)(counts) += row.try_get::<i64>("", figure.alias)?;
            }
        }
        Ok(())
    }

    /// The regions' counts in code order.
    pub fn into_regions(self) -> Vec<T> {
        self.by_code.into_values().collect()
    }
}

/// The counts of the whole prefix: every group added up with `add` (see
/// [`crate::sum_fields!`]), under the prefix's own code.
pub fn total<T: Default>(
    prefix: &str,
    groups: &[T],
    region: fn(&mut T) -> &mut String,
    add: impl Fn(&mut T, &T),
) -> T {
    let mut total = T::default();
    *region(&mut total) = prefix.to_string();
    for group in groups {
        add(&mut total, group);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Clone, PartialEq)]
    struct Counts {
        region_code: String,
        people: i64,
        households: i64,
    }

    #[test]
    fn statements_bind_the_prefix_range_first_and_select_each_figure_under_its_field() {
        let figures = crate::figures![Counts;
            households = "COUNT(*)",
            people = sum_when("NOT removed", "people"),
        ];
        let query = GroupedCount::new("households", "village_code", figures);
        assert_eq!(
            query.sql(DbBackend::Postgres, 9),
            "SELECT SUBSTR(village_code, 1, 9) AS g, COUNT(*) AS households, \
             CAST(COALESCE(SUM(people) FILTER (WHERE NOT removed), 0) AS BIGINT) AS people \
             FROM households WHERE village_code >= $1 AND village_code <= $2 \
             GROUP BY SUBSTR(village_code, 1, 9) ORDER BY g"
        );
        let figures = crate::figures![Counts; people = sum_of("people")];
        let query = GroupedCount::new("members", "village_code", figures)
            .by_whole_code()
            .filter("registered_year = ?3", vec![2014.into()]);
        assert_eq!(
            query.sql(DbBackend::Sqlite, 6),
            "SELECT village_code AS g, CAST(SUM(people) AS BIGINT) AS people FROM members \
             WHERE village_code >= ?1 AND village_code <= ?2 AND registered_year = ?3 \
             GROUP BY village_code ORDER BY g"
        );
    }

    #[test]
    fn rows_are_grouped_by_the_whole_code_and_rollups_by_the_region_digits() {
        use crate::rollup::Source;
        let sql = |source: Source| {
            let figures = crate::figures![Counts; people = sum_of(source.count())];
            GroupedCount::new(
                source.table("members_rollup", "members"),
                "village_code",
                figures,
            )
            .grouped_for(source)
            .sql(DbBackend::Sqlite, 9)
        };
        assert!(
            sql(Source::Rows).starts_with("SELECT village_code AS g, "),
            "{}",
            sql(Source::Rows)
        );
        assert!(sql(Source::Rows).ends_with("GROUP BY village_code ORDER BY g"));
        let rollups = sql(Source::Rollups);
        assert!(
            rollups.starts_with("SELECT SUBSTR(village_code, 1, 9) AS g, "),
            "{rollups}"
        );
        assert!(rollups.contains(" FROM members_rollup "), "{rollups}");
        assert!(rollups.ends_with("GROUP BY SUBSTR(village_code, 1, 9) ORDER BY g"));
    }

    #[test]
    fn a_rollup_is_read_with_its_pending_deltas_on_postgres_and_as_it_is_on_sqlite() {
        use crate::rollup::Source;
        let query = |source: Source| {
            let figures = crate::figures![Counts; people = sum_of(source.count())];
            GroupedCount::new(
                source.table("members_rollup", "members"),
                "village_code",
                figures,
            )
        };
        let from = |source, backend| {
            let sql = query(source).sql(backend, 6);
            let at = sql.find(" FROM ").unwrap() + 6;
            sql[at..].split(' ').next().unwrap().to_string()
        };
        assert_eq!(
            from(Source::Rollups, DbBackend::Postgres),
            "members_rollup_live"
        );
        assert_eq!(from(Source::Rollups, DbBackend::Sqlite), "members_rollup");
        assert_eq!(from(Source::Rows, DbBackend::Postgres), "members");
        assert!(
            query(Source::Rollups)
                .sql(DbBackend::Postgres, 6)
                .contains("SUM(n)")
        );
    }

    #[test]
    fn groups_fold_longer_codes_into_their_region_and_totals_add_every_field() {
        let mut groups = Groups::new(9, |c: &mut Counts| &mut c.region_code);
        groups.entry("420625100201").people += 3;
        groups.entry("420625100202").people += 4;
        groups.entry("420625101").households += 1;
        let regions = groups.into_regions();
        assert_eq!(
            regions,
            [
                Counts {
                    region_code: "420625100".into(),
                    people: 7,
                    households: 0
                },
                Counts {
                    region_code: "420625101".into(),
                    people: 0,
                    households: 1
                },
            ]
        );
        let add = crate::sum_fields!(Counts; people, households);
        let all = total("420625", &regions, |c| &mut c.region_code, add);
        assert_eq!(
            (all.region_code.as_str(), all.people, all.households),
            ("420625", 7, 1)
        );
    }
}

//! A migration's new tables and indexes written as data. `up` creates them in order and
//! `down` drops the tables in reverse order (their indexes go with them), so the two cannot
//! disagree; [`crate::schema_migration!`] writes that `MigrationTrait` impl.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

use super::columns;

/// One statement of a [`Schema`], in creation order.
enum Step {
    Table {
        name: DynIden,
        key: Vec<DynIden>,
        columns: Vec<ColumnDef>,
    },
    Index(IndexCreateStatement),
}

/// The tables and indexes one migration creates, in the order it creates them, written as
/// a chain: [`Schema::table`], its [`Schema::key`] and columns (a method per column kind,
/// [`Schema::col`] for any other), then its indexes ([`Schema::index`], [`Schema::on`]).
///
/// ```ignore
/// Schema::new()
///     .table(Villages::Table)
///     .key(Villages::VillageCode)
///     .region_code(Villages::VillageCode)
///     .string(Villages::Name)
///     .written_at(Villages::UpdatedAt)
///     .index("idx_villages_name")
///     .on(Villages::Name)
/// ```
#[derive(Default)]
pub struct Schema {
    steps: Vec<Step>,
}

/// Schema methods adding a column of one kind to the last table.
macro_rules! column_kinds {
    ($($(#[$doc:meta])* $name:ident => $kind:path;)*) => {$(
        $(#[$doc])*
        pub fn $name(self, column: impl IntoIden) -> Self {
            self.col($kind(column))
        }
    )*};
}

impl Schema {
    /// No tables yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts table `name`, created unless it exists.
    pub fn table(mut self, name: impl IntoIden) -> Self {
        self.steps.push(Step::Table {
            name: name.into_iden(),
            key: Vec::new(),
            columns: Vec::new(),
        });
        self
    }

    /// Makes `column` (declared with its kind, before or after) the last table's primary
    /// key; called again, the key is over all of them in call order. A one-column key is
    /// declared on the column, a longer one after the columns, as SQL writes them.
    pub fn key(mut self, column: impl IntoIden) -> Self {
        self.last_table().0.push(column.into_iden());
        self
    }

    /// Adds `column` to the last table.
    pub fn col(mut self, column: ColumnDef) -> Self {
        self.last_table().1.push(column);
        self
    }

    /// Adds a group of columns that several tables carry alike, written once as a
    /// function.
    pub fn with(self, columns: impl FnOnce(Self) -> Self) -> Self {
        columns(self)
    }

    column_kinds! {
        /// Adds a region code ([`columns::region_code`]).
        region_code => columns::region_code;
        /// Adds a household id ([`columns::household_id`]).
        household_id => columns::household_id;
        /// Adds a resident id ([`columns::resident_id`]).
        resident_id => columns::resident_id;
        /// Adds a code ([`columns::code`]).
        code => columns::code;
        /// Adds a code that may be missing ([`columns::code`], nullable).
        code_null => columns::code_null;
        /// Adds a document number ([`columns::document_number`]).
        document_number => columns::document_number;
        /// Adds a principal's name ([`columns::principal`]).
        principal => columns::principal;
        /// Adds a month ([`columns::month`]).
        month => columns::month;
        /// Adds an amount in fen ([`columns::fen`]).
        fen => columns::fen;
        /// Adds a record version ([`columns::version`]).
        version => columns::version;
        /// Adds an encoded record ([`columns::doc`]).
        doc => columns::doc;
        /// Adds a write time ([`columns::written_at`]).
        written_at => columns::written_at;
        /// Adds a 64-bit id that the database assigns, the table's key.
        big_pk_auto => schema::big_pk_auto;
        /// Adds a 32-bit integer (an enum number, a year, a small count).
        integer => schema::integer;
        /// Adds a 64-bit integer (a count or sequence number).
        big_integer => schema::big_integer;
        /// Adds a 64-bit integer that may be missing.
        big_integer_null => schema::big_integer_null;
        /// Adds a boolean.
        boolean => schema::boolean;
        /// Adds a date.
        date => schema::date;
        /// Adds a date that may be missing.
        date_null => schema::date_null;
        /// Adds a string of the default length.
        string => schema::string;
        /// Adds a string of the default length that may be missing.
        string_null => schema::string_null;
    }

    /// Adds the index `name` on the last table; [`Schema::on`] gives its columns.
    pub fn index(mut self, name: &str) -> Self {
        let table = self
            .steps
            .iter()
            .rev()
            .find_map(|step| match step {
                Step::Table { name, .. } => Some(name.clone()),
                Step::Index(_) => None,
            })
            .unwrap_or_else(|| panic!("index {name} comes before any table"));
        self.steps
            .push(Step::Index(index(name, table, Vec::<DynIden>::new())));
        self
    }

    /// Adds `column` to the last index, in order.
    pub fn on(mut self, column: impl IntoIden) -> Self {
        match self.steps.last_mut() {
            Some(Step::Index(index)) => {
                index.col(column.into_iden());
            }
            _ => panic!("Schema::on goes after Schema::index"),
        }
        self
    }

    /// The key and columns of the last table, which must not have indexes yet.
    fn last_table(&mut self) -> (&mut Vec<DynIden>, &mut Vec<ColumnDef>) {
        match self.steps.last_mut() {
            Some(Step::Table { key, columns, .. }) => (key, columns),
            _ => panic!("a table's key and columns go after Schema::table, before its indexes"),
        }
    }

    /// Creates every table and index, in order.
    pub async fn create(self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        for step in self.steps {
            match step {
                Step::Table { name, key, columns } => {
                    manager
                        .create_table(create_table(name, key, columns)?)
                        .await?;
                }
                Step::Index(index) => manager.create_index(index).await?,
            }
        }
        Ok(())
    }

    /// Drops the tables, last created first.
    pub async fn drop_tables(self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let tables = self.steps.into_iter().rev().filter_map(|step| match step {
            Step::Table { name, .. } => Some(name),
            Step::Index(_) => None,
        });
        super::drop_tables(manager, tables).await
    }
}

/// `CREATE TABLE IF NOT EXISTS name`: the columns in order; a one-column `key` marked on
/// its column, a longer one as the table's `PRIMARY KEY (…)`.
fn create_table(
    name: DynIden,
    key: Vec<DynIden>,
    mut columns: Vec<ColumnDef>,
) -> Result<TableCreateStatement, DbErr> {
    let mut table = Table::create();
    table.table(name.clone()).if_not_exists();
    if let [only] = key.as_slice() {
        let column = columns
            .iter_mut()
            .find(|column| column.get_column_name() == only.to_string())
            .ok_or_else(|| DbErr::Custom(format!("key column {only} of {name} is not declared")))?;
        column.primary_key();
    }
    for column in columns {
        table.col(column);
    }
    if key.len() > 1 {
        let mut primary = Index::create();
        for column in key {
            primary.col(column);
        }
        table.primary_key(&mut primary);
    }
    Ok(table)
}

/// The index `name` on `columns` of `table`, in that order.
pub fn index<C: IntoIndexColumn>(
    name: &str,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    index
}

/// Runs one `ALTER TABLE table`, what `change` makes of it: one column added or dropped
/// per statement, since SQLite alters one at a time.
pub async fn alter_table(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    change: impl FnOnce(&mut TableAlterStatement) -> &mut TableAlterStatement,
) -> Result<(), DbErr> {
    let mut statement = Table::alter();
    change(statement.table(table));
    manager.alter_table(statement).await
}

/// Implements `MigrationTrait` for a migration that only creates tables and indexes:
/// `up` creates what `$schema()` returns, `down` drops its tables, last first.
///
/// ```ignore
/// xk_runtime::schema_migration!(Migration, schema);
/// ```
#[macro_export]
macro_rules! schema_migration {
    ($migration:ty, $schema:path) => {
        #[::sea_orm_migration::async_trait::async_trait]
        impl ::sea_orm_migration::MigrationTrait for $migration {
            async fn up(
                &self,
                manager: &::sea_orm_migration::SchemaManager,
            ) -> ::std::result::Result<(), ::sea_orm_migration::DbErr> {
                $schema().create(manager).await
            }

            async fn down(
                &self,
                manager: &::sea_orm_migration::SchemaManager,
            ) -> ::std::result::Result<(), ::sea_orm_migration::DbErr> {
                $schema().drop_tables(manager).await
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm_migration::schema::{integer, string_len};

    #[derive(DeriveIden)]
    enum Rows {
        Table,
        A,
        B,
    }

    fn sql(table: &TableCreateStatement) -> String {
        table.to_string(PostgresQueryBuilder)
    }

    #[test]
    fn a_one_column_key_is_on_its_column_and_a_longer_one_after_the_columns() {
        let mut one = string_len(Rows::A, 32);
        one.primary_key();
        let cases = [
            // (key, the statement written by hand)
            (
                vec![Rows::A],
                Table::create()
                    .table(Rows::Table)
                    .if_not_exists()
                    .col(one)
                    .col(integer(Rows::B))
                    .to_owned(),
            ),
            (
                vec![Rows::B, Rows::A],
                Table::create()
                    .table(Rows::Table)
                    .if_not_exists()
                    .col(string_len(Rows::A, 32))
                    .col(integer(Rows::B))
                    .primary_key(Index::create().col(Rows::B).col(Rows::A))
                    .to_owned(),
            ),
        ];
        for (key, by_hand) in cases {
            let built = create_table(
                Rows::Table.into_iden(),
                key.into_iter().map(IntoIden::into_iden).collect(),
                vec![columns::household_id(Rows::A), integer(Rows::B)],
            )
            .unwrap();
            assert_eq!(sql(&built), sql(&by_hand));
        }
    }

    #[test]
    fn a_key_column_never_declared_is_an_error() {
        let built = create_table(
            Rows::Table.into_iden(),
            vec![Rows::B.into_iden()],
            vec![columns::household_id(Rows::A)],
        );
        assert!(built.is_err());
    }
}

//! The numeric measurements of each assessment as nullable columns, NULL meaning *not
//! measured* (an unmeasured distance used to be stored as 0 and then passed "≤ 800 m").
//!
//! Rows written before this migration are backfilled from their encoded record. Those
//! records were written when a 0 was not sent on the wire, so a 0 and an unmeasured value
//! cannot be told apart in them: both read back as not measured, and become NULL here;
//! every other value is copied. Their stored grades are kept as they were graded (the
//! history is not rewritten); a household whose current grade rested on such a zero shows
//! up with the query in the project README and is re-assessed.

use prost::Message;
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use xk_contracts::pb::water::v1::Assessment;
use xk_runtime::db::placeholder;
use xk_runtime::migration::alter_table;

/// Adds the measurement columns to `assessments` and backfills them.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The table the columns join.
#[derive(DeriveIden)]
enum Assessments {
    Table,
}

/// The new columns, in the order [`measured`] returns their values.
const COLUMNS: [&str; 5] = [
    "litres_per_person_day",
    "fetch_round_trip_minutes",
    "horizontal_distance_m",
    "vertical_distance_m",
    "outage_days_last_12_months",
];

/// Rows read per backfill step, so a large history is never held in memory at once.
const BACKFILL_PAGE: u64 = 1_000;

/// The measurements of a stored record, in [`COLUMNS`] order.
fn measured(a: &Assessment) -> [Option<i64>; 5] {
    [
        a.litres_per_person_day,
        a.fetch_round_trip_minutes,
        a.horizontal_distance_m,
        a.vertical_distance_m,
        a.outage_days_last_12_months,
    ]
}

#[derive(Debug, FromQueryResult)]
struct StoredRow {
    household_id: String,
    seq: i64,
    doc: Vec<u8>,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in COLUMNS {
            let column = big_integer_null(Alias::new(column));
            alter_table(m, Assessments::Table, |t| t.add_column(column)).await?;
        }
        backfill(m.get_connection()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS {
            alter_table(m, Assessments::Table, |t| t.drop_column(Alias::new(column))).await?;
        }
        Ok(())
    }
}

/// Copies the measurements out of every stored record, in key order, a page at a time.
async fn backfill<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut after: Option<(String, i64)> = None;
    loop {
        let page = match &after {
            None => Statement::from_string(
                backend,
                format!(
                    "SELECT household_id, seq, doc FROM assessments \
                     ORDER BY household_id, seq LIMIT {BACKFILL_PAGE}"
                ),
            ),
            Some((household, seq)) => Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT household_id, seq, doc FROM assessments \
                     WHERE household_id > {p1} OR (household_id = {p1} AND seq > {p2}) \
                     ORDER BY household_id, seq LIMIT {BACKFILL_PAGE}",
                    p1 = placeholder(backend, 1),
                    p2 = placeholder(backend, 2),
                ),
                [household.clone().into(), (*seq).into()],
            ),
        };
        let rows = StoredRow::find_by_statement(page).all(db).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = Some((last.household_id.clone(), last.seq));
        for row in rows {
            let record = Assessment::decode(row.doc.as_slice()).map_err(|e| {
                DbErr::Custom(format!(
                    "assessment seq {} of a household does not decode: {e}",
                    row.seq
                ))
            })?;
            let values = measured(&record);
            if values.iter().all(Option::is_none) {
                continue;
            }
            let sets: Vec<String> = COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = {}", placeholder(backend, i + 1)))
                .collect();
            let mut params: Vec<Value> = values.into_iter().map(Value::from).collect();
            params.push(row.household_id.into());
            params.push(row.seq.into());
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE assessments SET {} WHERE household_id = {} AND seq = {}",
                    sets.join(", "),
                    placeholder(backend, COLUMNS.len() + 1),
                    placeholder(backend, COLUMNS.len() + 2),
                ),
                params,
            ))
            .await?;
        }
    }
}

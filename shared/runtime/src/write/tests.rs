//! The write path against a real SQLite file: first answers, replays, failures that write
//! nothing, and the import loop's counting and progress.

use super::*;
use crate::auth::{Bureau, Principal};
use crate::import::{ImportTally, Importer};
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// A migrator with only the runtime's tables.
struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(crate::migration::RuntimeTables)]
    }
}

/// A fresh database with the runtime tables and a `things` table to write to.
async fn fresh_db(dir: &tempfile::TempDir) -> Db {
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let db = Db::connect(&url, 2).await.unwrap();
    db.migrate::<Migrator>().await.unwrap();
    db.conn()
        .execute_unprepared("CREATE TABLE things (name TEXT PRIMARY KEY, n BIGINT NOT NULL)")
        .await
        .unwrap();
    db
}

async fn count(db: &Db, sql: &str) -> i64 {
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(db.backend(), sql.to_string()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn insert_thing(txn: &WriteTxn, name: &str, n: i64) -> Result<(), ApiError> {
    txn.execute_raw(Statement::from_sql_and_values(
        txn.get_database_backend(),
        "INSERT INTO things (name, n) VALUES (?, ?)",
        [name.into(), n.into()],
    ))
    .await?;
    Ok(())
}

/// The request and response type of the tests: an `Int64Value` is a prost message.
type Msg = prost_types::Duration;

fn msg(seconds: i64) -> Msg {
    Msg { seconds, nanos: 0 }
}

fn idem(request_id: &str, request: &Msg) -> Idempotent {
    let who = Principal::Bureau(Bureau::PovertyOffice);
    Idempotent::new(who, "Test", request_id, "request_id", request).unwrap()
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[tokio::test]
async fn a_write_commits_once_and_a_retry_replays_its_first_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir).await;
    let req = msg(7);
    // The handlers' futures must be Send (tonic boxes them as such).
    let first = assert_send(db.write_once(&idem("r1", &req), async |txn| {
        insert_thing(txn, "a", 7).await?;
        Ok((msg(70), Audit::new("a", "created")))
    }))
    .await
    .unwrap();
    assert_eq!(first, Written::Fresh(msg(70)));
    let again = db
        .write_once(&idem("r1", &req), async |txn| {
            insert_thing(txn, "b", 8).await?;
            Ok((msg(80), Audit::new("b", "created")))
        })
        .await
        .unwrap();
    assert_eq!(
        again,
        Written::Replayed(msg(70)),
        "the first answer, not new work"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM things").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_log").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM idempotency_keys").await, 1);

    let reused = db
        .write(&idem("r1", &msg(8)), async |_txn| {
            Ok((msg(0), Audit::default()))
        })
        .await
        .unwrap_err();
    assert_eq!(
        tonic::Status::from(reused).code(),
        tonic::Code::AlreadyExists
    );
}

#[tokio::test]
async fn a_failed_write_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir).await;
    let req = msg(1);
    let err = db
        .write(
            &idem("r2", &req),
            async |txn| -> Result<(Msg, Audit), ApiError> {
                insert_thing(txn, "a", 1).await?;
                Err(ApiError::rule("TEST_RULE", "n", "no"))
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Rule(_)));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM things").await, 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM idempotency_keys").await, 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_log").await, 0);
    // The request id is free again: the retry does the work.
    let ok = db
        .write(&idem("r2", &req), async |txn| {
            insert_thing(txn, "a", 1).await?;
            Ok((msg(1), Audit::new("a", "created")))
        })
        .await
        .unwrap();
    assert_eq!(ok, msg(1));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM things").await, 1);
}

/// A record for [`update`]: a thing with its version as etag.
struct Thing {
    name: String,
    n: i64,
    etag: String,
}

impl Versioned for Thing {
    const KIND: &'static str = "thing";
    fn etag(&self) -> &str {
        &self.etag
    }
}

struct Things;

impl RecordStore for Things {
    type Record = Thing;

    async fn lock(&self, txn: &WriteTxn, id: &str) -> Result<Thing, ApiError> {
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                txn.get_database_backend(),
                "SELECT n FROM things WHERE name = ?",
                [id.into()],
            ))
            .await?
            .ok_or_else(|| ApiError::not_found("thing", id))?;
        let n: i64 = row.try_get_by_index(0)?;
        Ok(Thing {
            name: id.to_string(),
            n,
            etag: n.to_string(),
        })
    }

    async fn save(&self, txn: &WriteTxn, t: &Thing, _read: &str) -> Result<Thing, ApiError> {
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "UPDATE things SET n = ? WHERE name = ?",
            [t.n.into(), t.name.clone().into()],
        ))
        .await?;
        Ok(Thing {
            name: t.name.clone(),
            n: t.n,
            etag: t.n.to_string(),
        })
    }
}

#[tokio::test]
async fn update_checks_the_etag_and_applies_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir).await;
    db.write(&idem("seed", &msg(0)), async |txn| {
        insert_thing(txn, "a", 1).await?;
        Ok((msg(0), Audit::new("a", "seed")))
    })
    .await
    .unwrap();
    let bump = |n| {
        move |t: &mut Thing| -> Result<String, ApiError> {
            t.n += n;
            Ok(format!("+{n}"))
        }
    };
    let stale = update(
        &db,
        &Things,
        &idem("u1", &msg(1)),
        "a",
        Some("9"),
        bump(1),
        |t| msg(t.n),
    )
    .await
    .unwrap_err();
    assert!(matches!(stale, ApiError::Stale { ref current, .. } if current == "1"));
    let got = assert_send(update(
        &db,
        &Things,
        &idem("u2", &msg(2)),
        "a",
        Some("1"),
        bump(2),
        |t| msg(t.n),
    ))
    .await
    .unwrap();
    assert_eq!(got, msg(3));
    let no_etag = update(
        &db,
        &Things,
        &idem("u3", &msg(3)),
        "a",
        None,
        bump(3),
        |t| msg(t.n),
    )
    .await
    .unwrap();
    assert_eq!(no_etag, msg(6));
    let missing = update(
        &db,
        &Things,
        &idem("u4", &msg(4)),
        "zz",
        None,
        bump(1),
        |t| msg(t.n),
    )
    .await
    .unwrap_err();
    assert!(matches!(missing, ApiError::NotFound { .. }));
    let refused = update(
        &db,
        &Things,
        &idem("u5", &msg(5)),
        "a",
        None,
        |_t: &mut Thing| Err(ApiError::rule("NO", "n", "refused")),
        |t| msg(t.n),
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, ApiError::Rule(_)));
    assert_eq!(count(&db, "SELECT n FROM things WHERE name = 'a'").await, 6);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_log").await, 3);
}

/// An import of `things`: a batch is a list of numbers, each becomes a thing.
struct ThingImport;

/// The tally: `seconds` counts committed batches, `nanos` replayed ones.
impl ImportTally for Msg {
    fn add(&mut self, batch: &Self) {
        self.seconds += batch.seconds;
    }
    fn add_replayed(&mut self) {
        self.nanos += 1;
    }
    fn progress(&self) -> (i64, i64) {
        (self.seconds, i64::from(self.nanos))
    }
}

/// A batch of things: its request id and the numbers to store.
#[derive(Clone, PartialEq, prost::Message)]
struct ThingBatch {
    #[prost(string, tag = "1")]
    request_id: String,
    #[prost(double, repeated, tag = "2")]
    numbers: Vec<f64>,
}

impl xk_contracts::ImportBatch for ThingBatch {
    const METHOD: &'static str = "ImportThings";
    const RECORDS: &'static str = "numbers";

    fn request_id(&self) -> &str {
        &self.request_id
    }

    fn records(&self) -> usize {
        self.numbers.len()
    }
}

impl crate::import::Tallied for ThingBatch {
    type Tally = Msg;
}

impl Importer for ThingImport {
    type Batch = ThingBatch;
    type Checked = Vec<(String, i64)>;
    const MAX_RECORDS: usize = 10;

    fn check(&self, batch: Self::Batch, prefix: &str) -> Result<Self::Checked, ApiError> {
        let mut out = Vec::new();
        for (i, n) in batch.numbers.iter().enumerate() {
            if *n < 0.0 {
                return Err(ApiError::invalid(
                    format!("{prefix}numbers[{i}]"),
                    "negative",
                ));
            }
            out.push((format!("{}-{i}", batch.request_id), *n as i64));
        }
        Ok(out)
    }

    async fn write(&self, txn: &WriteTxn, batch: &Self::Checked) -> Result<(Msg, Audit), ApiError> {
        for (name, n) in batch {
            insert_thing(txn, name, *n).await?;
        }
        Ok((msg(1), Audit::new(format!("batch of {}", batch.len()), "")))
    }
}

fn batch(request_id: &str, numbers: &[f64]) -> ThingBatch {
    ThingBatch {
        request_id: request_id.into(),
        numbers: numbers.to_vec(),
    }
}

#[tokio::test]
async fn an_import_counts_fresh_and_replayed_batches_and_stops_at_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir).await;
    let who = Principal::Bureau(Bureau::PovertyOffice);
    let stream = |batches: Vec<ThingBatch>| {
        futures::stream::iter(batches.into_iter().map(Ok::<_, tonic::Status>))
    };
    let done = crate::import::run(
        &db,
        &ThingImport,
        who,
        stream(vec![batch("b0", &[1.0, 2.0]), batch("b1", &[3.0])]),
    )
    .await
    .unwrap();
    assert_eq!(done, msg(2));
    // Resent whole, with one more batch: two replays, one fresh.
    let done = crate::import::run(
        &db,
        &ThingImport,
        who,
        stream(vec![
            batch("b0", &[1.0, 2.0]),
            batch("b1", &[3.0]),
            batch("b2", &[4.0]),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        done,
        Msg {
            seconds: 1,
            nanos: 2
        }
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM things").await, 4);
    // A bad third batch stops the stream; the two before it stay committed.
    let err = crate::import::run(
        &db,
        &ThingImport,
        who,
        stream(vec![
            batch("c0", &[1.0]),
            batch("c1", &[1.0]),
            batch("c2", &[1.0, -1.0]),
        ]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(
        err.message().contains("batch[2].numbers[1]"),
        "{}",
        err.message()
    );
    assert!(
        err.message()
            .contains("2 earlier batches committed, 0 replayed"),
        "{}",
        err.message()
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM things").await, 6);
    // A reused request id with another batch is refused, after the first batch landed.
    let err = crate::import::run(
        &db,
        &ThingImport,
        who,
        stream(vec![batch("d0", &[5.0]), batch("b0", &[9.0])]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), tonic::Code::AlreadyExists);
    assert!(
        err.message().contains("1 earlier batches committed"),
        "{}",
        err.message()
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM things").await, 7);
}

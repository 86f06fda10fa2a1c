//! Group commit (`xk_runtime::group_commit`) against a real SQLite file or, with
//! `XK_TEST_DATABASE=postgres`, a fresh PostgreSQL database: concurrent writes share
//! commits, a failing or cancelled member leaves nothing and spares its neighbours,
//! replays inside and across batches, a failed commit fails every member.
//!
//! Writes are started with `join_all` in one task, so they are polled in order: the first
//! takes the batch lock at once and every other one queues on it (FIFO) before the first
//! finishes its work; the leader's closer queues after them, so they all join one batch.

use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use xiaokang::testing::{TestDatabase, TestDb};
use xk_runtime::db::{WriteTxn, placeholder};
use xk_runtime::idempotency::Idempotent;
use xk_runtime::write::Written;
use xk_runtime::{ApiError, Audit, Bureau, Db, Principal};

/// A migrator with only the runtime's tables.
struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(xk_runtime::migration::RuntimeTables)]
    }
}

/// A fresh database with the runtime tables, `things`, and `kids` whose parent is checked
/// only at commit (a deferred foreign key: the way to make a commit itself fail).
async fn fresh_db(label: &str) -> (TestDatabase, Db) {
    let database = TestDatabase::create(label).await.unwrap();
    // One lane, so that concurrent writes meet in one batch on PostgreSQL too.
    let db = Db::connect(&database.url, 4)
        .await
        .unwrap()
        .with_group_commit_lanes(1);
    db.migrate::<Migrator>().await.unwrap();
    for sql in [
        "CREATE TABLE things (name TEXT PRIMARY KEY, n BIGINT NOT NULL)",
        "CREATE TABLE kids (name TEXT PRIMARY KEY, parent TEXT NOT NULL \
         REFERENCES things (name) DEFERRABLE INITIALLY DEFERRED)",
    ] {
        db.conn().execute_unprepared(sql).await.unwrap();
    }
    (database, db)
}

async fn done(database: TestDatabase, db: Db) {
    db.close().await.unwrap();
    database.drop_now().await.unwrap();
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

/// Rows of things, idempotency keys and audit entries.
async fn rows(db: &Db) -> (i64, i64, i64) {
    (
        count(db, "SELECT COUNT(*) FROM things").await,
        count(db, "SELECT COUNT(*) FROM idempotency_keys").await,
        count(db, "SELECT COUNT(*) FROM audit_log").await,
    )
}

async fn insert(txn: &WriteTxn, table: &str, name: &str, other: impl Into<sea_orm::Value>) {
    try_insert(txn, table, name, other).await.unwrap()
}

async fn try_insert(
    txn: &WriteTxn,
    table: &str,
    name: &str,
    other: impl Into<sea_orm::Value>,
) -> Result<(), ApiError> {
    let backend = txn.get_database_backend();
    let column = if table == "kids" { "parent" } else { "n" };
    let sql = format!(
        "INSERT INTO {table} (name, {column}) VALUES ({}, {})",
        placeholder(backend, 1),
        placeholder(backend, 2)
    );
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [name.into(), other.into()],
    ))
    .await?;
    Ok(())
}

/// Requests and responses of the tests (any prost message will do).
type Msg = prost_types::Duration;

fn msg(seconds: i64) -> Msg {
    Msg { seconds, nanos: 0 }
}

fn idem(request_id: &str, request: i64) -> Idempotent {
    let who = Principal::Bureau(Bureau::PovertyOffice);
    Idempotent::new(who, "Test", request_id, "request_id", &msg(request)).unwrap()
}

/// Writes thing `name` = `n` under request id `name`.
async fn put(db: &Db, name: &str, n: i64) -> Result<Written<Msg>, ApiError> {
    db.write_once(&idem(name, n), async |txn| {
        insert(txn, "things", name, n).await;
        Ok((msg(n), Audit::new(name, "created")))
    })
    .await
}

fn batches(db: &Db) -> u64 {
    db.group_commit_stats().expect("group commit is on").batches
}

#[tokio::test]
async fn concurrent_writes_share_one_commit_and_all_land() {
    let (database, db) = fresh_db("gc_share").await;
    const N: i64 = 64;
    let before = batches(&db);
    let names: Vec<String> = (0..N).map(|i| format!("t{i}")).collect();
    let results = join_all(names.iter().zip(0..).map(|(name, n)| put(&db, name, n))).await;
    for (result, n) in results.into_iter().zip(0..) {
        assert_eq!(result.unwrap(), Written::Fresh(msg(n)));
    }
    assert_eq!(batches(&db) - before, 1, "{N} queued writes, one commit");
    assert_eq!(rows(&db).await, (N, N, N));
    // The commit stored every member's response and audit row, each under its own request.
    let matched = count(
        &db,
        "SELECT COUNT(*) FROM audit_log AS a JOIN idempotency_keys AS k \
         ON k.request_id = a.request_id AND k.principal = a.principal \
         WHERE a.target = a.request_id AND a.method = 'Test' AND k.method = 'Test'",
    )
    .await;
    assert_eq!(matched, N);
    // n = 0 encodes to no bytes; every other response was stored.
    let answered = count(
        &db,
        "SELECT COUNT(*) FROM idempotency_keys WHERE LENGTH(response) > 0",
    )
    .await;
    assert_eq!(answered, N - 1);
    // Apart from the batch, one more commits on its own.
    assert_eq!(put(&db, "late", 1).await.unwrap(), Written::Fresh(msg(1)));
    assert_eq!(batches(&db) - before, 2);
    assert_eq!(db.group_commit_stats().unwrap().members, N as u64 + 1);
    // Several lanes (PostgreSQL; SQLite keeps one): at most one batch per lane.
    let wide = db.clone().with_group_commit_lanes(4);
    let lanes = wide.group_commit_stats().unwrap().lanes as u64;
    assert_eq!(
        lanes,
        if TestDb::from_env() == TestDb::Postgres {
            4
        } else {
            1
        }
    );
    let names: Vec<String> = (0..N).map(|i| format!("w{i}")).collect();
    let results = join_all(names.iter().map(|name| put(&wide, name, 1))).await;
    assert!(results.into_iter().all(|r| r.is_ok()));
    assert!((1..=lanes).contains(&batches(&wide)), "{}", batches(&wide));
    assert_eq!(rows(&db).await, (2 * N + 1, 2 * N + 1, 2 * N + 1));
    done(database, db).await;
}

#[tokio::test]
async fn a_failing_member_spares_its_neighbours() {
    let (database, db) = fresh_db("gc_fail").await;
    let postgres = TestDb::from_env() == TestDb::Postgres;
    let (rule_id, dup_id, conflict_id) = (idem("rule", 2), idem("dup", 3), idem("conflict", 4));
    let rule = db.write_once(&rule_id, async |txn| -> Result<(Msg, Audit), ApiError> {
        insert(txn, "things", "rule", 2_i64).await;
        Err(ApiError::rule("TEST_RULE", "n", "refused"))
    });
    // A unique violation: on PostgreSQL the statement aborts the shared transaction until
    // the member rolls back to its savepoint.
    let unique = db.write_once(&dup_id, async |txn| -> Result<(Msg, Audit), ApiError> {
        insert(txn, "things", "dup-row", 3_i64).await;
        try_insert(txn, "things", "a", 3_i64).await?;
        Ok((msg(3), Audit::new("dup", "never")))
    });
    // A conflict: it must keep the retry marker, so the retry layer runs the call again.
    let conflict = db.write_once(
        &conflict_id,
        async |txn| -> Result<(Msg, Audit), ApiError> {
            insert(txn, "things", "conflict", 4_i64).await;
            if postgres {
                txn.execute_unprepared(
                    "DO $$ BEGIN RAISE EXCEPTION 'lost a race' USING ERRCODE = '40001'; END $$",
                )
                .await?;
            } else {
                return Err(xk_runtime::errors::conflict_retry("lost a race").into());
            }
            Ok((msg(4), Audit::new("conflict", "never")))
        },
    );
    let before = batches(&db);
    let (a, rule, unique, conflict, d) =
        tokio::join!(put(&db, "a", 1), rule, unique, conflict, put(&db, "d", 5));
    assert_eq!(a.unwrap(), Written::Fresh(msg(1)));
    assert_eq!(d.unwrap(), Written::Fresh(msg(5)));
    assert!(matches!(rule.unwrap_err(), ApiError::Rule(_)));
    let unique = tonic::Status::from(unique.unwrap_err());
    assert_ne!(unique.code(), tonic::Code::Ok);
    let conflict = tonic::Status::from(conflict.unwrap_err());
    assert_eq!(conflict.code(), tonic::Code::Aborted);
    assert!(xk_runtime::errors::is_conflict_retry(&conflict));
    assert_eq!(batches(&db) - before, 1, "all five in one batch");
    assert_eq!(rows(&db).await, (2, 2, 2), "only a and d");
    let names = count(&db, "SELECT COUNT(*) FROM things WHERE name IN ('a', 'd')").await;
    assert_eq!(names, 2);
    // The failed request ids are free: a retry does the work.
    let again = db
        .write_once(&idem("rule", 2), async |txn| {
            insert(txn, "things", "rule", 2_i64).await;
            Ok((msg(2), Audit::new("rule", "created")))
        })
        .await
        .unwrap();
    assert_eq!(again, Written::Fresh(msg(2)));
    done(database, db).await;
}

#[tokio::test]
async fn replays_inside_and_across_batches_return_the_first_answer() {
    let (database, db) = fresh_db("gc_replay").await;
    assert_eq!(put(&db, "first", 7).await.unwrap(), Written::Fresh(msg(7)));
    let before = batches(&db);
    let (old, fresh, dup) =
        tokio::join!(put(&db, "first", 7), put(&db, "r2", 8), put(&db, "r2", 8));
    assert_eq!(
        old.unwrap(),
        Written::Replayed(msg(7)),
        "from an earlier batch"
    );
    assert_eq!(fresh.unwrap(), Written::Fresh(msg(8)));
    assert_eq!(
        dup.unwrap(),
        Written::Replayed(msg(8)),
        "from its own batch"
    );
    assert_eq!(batches(&db) - before, 1);
    assert_eq!(rows(&db).await, (2, 2, 2));
    // The batch's commit stored the response the member recorded: a later retry reads it
    // from the row.
    assert_eq!(put(&db, "r2", 8).await.unwrap(), Written::Replayed(msg(8)));
    let stored = count(
        &db,
        "SELECT COUNT(*) FROM idempotency_keys WHERE request_id = 'r2' AND LENGTH(response) > 0",
    )
    .await;
    assert_eq!(stored, 1, "the response is in the key row");
    // A request id reused with another request, inside one batch, between two writes
    // that land: the reuse is refused and writes nothing, its neighbours are kept (the
    // refusal comes after the member claimed nothing and opened its savepoint, which it
    // must undo without touching its predecessor's).
    let before = batches(&db);
    let (r3, reused, r4) = tokio::join!(put(&db, "r3", 1), put(&db, "r3", 2), put(&db, "r4", 3));
    assert_eq!(r3.unwrap(), Written::Fresh(msg(1)));
    let reused = tonic::Status::from(reused.unwrap_err());
    assert_eq!(reused.code(), tonic::Code::AlreadyExists, "{reused:?}");
    assert_eq!(r4.unwrap(), Written::Fresh(msg(3)));
    assert_eq!(batches(&db) - before, 1);
    assert_eq!(rows(&db).await, (4, 4, 4), "r3 once and r4");
    assert_eq!(put(&db, "r3", 1).await.unwrap(), Written::Replayed(msg(1)));
    done(database, db).await;
}

/// Work that writes a row and then waits for ever (until its future is dropped).
async fn hang(db: &Db, name: &str) -> Result<Written<Msg>, ApiError> {
    let (_never, wait) = tokio::sync::oneshot::channel::<()>();
    db.write_once(&idem(name, 9), async |txn| {
        insert(txn, "things", name, 9_i64).await;
        let _ = wait.await;
        Ok((msg(9), Audit::new(name, "never")))
    })
    .await
}

async fn cancelled(db: &Db, name: &str) -> bool {
    let limit = std::time::Duration::from_millis(200);
    tokio::time::timeout(limit, hang(db, name)).await.is_err()
}

#[tokio::test]
async fn a_cancelled_member_leaves_nothing_and_its_batch_commits() {
    let (database, db) = fresh_db("gc_cancel").await;
    let before = batches(&db);
    let (a, b, c) = tokio::join!(put(&db, "a", 1), cancelled(&db, "b"), put(&db, "c", 3));
    assert!(b, "b was cut off mid-work");
    assert_eq!(a.unwrap(), Written::Fresh(msg(1)));
    assert_eq!(c.unwrap(), Written::Fresh(msg(3)));
    assert_eq!(batches(&db) - before, 1);
    assert_eq!(rows(&db).await, (2, 2, 2), "nothing of b");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM things WHERE name = 'b'").await,
        0
    );
    done(database, db).await;
}

#[tokio::test]
async fn a_cancelled_leader_leaves_nothing_and_its_batch_commits() {
    let (database, db) = fresh_db("gc_cancel_lead").await;
    let (a, b) = tokio::join!(cancelled(&db, "a"), put(&db, "b", 2));
    assert!(a);
    assert_eq!(b.unwrap(), Written::Fresh(msg(2)));
    assert_eq!(rows(&db).await, (1, 1, 1), "only b");
    done(database, db).await;
}

#[tokio::test]
async fn a_leader_whose_caller_left_after_its_work_is_still_committed() {
    let (database, db) = fresh_db("gc_leader_gone").await;
    let (started, working) = tokio::sync::oneshot::channel::<()>();
    // The leader's future is dropped while it waits for the commit: b is working, so the
    // leader's own work is done and released.
    let leader = async {
        tokio::select! {
            _ = put(&db, "a", 1) => false,
            _ = working => true,
        }
    };
    let follower_id = idem("b", 2);
    let follower = db.write_once(&follower_id, async |txn| {
        let _ = started.send(());
        insert(txn, "things", "b", 2_i64).await;
        Ok((msg(2), Audit::new("b", "created")))
    });
    let (left, b) = tokio::join!(leader, follower);
    assert!(left, "the leader's caller left before the commit");
    assert_eq!(b.unwrap(), Written::Fresh(msg(2)));
    assert_eq!(rows(&db).await, (2, 2, 2), "a was committed with b");
    done(database, db).await;
}

#[tokio::test]
async fn a_failed_commit_fails_every_member_and_writes_nothing() {
    let (database, db) = fresh_db("gc_commit_fails").await;
    let orphan_id = idem("orphan", 2);
    let orphan = db.write_once(&orphan_id, async |txn| {
        insert(txn, "kids", "k", "no-such-thing").await;
        Ok((msg(2), Audit::new("k", "created")))
    });
    let (a, orphan) = tokio::join!(put(&db, "a", 1), orphan);
    assert!(a.is_err(), "its batch did not commit: {a:?}");
    assert!(orphan.is_err());
    assert_eq!(rows(&db).await, (0, 0, 0));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM kids").await, 0);
    // The database is usable again, and the request ids are free.
    assert_eq!(put(&db, "a", 1).await.unwrap(), Written::Fresh(msg(1)));
    done(database, db).await;
}

#[tokio::test]
async fn with_group_commit_off_each_write_commits_alone() {
    let (database, db) = fresh_db("gc_off").await;
    let db = db.with_group_commit(false);
    assert!(db.group_commit_stats().is_none());
    let (a, b) = tokio::join!(put(&db, "a", 1), put(&db, "a", 1));
    let mut answers = vec![a.unwrap(), b.unwrap()];
    answers.sort_by_key(|w| matches!(w, Written::Replayed(_)));
    assert_eq!(
        answers,
        vec![Written::Fresh(msg(1)), Written::Replayed(msg(1))]
    );
    assert_eq!(rows(&db).await, (1, 1, 1));
    done(database, db).await;
}

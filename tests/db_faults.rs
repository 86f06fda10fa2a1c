//! A failing database and shared files (issue 19), against real services:
//! - a PostgreSQL backend terminated mid-call (as in a restart or failover) is answered
//!   UNAVAILABLE, and the retried write (same request_id) lands exactly once;
//! - a deadlock (PostgreSQL's 40P01) is run again inside the service: the caller sees OK;
//! - concurrent writes to one household that carry no etag all succeed (they queue on the
//!   household's row instead of failing a version check the caller never asked for);
//! - `xiaokang up` keeps its data folder 0700 and its databases, their WAL and shared
//!   memory, and the tokens file 0600, and prints no token.
//!
//! Database tests run on SQLite, or on PostgreSQL with `XK_TEST_DATABASE=postgres`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::{OFFICE, client, household};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, Statement, TransactionTrait,
};
use tonic::Code;
use xiaokang::testing::{TestDb, TestService};
use xk_contracts::pb::registry::v1::*;

/// A household's income of `year`, recorded with `request_id` and no etag.
fn income(request_id: &str, year: i32) -> RecordIncomeRequest {
    RecordIncomeRequest {
        request_id: request_id.into(),
        household_id: "HH000001".into(),
        income: Some(Income {
            year,
            per_capita_net_income_fen: 500_000 + i64::from(year),
        }),
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_writes_without_etag_to_one_household_all_land() {
    // All twenty run at once and queue on the row lock (what this test is about), none in
    // the write queue, whose wait bound could refuse some on a slow machine.
    let settings = xk_runtime::ServeSettings::default().with_call_limit(256);
    let svc = TestService::start_with(xk_registry::SPEC, settings)
        .await
        .unwrap();
    let mut c = client(&svc, OFFICE).await;
    common::create(
        &mut c,
        "create-1",
        household(1, "420625100201", 3, ArchiveStatus::Poor),
    )
    .await
    .unwrap();
    let writes = (0..20).map(|k| {
        let mut c = c.clone();
        async move {
            c.record_income(income(&format!("income-{k}"), 2001 + k))
                .await
        }
    });
    let results = futures::future::join_all(writes).await;
    let refused: Vec<_> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|s| (s.code(), s.message().to_string()))
        .collect();
    assert!(
        refused.is_empty(),
        "every etag-less write succeeds: {refused:?}"
    );
    let h = c
        .get_household(GetHouseholdRequest {
            household_id: "HH000001".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .household
        .unwrap();
    let years: Vec<i32> = h.incomes.iter().map(|i| i.year).collect();
    assert_eq!(
        years,
        (2001..=2020).collect::<Vec<_>>(),
        "all 20 incomes held"
    );
    assert_eq!(
        h.etag, "21",
        "created at version 1, then 20 writes, one at a time"
    );
    svc.stop().await.unwrap();
}

/// Waits until a backend of the service (not `admin`'s own) is waiting on a lock in the
/// test database, and returns its pid.
async fn blocked_backend(admin: &DatabaseConnection) -> i32 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let row = admin
            .query_one_raw(Statement::from_string(
                admin.get_database_backend(),
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                 AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
            ))
            .await
            .unwrap();
        if let Some(row) = row {
            return row.try_get_by_index::<i32>(0).unwrap();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the write never blocked on the test's lock"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A RecordIncome call blocked inside its transaction on a lock the test holds.
struct BlockedWrite {
    svc: TestService,
    client: common::Client,
    /// The test's own connection to the service's database.
    admin: DatabaseConnection,
    /// The test's transaction, holding the lock.
    holder: DatabaseTransaction,
    /// The blocked call.
    call: tokio::task::JoinHandle<Result<tonic::Response<RecordIncomeResponse>, tonic::Status>>,
    /// The service's backend that waits on the lock.
    pid: i32,
}

/// Creates household HH000001 on PostgreSQL, runs `statements` in a transaction of the
/// test's (taking locks), then sends RecordIncome with `request_id` and waits until it is
/// blocked on them. `None` on SQLite, which has no backends or row locks.
async fn write_blocked_by(statements: &[&str], request_id: &'static str) -> Option<BlockedWrite> {
    if TestDb::from_env() != TestDb::Postgres {
        eprintln!("PostgreSQL only (XK_TEST_DATABASE=postgres)");
        return None;
    }
    let svc = TestService::start(xk_registry::SPEC).await.unwrap();
    let mut client = client(&svc, OFFICE).await;
    common::create(
        &mut client,
        "create-1",
        household(1, "420625100201", 3, ArchiveStatus::Poor),
    )
    .await
    .unwrap();
    let admin = Database::connect(svc.database.url.clone()).await.unwrap();
    let holder = admin.begin().await.unwrap();
    for sql in statements {
        holder.execute_unprepared(sql).await.unwrap();
    }
    let mut writer = client.clone();
    let call = tokio::spawn(async move { writer.record_income(income(request_id, 2019)).await });
    let pid = blocked_backend(&admin).await;
    Some(BlockedWrite {
        svc,
        client,
        admin,
        holder,
        call,
        pid,
    })
}

/// Asserts that the write of `request_id` landed exactly once on household `h`.
async fn assert_written_once(admin: &DatabaseConnection, h: &Household, request_id: &str) {
    assert_eq!(h.incomes.len(), 1);
    assert_eq!(h.etag, "2", "written once: version 1 + one write");
    for table in ["audit_log", "idempotency_keys"] {
        let rows = count(
            admin,
            &format!("SELECT COUNT(*) FROM {table} WHERE request_id = '{request_id}'"),
        )
        .await;
        assert_eq!(rows, 1, "{table} holds the write once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_terminated_mid_call_is_unavailable_and_the_retry_lands_once() {
    // The test holds the household's row, so the write blocks inside its transaction,
    // where its backend is terminated, exactly as a restart or failover would.
    let Some(mut blocked) = write_blocked_by(
        &["SELECT 1 FROM households WHERE household_id = 'HH000001' FOR UPDATE"],
        "kill-1",
    )
    .await
    else {
        return;
    };
    let terminated = count(
        &blocked.admin,
        &format!("SELECT pg_terminate_backend({})::int::int8", blocked.pid),
    )
    .await;
    assert_eq!(terminated, 1);
    let status = blocked
        .call
        .await
        .unwrap()
        .expect_err("the call lost its connection");
    assert_eq!(
        status.code(),
        Code::Unavailable,
        "a lost connection is retryable: {status:?}"
    );
    blocked.holder.rollback().await.unwrap();

    let c = &mut blocked.client;
    let first = c.record_income(income("kill-1", 2019)).await.unwrap();
    let again = c.record_income(income("kill-1", 2019)).await.unwrap();
    let (first, again) = (first.into_inner(), again.into_inner());
    assert_eq!(
        first, again,
        "the retry of the retry is answered from the request id"
    );
    assert_written_once(&blocked.admin, &first.household.unwrap(), "kill-1").await;
    blocked.admin.close().await.unwrap();
    blocked.svc.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_is_run_again_inside_the_service_and_the_caller_sees_ok() {
    // A real deadlock: the test holds the audit log against inserts, the write takes the
    // household and, at its commit, waits to insert its audit row; then the test asks for
    // the household. The service's backend has waited longest (the test's waits 20 s
    // before checking), so PostgreSQL picks it as the victim (40P01). (An income leaves
    // the members alone, so a lock on them would not stop it.)
    let Some(blocked) = write_blocked_by(
        &[
            "SET LOCAL deadlock_timeout = '20s'",
            "LOCK TABLE audit_log IN SHARE MODE",
        ],
        "deadlock-1",
    )
    .await
    else {
        return;
    };
    blocked
        .holder
        .execute_unprepared("SELECT 1 FROM households WHERE household_id = 'HH000001' FOR UPDATE")
        .await
        .expect("the service's transaction was the deadlock victim, so the test's goes on");
    blocked.holder.rollback().await.unwrap();
    let h = blocked
        .call
        .await
        .unwrap()
        .expect("the deadlock was retried inside the service")
        .into_inner()
        .household
        .unwrap();
    assert_written_once(&blocked.admin, &h, "deadlock-1").await;
    blocked.admin.close().await.unwrap();
    blocked.svc.stop().await.unwrap();
}

/// A file's permission bits in octal, as `ls -l` users read them.
fn mode(path: &Path) -> String {
    let mode = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode();
    format!("{:o}", mode & 0o7777)
}

/// What `up` says once SIGTERM stops it gracefully.
const BANNER: &str = "Ctrl-C or SIGTERM stops it gracefully.";

/// Reads a child's stdout to its end, telling `banner` when the [`BANNER`] line came.
async fn read_until_banner(
    out: tokio::process::ChildStdout,
    banner: tokio::sync::oneshot::Sender<()>,
) -> String {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(out).lines();
    let mut text = String::new();
    let mut banner = Some(banner);
    while let Ok(Some(line)) = lines.next_line().await {
        if line == BANNER
            && let Some(tx) = banner.take()
        {
            let _ = tx.send(());
        }
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// Reads a child's stream to its end.
async fn read_all(mut out: impl tokio::io::AsyncRead + Unpin) -> String {
    use tokio::io::AsyncReadExt;
    let mut text = String::new();
    let _ = out.read_to_string(&mut text).await;
    text
}

/// The tokens of a tokens file (`principal = "token"` lines).
fn tokens_in(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    table
        .values()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// `up` reads its serving settings from the same `XK_*` variables as `serve`: a bad value
/// stops it before it binds a port, naming the setting and the value.
#[tokio::test]
async fn up_reads_its_serving_settings_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_xiaokang"))
        .args([
            "up",
            "--exit-after-start",
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .env("XK_WRITE_QUEUE_DEPTH", "many")
        .output()
        .await
        .unwrap();
    assert!(
        !out.status.success(),
        "a bad XK_WRITE_QUEUE_DEPTH must stop up"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("write-queue-depth") && stderr.contains("'many'"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_keeps_the_data_private_and_prints_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A loopback address of its own: `up` binds the default ports, which another test
    // or a running suite may hold on 127.0.0.1.
    let bind = format!(
        "127.{}.{}.{}",
        rand::random_range(100..200),
        rand::random_range(0..=255),
        rand::random_range(1..255)
    );
    // umask 000: the modes must come from xiaokang, not from a careful shell.
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_xiaokang"))
        .args(["up", "--data-dir", data.to_str().unwrap(), "--bind", &bind])
        .env_remove("XK_ADMIN_TOKEN")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (banner_tx, banner_rx) = tokio::sync::oneshot::channel();
    let stdout = tokio::spawn(read_until_banner(child.stdout.take().unwrap(), banner_tx));
    let stderr = tokio::spawn(read_all(child.stderr.take().unwrap()));
    // The aggregator starts last: once it serves, every database is open.
    xk_runtime::server::wait_until_serving(
        &format!("http://{bind}:50050"),
        "",
        Duration::from_secs(60),
    )
    .await
    .unwrap();

    assert_eq!(mode(&data), "700", "data folder");
    assert_eq!(mode(&data.join("tokens.toml")), "600", "tokens file");
    let services = [
        "registry",
        "education",
        "housing",
        "water",
        "health",
        "aggregator",
    ];
    for name in services {
        for suffix in [".db", ".db-wal", ".db-shm"] {
            let file = data.join(format!("{name}{suffix}"));
            assert_eq!(mode(&file), "600", "{}", file.display());
        }
    }
    let mut listing: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listing.sort();
    assert_eq!(listing.len(), 1 + 3 * services.len(), "{listing:?}");

    // SIGTERM once `up` says it takes it (its handlers are in place by then).
    banner_rx.await.expect("up prints its banner");
    let pid = child.id().unwrap().to_string();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(term.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("up stops on SIGTERM")
        .unwrap();
    let (stdout, stderr) = (stdout.await.unwrap(), stderr.await.unwrap());
    assert!(status.success(), "{status}: {stderr}");
    let printed = format!("{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("tokens: {}", data.join("tokens.toml").display())),
        "up says where the tokens are: {stdout}"
    );
    let tokens = tokens_in(&data.join("tokens.toml"));
    assert_eq!(tokens.len(), 7, "one token per principal");
    for token in &tokens {
        // Any 8 characters of a token would narrow a guess; none may be printed.
        let leaked = token
            .as_bytes()
            .windows(8)
            .any(|w| printed.contains(std::str::from_utf8(w).unwrap()));
        assert!(!leaked, "output shows part of a token:\n{printed}");
    }
}

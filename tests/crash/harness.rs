//! The service under test as a child process (`xiaokang serve`), killed by a task at a
//! set moment, and the working folder and database a run uses.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use xiaokang::testing::TestDatabase;
use xk_runtime::ServiceSpec;

use super::{START_TIMEOUT, TOKEN};

/// The child process of one service, and the flag the killer sets before SIGKILL.
pub(crate) struct Server {
    /// `http://127.0.0.1:<port>` of this incarnation.
    pub(crate) url: String,
    /// Set just before the process is killed, so the writer tells a crash from a bug.
    pub(crate) killed: Arc<AtomicBool>,
    /// The killer task (sleeps, then SIGKILLs and reaps); `None` once kills are used up.
    pub(crate) killer: Option<tokio::task::JoinHandle<()>>,
    /// The process when no killer owns it (the last incarnation).
    child: Option<tokio::process::Child>,
}

/// A free port on 127.0.0.1 (bound and released; each incarnation takes a new one).
pub(crate) async fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// Starts `xiaokang serve <spec>` over `db_url`, waits until it is SERVING, and, when
/// `kill_after` is set, hands it to a killer task that SIGKILLs it after that long.
pub(crate) async fn start_server(
    spec: ServiceSpec,
    db_url: &str,
    log: &Path,
    kill_after: Option<Duration>,
) -> Server {
    let port = free_port().await;
    let url = format!("http://127.0.0.1:{port}");
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_xiaokang"))
        .args(["serve", spec.name, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--database-url")
        .arg(db_url)
        .env_remove("XK_TOKENS_FILE")
        .env("XK_TOKEN_ADMIN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_file))
        .kill_on_drop(true)
        .spawn()
        .expect("the xiaokang binary starts");
    if let Err(e) =
        xk_runtime::server::wait_until_serving(&url, spec.grpc_name, START_TIMEOUT).await
    {
        let _ = child.start_kill();
        let tail = std::fs::read_to_string(log).unwrap_or_default();
        panic!("{} did not become SERVING: {e:#}\nlog:\n{tail}", spec.name);
    }
    let killed = Arc::new(AtomicBool::new(false));
    let (killer, child) = match kill_after {
        Some(after) => {
            let flag = killed.clone();
            let task = tokio::spawn(async move {
                tokio::time::sleep(after).await;
                flag.store(true, Ordering::SeqCst);
                child.start_kill().expect("SIGKILL is sent");
                child.wait().await.expect("the killed process is reaped");
            });
            (Some(task), None)
        }
        None => (None, Some(child)),
    };
    Server {
        url,
        killed,
        killer,
        child,
    }
}

/// Kills the last incarnation (no graceful path needed: it is the test's own).
pub(crate) async fn stop(server: Server) {
    if let Some(mut child) = server.child {
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }
}

/// Runs `xiaokang verify-rollups <service>` over the end state and requires it to find no
/// village whose running totals differ from its rows: the kills landed mid-write, and the
/// rows and the totals were committed together or not at all.
pub(crate) async fn check_rollups(service: &str, db_url: &str, seed: u64) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_xiaokang"))
        .args(["verify-rollups", service, "--database-url", db_url])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "seed {seed}: {service} rollups differ from the rows:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        format!("{service}: 0 rollup difference(s)"),
        "seed {seed}"
    );
}

/// The harness's working folder (the per-incarnation log) and the database.
pub(crate) async fn setup(label: &str) -> (tempfile::TempDir, PathBuf, TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join(format!("{label}.log"));
    let db = TestDatabase::create(label).await.unwrap();
    (dir, log, db)
}

//! Secrets as files, as docker-compose mounts them under /run/secrets: the real binary's
//! `migrate` and `serve` take the database URL from `XK_DATABASE_URL_FILE` and the tokens
//! from `XK_TOKENS_FILE`, with nothing secret in their environment, on SQLite or
//! PostgreSQL (`XK_TEST_DATABASE`).

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::net::TcpListener;
use xiaokang::testing::TestDatabase;
use xk_contracts::pb::registry::v1::{ArchiveStatus, ListHouseholdsRequest};
use xk_runtime::{Bureau, Principal};

/// A village of the demo county (Gucheng, 420625).
const VILLAGE: &str = "420625100201";
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The registry's token file as compose-secrets.sh writes it: only the tokens the registry
/// verifies (its bureau's, the aggregator's, admin's), each line ending in a newline.
fn registry_tokens(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("registry-tokens");
    let lines: String = [
        Principal::Admin,
        Principal::Aggregator,
        Principal::Bureau(Bureau::PovertyOffice),
    ]
    .iter()
    .map(|p| format!("{} = \"{}\"\n", p.name(), token(*p)))
    .collect();
    std::fs::write(&path, lines).unwrap();
    path
}

fn token(p: Principal) -> String {
    format!("secret-file-token-of-{}", p.name())
}

/// The binary with none of the settings this test gives as files inherited from the
/// environment it runs in.
fn xiaokang(workdir: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_xiaokang"));
    cmd.current_dir(workdir)
        .env_remove("XK_DATABASE_URL")
        .env_remove("XK_DATABASE_URL_FILE")
        .env_remove("XK_TOKENS_FILE")
        .env("RUST_LOG", "warn");
    for p in Principal::ALL {
        let var = format!("XK_TOKEN_{}", p.name().to_uppercase().replace('-', "_"));
        cmd.env_remove(&var).env_remove(format!("{var}_FILE"));
    }
    cmd
}

#[tokio::test]
async fn migrate_and_serve_read_the_database_url_and_tokens_from_files() {
    let db = TestDatabase::create("secret_files").await.unwrap();
    let secrets = tempfile::tempdir().unwrap();
    // The working directory the service would fall back to (`data/registry.db`): it must
    // stay empty, as the containers' read-only root filesystem requires.
    let workdir = tempfile::tempdir().unwrap();
    let url_file = secrets.path().join("registry-database-url");
    std::fs::write(&url_file, format!("{}\n", db.url)).unwrap();
    let tokens_file = registry_tokens(secrets.path());

    let migrated = xiaokang(workdir.path())
        .args(["migrate", "registry"])
        .env("XK_DATABASE_URL_FILE", &url_file)
        .output()
        .await
        .unwrap();
    assert!(
        migrated.status.success(),
        "migrate: {}",
        String::from_utf8_lossy(&migrated.stderr)
    );

    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    // XK_MIGRATE=false: the service only checks the schema, so it serves only if it opened
    // the very database `migrate` prepared through the same file.
    let mut child = xiaokang(workdir.path())
        .args(["serve", "registry", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .env("XK_MIGRATE", "false")
        .env("XK_DATABASE_URL_FILE", &url_file)
        .env("XK_TOKENS_FILE", &tokens_file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    if let Err(e) = xk_runtime::server::wait_until_serving(
        &url,
        "xiaokang.registry.v1.RegistryService",
        START_TIMEOUT,
    )
    .await
    {
        let _ = child.start_kill();
        let out = child.wait_with_output().await.unwrap();
        panic!(
            "serve did not become SERVING: {e:#}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let office = token(Principal::Bureau(Bureau::PovertyOffice));
    let mut writer = common::client_with_url(&url, Some(&office)).await;
    let h = common::household(1, VILLAGE, 2, ArchiveStatus::Poor);
    common::create(&mut writer, "secret-files-1", h)
        .await
        .unwrap();
    let water = token(Principal::Bureau(Bureau::WaterResources));
    let mut outsider = common::client_with_url(&url, Some(&water)).await;
    let refused = outsider
        .list_households(ListHouseholdsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");

    child.start_kill().unwrap();
    child.wait().await.unwrap();
    assert_eq!(common::count_rows(&db.url, "households").await, 1);
    let written: Vec<_> = std::fs::read_dir(workdir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        written.is_empty(),
        "wrote {written:?} in its working directory"
    );
    db.drop_now().await.unwrap();
}

#[tokio::test]
async fn a_database_url_given_both_ways_is_refused_before_connecting() {
    let secrets = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let url_file = secrets.path().join("url");
    std::fs::write(&url_file, "sqlite://from-file.db\n").unwrap();
    let out = xiaokang(workdir.path())
        .args([
            "migrate",
            "registry",
            "--database-url",
            "sqlite://from-flag.db",
        ])
        .env("XK_DATABASE_URL_FILE", &url_file)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("XK_DATABASE_URL and XK_DATABASE_URL_FILE are both set"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(workdir.path()).unwrap().count(), 0);

    let none = xiaokang(workdir.path())
        .args(["migrate", "registry"])
        .output()
        .await
        .unwrap();
    assert!(!none.status.success());
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert!(stderr.contains("XK_DATABASE_URL_FILE"), "{stderr}");
}

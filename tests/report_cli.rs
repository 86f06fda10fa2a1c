//! `xiaokang report` as a user runs it: the built binary against an in-process suite
//! (SQLite, or PostgreSQL with XK_TEST_DATABASE=postgres), token from the environment.

use std::process::Output;

use xiaokang::testing::TestSuite;
use xk_runtime::Principal;

/// Runs the `xiaokang` binary with `args` against the suite's aggregator.
async fn report(ts: &TestSuite, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_xiaokang"))
        .arg("report")
        .args(["--aggregator", &ts.url("aggregator")])
        .args(["--tokens-file", "/nonexistent/tokens.toml"])
        .args(args)
        .env("XK_TOKEN_AGGREGATOR", &ts.tokens[&Principal::Aggregator])
        .env_remove("XK_TOKEN_ADMIN")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn prints_the_table_the_json_and_writes_the_page() {
    let ts = TestSuite::start().await.unwrap();
    let out = report(&ts, &["--as-of", "2019-12-31", "--year", "2019"]).await;
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        table.starts_with("谷城县 Gucheng County · 420625"),
        "{table}"
    );
    assert!(table.contains("as of 2019-12-31 · year 2019"));
    assert!(table.contains("== 饮水安全有保障 Safe drinking water =="));
    assert!(table.contains("complete: every service answered"));

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("r.html");
    let out = report(&ts, &["--json", "--html", page.to_str().unwrap()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["region_prefix"], "420625");
    assert_eq!(v["registry"]["total"]["archive_people"], 0);
    assert_eq!(v["complete"], true);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("谷城县") && html.contains("<svg"));

    // A bad prefix is the caller's mistake: the aggregator's INVALID_ARGUMENT, exit 1.
    let out = report(&ts, &["--region", "4206"]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("InvalidArgument"), "{err}");
    ts.stop().await.unwrap();
}

#[tokio::test]
async fn a_wrong_token_is_refused() {
    let ts = TestSuite::start().await.unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_xiaokang"))
        .args(["report", "--aggregator", &ts.url("aggregator")])
        .env("XK_TOKEN_AGGREGATOR", "not-a-token")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unauthenticated"));
    ts.stop().await.unwrap();
}

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

/// Issue 21: after `up --demo`, `xiaokang report` with no --year / --as-of shows what the
/// demo printed. The demo county's data is of 2019 while today is later, so the report's
/// default year must be the latest year with data, not the current year (which showed
/// 49,494 registered poor uninsured and no identifications or exits).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_default_report_shows_what_the_demo_printed() {
    use xiaokang::demo::load::Progress;
    use xiaokang::demo::{County, check, county_today, published, run};

    let county = County::generate(xiaokang::demo::DEFAULT_SEED, county_today());
    let ts = TestSuite::start().await.unwrap();
    let demo = run::load_and_check(&county, &ts.suite.addrs(), &ts.tokens, Progress::Hidden)
        .await
        .unwrap();
    assert_eq!(demo.summary.year, published::YEAR);

    // As a user runs it: the same table the demo printed, character for character.
    let out = report(&ts, &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert_eq!(table, xiaokang::report::table::render(&demo.summary));

    // The same default request in process: every figure line the demo checks (all but
    // exit accuracy, which comes from CheckExitEligibility) reads the same from it.
    let cli = <xiaokang::cli::Cli as clap::Parser>::try_parse_from(["xiaokang", "report"]).unwrap();
    let xiaokang::cli::Command::Report(args) = cli.command else {
        panic!("parsed as another command");
    };
    let token = ts.tokens[&Principal::Aggregator].clone();
    let summary = xiaokang::report::fetch(&ts.url("aggregator"), Some(token), args.request())
        .await
        .unwrap();
    assert_eq!(summary.year, published::YEAR, "the latest year with data");
    let shown = check::figures(&summary);
    let printed: Vec<_> = demo
        .figures
        .iter()
        .filter(|f| !f.what.contains("accuracy"))
        .cloned()
        .collect();
    assert_eq!(shown.len(), 25);
    assert_eq!(shown, printed);
    let found = |what: &str| {
        shown
            .iter()
            .find(|f| f.what.starts_with(what))
            .map(|f| f.found.clone())
            .unwrap_or_else(|| panic!("no line {what}"))
    };
    assert_eq!(found("registered poor insured"), "49494 / 220 yuan each");
    assert_eq!(found("registered poor people uninsured"), "0");
    assert_eq!(found("exited in 2019"), "210 / 470");
    assert_eq!(found("identified in 2019"), "39 / 92");
    assert!(shown.iter().all(|f| f.holds()), "{}", check::table(&shown));
    ts.stop().await.unwrap();
}

//! `xiaokang report --html` rendered by a real browser: the page is written to a file,
//! loaded by headless Chromium (`--dump-dom` and `--screenshot`), and the rendered DOM must
//! hold the figures and the SVG charts, the screenshot must be a real, non-blank image.
//! One case uses a hand-built summary with the demo county's figures; the other fetches a
//! real summary from an in-process suite (SQLite, or PostgreSQL with
//! XK_TEST_DATABASE=postgres) holding two households, with one service stopped, so the
//! page shows a partial county.
//!
//! Chromium comes from Debian's `chromium` package (`.ci/run` installs it). When it is
//! missing the test fails under CI (`CI=true`) and is skipped locally with a note.
//! `XK_REPORT_KEEP=DIR` keeps the HTML and the screenshot for a look.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use xiaokang::report;
use xiaokang::testing::TestSuite;
use xk_contracts::pb::aggregator::v1::{GetSummaryRequest, Summary};
use xk_contracts::pb::common::v1::{Date, RegionLevel};
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::registry::v1::{ArchiveStatus, ImportHouseholdsRequest};
use xk_runtime::{Bureau, Principal};

/// How long one Chromium run may take on a busy 2-core machine.
const BROWSER_DEADLINE: Duration = Duration::from_secs(90);

/// The browser, or `None` (after failing under CI) when it is not installed.
fn chromium() -> Option<PathBuf> {
    let candidates = ["chromium", "chromium-browser", "google-chrome"];
    let found = std::env::var_os("XK_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(std::env::var_os("PATH").into_iter().flat_map(|p| {
            std::env::split_paths(&p)
                .flat_map(|dir| candidates.iter().map(move |c| dir.join(c)))
                .collect::<Vec<_>>()
        }))
        .find(|p| p.is_file());
    if found.is_none() {
        let msg = "headless Chromium not found (install Debian's `chromium` package, as .ci/run does, or set XK_CHROMIUM)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("note: skipping the browser check: {msg}");
    }
    found
}

/// Runs Chromium headless on `args` with its own profile folder; returns stdout.
async fn run_browser(browser: &Path, profile: &Path, args: &[String]) -> String {
    let out = tokio::time::timeout(
        BROWSER_DEADLINE,
        tokio::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("chromium did not finish in time")
    .expect("chromium could not be started");
    assert!(
        out.status.success(),
        "chromium failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the browser made of a page.
struct Rendered {
    /// The DOM after parsing and layout.
    dom: String,
    /// The screenshot's bytes (PNG).
    png: Vec<u8>,
}

/// Writes `summary` as HTML, loads it in Chromium, returns the DOM and the screenshot.
async fn render_in_browser(browser: &Path, summary: &Summary, name: &str) -> Rendered {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join(format!("{name}.html"));
    let png = dir.path().join(format!("{name}.png"));
    std::fs::write(&html, report::html::render(summary)).unwrap();
    let url = format!("file://{}", html.display());
    let dom = run_browser(
        browser,
        &dir.path().join("profile-dom"),
        &["--dump-dom".to_string(), url.clone()],
    )
    .await;
    run_browser(
        browser,
        &dir.path().join("profile-shot"),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,2400".to_string(),
            url,
        ],
    )
    .await;
    let png_bytes = std::fs::read(&png).expect("chromium wrote no screenshot");
    if let Some(keep) = std::env::var_os("XK_REPORT_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&html, keep.join(format!("{name}.html"))).unwrap();
        std::fs::copy(&png, keep.join(format!("{name}.png"))).unwrap();
    }
    Rendered {
        dom,
        png: png_bytes,
    }
}

/// The width and height of a PNG from its IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(
        png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG"
    );
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// A screenshot that is a real page: the window's size and far more bytes than a blank
/// page compresses to (a blank 1200×2400 PNG is a few kilobytes).
fn assert_non_trivial(png: &[u8]) {
    assert_eq!(png_size(png), (1200, 2400));
    assert!(
        png.len() > 60_000,
        "the screenshot is {} bytes: the page looks blank",
        png.len()
    );
}

#[tokio::test]
async fn the_county_page_renders_with_its_figures_and_charts() {
    let Some(browser) = chromium() else { return };
    let r = render_in_browser(&browser, &report::sample::county(), "county").await;
    for needle in [
        "谷城县",
        "Gucheng County",
        "49,494 人",
        "19,139 户",
        "51,125 人",
        "1.44%",
        "275 户 / 736 人",
        "盛\u{21413}镇",
        "薤山林场",
        "4,013 户 · 7,734 人",
        "1,800.00 亩",
    ] {
        assert!(r.dom.contains(needle), "the rendered page lacks {needle}");
    }
    // Two bars on the registry card, two on each guarantee but water, two township charts
    // at most (one when there is no exception anywhere).
    let charts = r.dom.matches("<svg").count();
    assert!(charts >= 9, "{charts} charts");
    assert!(r.dom.matches("<rect").count() > 40, "charts without bars");
    assert!(r.dom.contains("no exception in any group"));
    assert_non_trivial(&r.png);
}

#[tokio::test]
async fn a_live_partial_summary_renders_with_the_unavailable_section() {
    let Some(browser) = chromium() else { return };
    let mut ts = TestSuite::start().await.unwrap();
    // Two households through the registry's public import: 城关镇 poor (3 people), 石花镇
    // exited (2 people).
    let mut rc = RegistryServiceClient::with_interceptor(
        ts.channel("registry").await.unwrap(),
        ts.bearer(Principal::Bureau(Bureau::PovertyOffice)),
    );
    rc.import_households(tokio_stream::iter(vec![ImportHouseholdsRequest {
        request_id: "report-html-1".into(),
        households: vec![
            common::household(1, "420625100201", 3, ArchiveStatus::Poor),
            common::household(2, "420625101202", 2, ArchiveStatus::Exited),
        ],
    }]))
    .await
    .unwrap();
    // Stop the health service: its section must be UNAVAILABLE, the others empty zeros.
    let at = ts
        .suite
        .hosted
        .iter()
        .position(|h| h.spec.name == "health")
        .unwrap();
    ts.suite.hosted.remove(at).shutdown().await.unwrap();
    let summary = report::fetch(
        &ts.url("aggregator"),
        Some(ts.tokens[&Principal::Aggregator].clone()),
        GetSummaryRequest {
            region_prefix: "420625".into(),
            as_of: Some(Date {
                year: 2019,
                month: 12,
                day: 31,
            }),
            year: 2019,
            group_by: RegionLevel::Township as i32,
            latest_year_with_data: false,
        },
    )
    .await
    .unwrap();
    ts.stop().await.unwrap();
    assert!(!summary.complete);
    let r = render_in_browser(&browser, &summary, "partial").await;
    assert!(r.dom.contains("PARTIAL"));
    let health = r
        .dom
        .split(r#"id="health""#)
        .nth(1)
        .and_then(|c| c.split("</article>").next())
        .expect("no health card");
    assert!(health.contains("UNAVAILABLE"), "{health}");
    assert!(!health.contains("<svg"));
    // The registry's figures and one row per township that has households.
    assert!(r.dom.contains("2 户 · 5 人"), "archive total");
    let table = r
        .dom
        .split("<tbody>")
        .nth(1)
        .and_then(|t| t.split("</tbody>").next())
        .expect("no township table");
    assert_eq!(table.matches("<tr>").count(), 2, "{table}");
    assert!(table.contains("城关镇") && table.contains("石花镇"));
    let total = r.dom.split("<tfoot>").nth(1).expect("no total row");
    assert!(total.contains("<td>5</td>"), "{total}");
    // Health-derived exception cells are unknown, not zero.
    assert!(table.contains(r#"<td class="unknown">—</td>"#));
    // The available sections are there, with their (zero) figures and charts.
    let water = r.dom.split(r#"id="water""#).nth(1).unwrap();
    assert!(water.contains("<svg") && water.contains("0 户 · 0 人"));
    assert_eq!(png_size(&r.png), (1200, 2400));
}

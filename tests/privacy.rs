//! Privacy: a full demo load (every service, every bureau, the aggregator's summary, file
//! and exit checks) with every log line captured (the suite's own crates at DEBUG, the
//! libraries at INFO; JSON, as deployed), and not one
//! whole resident id or whole name of the county in them.

mod common;

use std::collections::HashSet;

use common::capture::Capture;
use tracing_subscriber::EnvFilter;
use xiaokang::demo::load::Progress;
use xiaokang::demo::{County, county_today, run};
use xiaokang::testing::TestSuite;

/// Whole resident ids in `text`: every 18-character window of a run of id characters
/// that is one of `ids`.
fn ids_in(text: &str, ids: &HashSet<&str>) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let is_id_char = |b: u8| b.is_ascii_digit() || b == b'X' || b == b'x';
    let mut i = 0;
    while i < bytes.len() {
        if !is_id_char(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_id_char(bytes[i]) {
            i += 1;
        }
        let run = &text[start..i];
        for w in 0..run.len().saturating_sub(17) {
            let window = run[w..w + 18].to_ascii_uppercase();
            if ids.contains(window.as_str()) {
                found.push(window);
            }
        }
    }
    found
}

/// Whole names in `text`: every substring (2 to 4 characters) of a run of non-ASCII
/// letters that is one of `names`.
fn names_in(text: &str, names: &HashSet<&str>) -> Vec<String> {
    let mut found = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let mut flush = |run: &mut Vec<char>| {
        for len in 2..=4 {
            for w in run.windows(len) {
                let s: String = w.iter().collect();
                if names.contains(s.as_str()) {
                    found.push(s);
                }
            }
        }
        run.clear();
    };
    for c in text.chars() {
        if !c.is_ascii() && c.is_alphabetic() {
            run.push(c);
        } else {
            flush(&mut run);
        }
    }
    flush(&mut run);
    found
}

#[test]
fn the_scanners_find_what_they_look_for() {
    let ids: HashSet<&str> = ["11010519491231002X"].into();
    assert_eq!(ids_in("a 11010519491231002x b", &ids).len(), 1);
    assert!(ids_in("110105********002X", &ids).is_empty());
    let names: HashSet<&str> = ["王伟", "李秀英"].into();
    assert_eq!(
        names_in("户主李秀英已登记", &names),
        vec!["李秀英".to_string()]
    );
    assert!(names_in("王*", &names).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_demo_load_logs_no_whole_resident_id_or_name() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::new(
            "info,xiaokang=debug,xk_runtime=debug,xk_registry=debug,xk_education=debug,\
             xk_health=debug,xk_housing=debug,xk_water=debug,xk_aggregator=debug",
        ))
        .with_writer(capture.clone())
        .try_init()
        .expect("this test binary installs the only subscriber");

    let county = County::generate(xiaokang::demo::DEFAULT_SEED, county_today());
    let suite = TestSuite::start().await.unwrap();
    let outcome = run::load_and_check(
        &county,
        &suite.suite.addrs(),
        &suite.tokens,
        Progress::Hidden,
    )
    .await
    .unwrap();
    assert!(outcome.figures.iter().all(|f| f.holds()));
    suite.stop().await.unwrap();

    let bytes = capture.bytes();
    let text = String::from_utf8_lossy(&bytes);
    let lines = text.lines().count();
    // The load really was logged: a "call done" line for at least every unary call the
    // loader and the checks made (imports, and the aggregator's own upstream calls, come
    // on top), so the scan covers every handler that saw a person.
    let (e, h, o, w) = (
        &county.education,
        &county.health,
        &county.housing,
        &county.water,
    );
    let unary = county.villages.len()
        + e.letters.len()
        + e.visits.len()
        + e.subsidies.len()
        + h.institutions.len()
        + h.cases.iter().map(Vec::len).sum::<usize>()
        + o.sites.len()
        + o.appraisals.len()
        + o.renovations.len()
        + w.schemes.len()
        + county.exited_in_year.len();
    let done = text.lines().filter(|l| l.contains("call done")).count();
    assert!(
        done >= unary,
        "{done} calls logged, {unary} unary calls made"
    );
    let ids: HashSet<&str> = county.identities().map(|(id, _)| id).collect();
    let names: HashSet<&str> = county.identities().map(|(_, n)| n).collect();
    let leaked_ids = ids_in(&text, &ids);
    let leaked_names = names_in(&text, &names);
    println!(
        "scanned {lines} log lines ({} bytes) for {} resident ids and {} names",
        bytes.len(),
        ids.len(),
        names.len()
    );
    assert!(
        leaked_ids.is_empty(),
        "whole resident ids in the logs: {:?}",
        &leaked_ids[..leaked_ids.len().min(5)]
    );
    assert!(
        leaked_names.is_empty(),
        "whole names in the logs: {:?}",
        &leaked_names[..leaked_names.len().min(5)]
    );
}

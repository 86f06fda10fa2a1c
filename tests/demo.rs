//! The acceptance test: the demo county generated and loaded through the public RPCs into
//! the whole suite (in this process, port 0, fresh databases: SQLite, or PostgreSQL with
//! XK_TEST_DATABASE=postgres), then every figure of DOMAIN.md §1 read back from the
//! aggregator's county summary.

use std::collections::HashSet;

#[path = "common/summaries.rs"]
mod summaries;

use xiaokang::demo::load::Progress;
use xiaokang::demo::{County, county_today, published, run};
use xiaokang::testing::TestSuite;

/// The suite's settings: the default ones, with room for the loader's calls. Each
/// service's import is one stream carrying the whole county (49,494 enrolments for
/// health); in a debug build, with this file's tests side by side on a 2-core machine, one
/// ran past the default 30-second bound.
fn loading() -> xk_runtime::ServeSettings {
    xk_runtime::ServeSettings {
        max_call_ms: 180_000,
        ..xk_runtime::ServeSettings::default()
    }
}

/// Loads `county` into `suite` unless it holds one already, and reads its figures back.
async fn load(county: &County, suite: &TestSuite) -> run::DemoOutcome {
    run::load_and_check(
        county,
        &suite.suite.addrs(),
        &suite.tokens,
        Progress::Hidden,
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_county_reproduces_every_published_figure() {
    let county = County::generate(xiaokang::demo::DEFAULT_SEED, county_today());
    let suite = TestSuite::start_with(loading()).await.unwrap();
    let outcome = load(&county, &suite).await;
    println!("{}", run::render(&outcome));
    let failed: Vec<_> = outcome.figures.iter().filter(|f| !f.holds()).collect();
    assert!(
        failed.is_empty(),
        "figures not reproduced:\n{}",
        xiaokang::demo::check::table(&outcome.figures)
    );
    // Every area of the table is checked, and nothing was left unavailable.
    let areas: HashSet<_> = outcome.figures.iter().map(|f| f.area).collect();
    assert_eq!(areas.len(), 5, "{areas:?}");
    assert!(outcome.summary.complete);
    assert!(
        outcome.load.is_some(),
        "the suite was empty, so the county was loaded"
    );

    // The per-township groups add up to the county total (the summary is consistent).
    let reg = outcome.summary.registry.as_ref().unwrap();
    let people: i64 = reg.groups.iter().map(|g| g.archive_people).sum();
    assert_eq!(people, published::ARCHIVE_PEOPLE);
    assert_eq!(reg.groups.len(), 11, "one group per township");

    // Loading again is a replay: the suite is not empty, nothing is loaded twice.
    let again = load(&county, &suite).await;
    assert!(again.load.is_none());
    assert_eq!(again.figures, outcome.figures);

    rollups_agree_with_the_rows(&suite).await;
    suite.stop().await.unwrap();
}

/// A province's option on the demo county (PostgreSQL only): the suite stopped, every
/// service's big tables partitioned by county with `xiaokang migrate NAME
/// --partition-by-county`, the suite started again over the same databases: every
/// published figure still reads back, and the rollups rebuilt over the partitioned tables
/// agree with the rows and with the full scan.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_county_partitioned_by_county_reads_the_same() {
    if xiaokang::testing::TestDb::from_env() != xiaokang::testing::TestDb::Postgres {
        return;
    }
    let county = County::generate(xiaokang::demo::DEFAULT_SEED, county_today());
    let suite = TestSuite::start_with(loading()).await.unwrap();
    let loaded = load(&county, &suite).await;
    let TestSuite {
        suite: running,
        databases,
        tokens,
    } = suite;
    running.shutdown().await.unwrap();
    // `TestSuite` made one database per service, in this order, the aggregator last.
    let names: Vec<&str> = xiaokang::suite::SERVICES
        .iter()
        .chain([&xiaokang::suite::AGGREGATOR])
        .map(|s| s.name)
        .collect();
    let urls: Vec<String> = databases.iter().map(|d| d.url.clone()).collect();
    let url = |name: &str| {
        let at = names.iter().position(|n| *n == name).unwrap();
        urls[at].clone()
    };
    let mut partitioned = 0;
    for spec in xiaokang::suite::SERVICES {
        let tables = xiaokang::suite::partitionable(spec.name);
        if tables.is_empty() {
            continue;
        }
        let settings = (url(spec.name), xk_runtime::ServeSettings::default());
        let code = xiaokang::cli::serve::migrate(spec.name, &settings, false, Some(&[]))
            .await
            .unwrap();
        assert_eq!(code, std::process::ExitCode::SUCCESS, "{}", spec.name);
        let db = xk_runtime::Db::connect(&settings.0, 1).await.unwrap();
        for table in tables {
            assert!(
                xk_runtime::partition::is_partitioned(db.conn(), table.table)
                    .await
                    .unwrap(),
                "{}",
                table.table
            );
            assert_eq!(
                xk_runtime::partition::counties_of(db.conn(), table.table)
                    .await
                    .unwrap(),
                vec!["420625"],
                "{}",
                table.table
            );
            partitioned += 1;
        }
        db.close().await.unwrap();
    }
    assert_eq!(
        partitioned, 7,
        "households, members, enrolments, person years, students, assessments, water statuses"
    );
    let (table, _) = xiaokang::testing::test_tokens();
    let running = xiaokang::suite::start_all(
        url,
        std::net::IpAddr::from([127, 0, 0, 1]),
        xiaokang::suite::Port::Any,
        &xk_runtime::ServeSettings::default(),
        table,
        tokens[&xk_runtime::Principal::Aggregator].clone(),
    )
    .await
    .unwrap();
    let suite = TestSuite {
        suite: running,
        databases,
        tokens,
    };
    let again = load(&county, &suite).await;
    assert!(
        again.load.is_none(),
        "the county was kept, not loaded again"
    );
    assert_eq!(again.figures, loaded.figures);
    assert!(again.figures.iter().all(|f| f.holds()));
    assert!(again.summary.complete);
    // Each service reads its partitioned tables by key through their key tables.
    for hosted in &suite.suite.hosted {
        for table in xiaokang::suite::partitionable(hosted.spec.name) {
            assert_eq!(
                hosted.db().lookup(table.table),
                xk_runtime::partition::Lookup::ThroughKeys,
                "{}",
                table.table
            );
        }
    }
    // The bureaus' unary writes go on over the partitions: each locks its record through
    // the key table and saves it by its village (and every write must still succeed).
    let report = writes_over(&suite).await;
    let run = report.run.unwrap();
    let codes: Vec<(&str, &str, u64)> = run
        .rpcs
        .iter()
        .flat_map(|r| r.codes.iter().map(move |(c, n)| (r.rpc, *c, *n)))
        .collect();
    assert!(codes.iter().all(|(_, c, _)| *c == "OK"), "{codes:?}");
    assert_eq!(run.calls, WRITES_OVER_PARTITIONS);
    assert_eq!(run.rpcs.len(), 5, "{codes:?}");
    rollups_agree_with_the_rows(&suite).await;
    suite.stop().await.unwrap();
}

/// Calls of the unary writes made over the partitioned county.
const WRITES_OVER_PARTITIONS: u64 = 250;

/// RecordIncome, SettleCase, RecordAssessment, RecordVisit and GetHousehold through the
/// load test's engine, on records its warm-up plants.
async fn writes_over(suite: &TestSuite) -> xiaokang::loadtest::Report {
    use xiaokang::loadtest::engine::Load;
    let cfg = xiaokang::loadtest::Config {
        addrs: suite.suite.addrs(),
        tokens: suite.tokens.clone(),
        mix: xiaokang::loadtest::mix::Mix::parse("update=1,settle=1,assess=1,visit=1,get=1")
            .unwrap(),
        load: Load::Concurrency(4),
        // The count ends the run, not the clock.
        duration: std::time::Duration::from_secs(300),
        max_requests: WRITES_OVER_PARTITIONS,
        timeout: std::time::Duration::from_secs(30),
        connections: 1,
        households: 20,
        max_in_flight: 64,
        step: None,
        watch_pids: Vec::new(),
        run_id: xiaokang::loadtest::new_run_id(),
        resolve: Default::default(),
    };
    xiaokang::loadtest::run(&cfg, &xiaokang::loadtest::Quiet)
        .await
        .unwrap()
}

/// Each service's running totals equal its rows (`verify_rollups`), and every
/// SummarizeByRegion answer it gives from them equals the full scan's: a replica over the
/// same database with rollups off reads the rows. Asked for today and a later day (the
/// rollups), and for the published year's last day (before the floor: the rows on both
/// sides).
async fn rollups_agree_with_the_rows(suite: &TestSuite) {
    let today = xk_runtime::clock::today();
    // The published year's last day: long before any floor, so answered from the rows.
    let past = chrono::NaiveDate::from_ymd_opt(published::YEAR, 12, 31).unwrap();
    let dates = [None, Some(today + chrono::Days::new(40)), Some(past)];
    let years = [2018, 2019, 2020];
    let bearer = suite.bearer(xk_runtime::Principal::Aggregator);
    let rows_only = xk_runtime::ServeSettings {
        rollups: false,
        ..xk_runtime::ServeSettings::default()
    };
    for (hosted, database) in suite.suite.hosted.iter().zip(&suite.databases) {
        let spec = hosted.spec;
        if spec.name == xiaokang::suite::AGGREGATOR.name {
            continue;
        }
        let db = hosted.db();
        assert_eq!(db.verify_rollups().await.unwrap(), vec![], "{}", spec.name);
        let floor = db.rollups().unwrap().floor(db.conn()).await.unwrap();
        assert_eq!(
            db.summary_source(&[past]).await.unwrap(),
            xk_runtime::rollup::Source::Rows,
            "{}: {past} is before the floor {floor}",
            spec.name
        );
        assert_eq!(
            db.summary_source(&[today]).await.unwrap(),
            xk_runtime::rollup::Source::Rollups,
            "{}",
            spec.name
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let replica = xiaokang::suite::host(
            spec,
            &database.url,
            &rows_only,
            xiaokang::testing::test_tokens().0,
            listener,
        )
        .await
        .unwrap();
        let ask = |url: String| {
            let bearer = bearer.clone();
            async move {
                let channel = xiaokang::client::channel(&url).unwrap();
                summaries::every_summary(spec.name, channel, bearer, &dates, &years).await
            }
        };
        let from_rollups = ask(hosted.url()).await;
        let from_rows = ask(replica.url()).await;
        replica.shutdown().await.unwrap();
        assert!(from_rollups.len() >= 6, "{}", spec.name);
        for ((label, a), (_, b)) in from_rollups.iter().zip(&from_rows) {
            assert!(
                a == b,
                "{label}: the rollups' answer differs from the rows'"
            );
        }
    }
}

/// A bulk import is fastest in primary-key order (README, "Growth"): the generator lists
/// each keyed import that way, so every load of the demo county appends to its indexes.
#[test]
fn the_generated_imports_are_in_primary_key_order() {
    let county = County::generate(7, county_today());
    let sorted = |keys: Vec<(String, i32)>| keys.windows(2).all(|w| w[0] < w[1]);
    let enrolments = county
        .health
        .enrolments
        .iter()
        .map(|e| (e.resident_id.clone(), e.coverage_year))
        .collect::<Vec<_>>();
    assert!(enrolments.len() > 40_000);
    assert!(sorted(enrolments), "enrolments by (resident id, year)");
    let students = county.education.students.iter();
    let students = students.map(|s| (s.resident_id.clone(), 0)).collect();
    assert!(sorted(students), "students by resident id");
    let households = county.households.iter();
    let households = households.map(|h| (h.household_id.clone(), 0)).collect();
    assert!(sorted(households), "households by archive card number");
    let patients: Vec<_> = county
        .health
        .cases
        .iter()
        .map(|cases| cases[0].hospital_case.as_ref().unwrap().resident_id.clone())
        .collect();
    assert!(
        patients.windows(2).all(|w| w[0] <= w[1]),
        "cases by patient"
    );
}

#[test]
fn the_generator_is_deterministic_and_sized_by_the_published_figures() {
    let today = county_today();
    let a = County::generate(7, today);
    let b = County::generate(7, today);
    assert_eq!(a.households, b.households);
    assert_eq!(a.education.students, b.education.students);
    let c = County::generate(8, today);
    assert_ne!(a.households, c.households);

    // Independent count over the generated records (not the services).
    let ids: HashSet<_> = a.identities().map(|(id, _)| id.to_string()).collect();
    let members = a.households.iter().map(|h| h.members.len()).sum::<usize>();
    assert_eq!(ids.len(), members, "resident ids never repeat");
    let today_ = today;
    for id in &ids {
        xk_contracts::types::ResidentId::parse(id, today_).unwrap();
    }
    assert_eq!(
        a.villages.len() as i64,
        published::VILLAGES + published::COMMUNITIES
    );
    assert_eq!(
        a.exited_in_year.len() as i64,
        published::EXITED_2019_HOUSEHOLDS
    );
    assert_eq!(
        a.housing
            .relocations
            .iter()
            .map(|r| i64::from(r.members))
            .sum::<i64>(),
        published::RELOCATED_PEOPLE
    );
    assert_eq!(
        a.housing
            .relocations
            .iter()
            .map(|r| r.old_house.as_ref().map_or(0, |o| o.reclaimed_centi_mu))
            .sum::<i64>(),
        published::RECLAIMED_CENTI_MU
    );
}

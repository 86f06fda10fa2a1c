//! The acceptance test: the demo county generated and loaded through the public RPCs into
//! the whole suite (in this process, port 0, fresh databases: SQLite, or PostgreSQL with
//! XK_TEST_DATABASE=postgres), then every figure of DOMAIN.md §1 read back from the
//! aggregator's county summary.

use std::collections::HashSet;

use xiaokang::demo::load::Progress;
use xiaokang::demo::{County, county_today, published, run};
use xiaokang::testing::TestSuite;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_county_reproduces_every_published_figure() {
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
    let again = run::load_and_check(
        &county,
        &suite.suite.addrs(),
        &suite.tokens,
        Progress::Hidden,
    )
    .await
    .unwrap();
    assert!(again.load.is_none());
    assert_eq!(again.figures, outcome.figures);
    suite.stop().await.unwrap();
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

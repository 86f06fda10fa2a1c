//! CheckExitEligibility judges income against the poverty line of the registry it calls —
//! the book that registry was started with, read through GetPolicy — not a copy of the
//! registry's built-in book.

use std::time::Duration;

use tonic::Code;
use xiaokang::testing::test_tokens;
use xk_aggregator::Upstream;
use xk_contracts::pb::aggregator::v1::*;
use xk_contracts::pb::registry::v1::{GetPolicyRequest, Policy};
use xk_runtime::{Principal, ServeSettings};

use crate::common;
use crate::county::{County, YEAR, load};
use crate::support::{agg, start_aggregator, start_aggregator_with};

/// HH1's per-capita income of [`YEAR`] as the county loads it.
const HH1_INCOME_FEN: i64 = 500_000;

/// A policy book that starts in 2015 with a poverty line above HH1's income.
const RAISED_LINE_BOOK: &str = "
[2015]
poverty_line_fen = 600000
monitoring_line_fen = 900000
monitoring_alert_days = 45
poor_village_collective_income_fen = 7000000
sudden_hardship_from_year = 2022
earliest_identified_year = 2015
";

/// The results of a check, by criterion name.
fn results(r: &CheckExitEligibilityResponse) -> Vec<(String, CriterionResult)> {
    r.criteria
        .iter()
        .map(|c| (c.name.clone(), CriterionResult::try_from(c.result).unwrap()))
        .collect()
}

async fn check(
    c: &mut crate::support::Agg,
    year: i32,
) -> Result<CheckExitEligibilityResponse, tonic::Status> {
    c.check_exit_eligibility(CheckExitEligibilityRequest {
        household_id: "HH000001".into(),
        year,
    })
    .await
    .map(|r| r.into_inner())
}

#[tokio::test]
async fn exit_eligibility_follows_the_policy_file_the_registry_was_started_with() {
    let built_in = xk_registry::policy::load(None).unwrap();
    let built_in_line = built_in.for_year(YEAR).unwrap().poverty_line_fen;
    assert!(
        built_in_line <= HH1_INCOME_FEN && HH1_INCOME_FEN < 600_000,
        "HH1 must lie between the two lines"
    );
    let county = County::start().await;
    load(&county).await;

    // The same archive served by a second registry that was given another policy file.
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("registry-policy.toml");
    std::fs::write(&book, RAISED_LINE_BOOK).unwrap();
    let raised = county
        .registry
        .replica(ServeSettings {
            policy_file: Some(book),
            ..ServeSettings::default()
        })
        .await
        .unwrap();

    // GetPolicy answers from the file: the entry in force, every figure.
    let mut reg = common::client_with_url(
        &raised.url(),
        Some(&test_tokens().1[&Principal::Aggregator]),
    )
    .await;
    let p = reg
        .get_policy(GetPolicyRequest { year: YEAR })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(p.effective_year, 2015);
    assert_eq!(
        p.policy,
        Some(Policy {
            poverty_line_fen: 600_000,
            monitoring_line_fen: 900_000,
            monitoring_alert_days: 45,
            poor_village_collective_income_fen: 7_000_000,
            sudden_hardship_from_year: 2022,
            earliest_identified_year: 2015,
        })
    );
    // Before the book's first entry there is no line; a year no calendar has is bad input.
    let before = reg
        .get_policy(GetPolicyRequest { year: 2014 })
        .await
        .unwrap_err();
    assert_eq!(before.code(), Code::InvalidArgument);
    assert_eq!(common::violated_fields(&before), ["year"]);
    assert!(
        before.message().contains("starts in 2015"),
        "{}",
        before.message()
    );
    for year in [0, -1, 10_000] {
        let bad = reg.get_policy(GetPolicyRequest { year }).await.unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument, "{year}");
        assert_eq!(common::violated_fields(&bad), ["year"], "{year}");
    }
    // The built-in book, from the registry started without a file.
    let mut default_reg = common::client(&county.registry, Principal::Aggregator).await;
    let p = default_reg
        .get_policy(GetPolicyRequest { year: YEAR })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (p.effective_year, p.policy.unwrap().poverty_line_fen),
        (2019, built_in_line)
    );

    // One aggregator per registry: HH1 is eligible under the built-in line and not under
    // the file's; only the income criterion changes.
    let by_default = start_aggregator(county.urls(), Duration::from_secs(5)).await;
    let token = test_tokens().1[&Principal::Aggregator].clone();
    let mut upstream = Upstream::single(county.urls(), token);
    upstream.registry = vec![raised.url()];
    let by_file = start_aggregator_with(upstream).await;
    let default_check = check(&mut agg(&by_default, Principal::Admin).await, YEAR)
        .await
        .unwrap();
    let mut c = agg(&by_file, Principal::Admin).await;
    let file_check = check(&mut c, YEAR).await.unwrap();
    assert!(default_check.eligible, "{default_check:?}");
    assert_eq!(default_check.poverty_line_fen, built_in_line);
    assert!(!file_check.eligible, "{file_check:?}");
    assert_eq!(file_check.poverty_line_fen, 600_000);
    let by_line = results(&file_check);
    assert_eq!(by_line[0], ("INCOME".to_string(), CriterionResult::NotMet));
    assert_eq!(by_line[1..], results(&default_check)[1..]);
    assert!(file_check.criteria[0].detail.contains("600000"));

    // A year before the file's first entry: the aggregator passes the refusal on.
    let err = check(&mut c, 2014).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(common::violated_fields(&err), ["year"]);

    by_file.stop().await.unwrap();
    by_default.stop().await.unwrap();
    raised.shutdown().await.unwrap();
    county.stop().await;
}

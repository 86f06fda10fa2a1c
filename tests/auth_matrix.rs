//! The auth matrix: every RPC of every service, enumerated from the embedded descriptor
//! set (a new RPC is covered without touching this file), called with no token, an
//! unknown token and each of the seven principals' tokens.
//!
//! Expected, independently of each service's `read_methods` list: an RPC whose request
//! carries a `request_id` is a write (the contract convention), which only the owning
//! bureau and admin may call; any other RPC is a read, which the owning bureau, the
//! aggregator and admin may call. The aggregator's own RPCs are for admin and the
//! aggregator only. No token or an unknown one is UNAUTHENTICATED, a refused principal
//! PERMISSION_DENIED. An allowed principal's minimal (empty) request may well be
//! INVALID_ARGUMENT or NOT_FOUND — auth passed — but never UNAUTHENTICATED or
//! PERMISSION_DENIED. Nothing is written by a refusal: every service's audit and
//! idempotency tables are empty afterwards, and a well-formed CreateHousehold from each
//! refused principal leaves the registry empty.

mod common;

use std::time::Duration;

use common::count_rows;
use prost::bytes::Bytes;
use tonic::Code;
use xiaokang::testing::TestSuite;
use xk_runtime::{Principal, ServiceSpec};

/// Who calls, as a row label and the bearer it sends.
fn callers(suite: &TestSuite) -> Vec<(String, Option<Principal>, Option<String>)> {
    let mut out = vec![
        ("no token".to_string(), None, None),
        (
            "bad token".to_string(),
            None,
            Some("not-a-token-of-this-suite-000000".to_string()),
        ),
    ];
    for p in Principal::ALL {
        out.push((
            p.name().to_string(),
            Some(p),
            Some(suite.tokens[&p].clone()),
        ));
    }
    out
}

/// Every service the suite hosts, the aggregator included.
fn specs() -> Vec<ServiceSpec> {
    xiaokang::suite::SERVICES
        .iter()
        .copied()
        .chain(std::iter::once(xiaokang::suite::AGGREGATOR))
        .collect()
}

/// Whether `p` may call `rpc` of `spec`, by the rule in the module doc.
fn expected_allowed(spec: &ServiceSpec, rpc: &common::raw::Rpc, p: Principal) -> bool {
    match (spec.owner, p) {
        (_, Principal::Admin) => true,
        (None, Principal::Aggregator) => true,
        (None, Principal::Bureau(_)) => false,
        (Some(_), Principal::Aggregator) => !rpc.is_write(),
        (Some(owner), Principal::Bureau(b)) => owner == b,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_times_every_caller_gets_the_documented_answer() {
    let suite = TestSuite::start().await.unwrap();
    let rpcs = common::raw::all_rpcs();
    let callers = callers(&suite);
    let mut cases = 0;
    let mut allowed = 0;
    let mut failures = Vec::new();
    for spec in specs() {
        let mine: Vec<_> = rpcs
            .iter()
            .filter(|r| r.service == spec.grpc_name)
            .collect();
        assert!(!mine.is_empty(), "{} has RPCs in the descriptor", spec.name);
        let ch = suite.channel(spec.name).await.unwrap();
        for rpc in mine {
            // The service's own read list agrees with the contract convention.
            if spec.owner.is_some() {
                assert_eq!(
                    spec.read_methods.contains(&rpc.method.as_str()),
                    !rpc.is_write(),
                    "{}: read_methods and request_id disagree",
                    rpc.path()
                );
            }
            for (label, principal, token) in &callers {
                let md: Vec<(&'static str, String)> = token
                    .iter()
                    .map(|t| ("authorization", format!("Bearer {t}")))
                    .collect();
                let got = common::raw::call(
                    ch.clone(),
                    &rpc.path(),
                    rpc.client_streaming,
                    rpc.server_streaming,
                    vec![Bytes::new()],
                    &md,
                    Some(Duration::from_secs(10)),
                )
                .await;
                let code = got.err().map(|s| s.code()).unwrap_or(Code::Ok);
                cases += 1;
                let ok = match principal {
                    None => code == Code::Unauthenticated,
                    Some(p) if expected_allowed(&spec, rpc, *p) => {
                        allowed += 1;
                        !matches!(
                            code,
                            Code::Unauthenticated | Code::PermissionDenied | Code::Internal
                        )
                    }
                    Some(_) => code == Code::PermissionDenied,
                };
                if !ok {
                    failures.push(format!("{} as {label}: {code:?}", rpc.path()));
                }
            }
        }
    }
    eprintln!(
        "auth matrix: {cases} cases ({allowed} allowed, {} refused) over {} RPCs",
        cases - allowed,
        cases / callers.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // A well-formed write from every refused caller: refused, and nothing written.
    let h = common::household(
        1,
        "420625100201",
        2,
        xk_contracts::pb::registry::v1::ArchiveStatus::Poor,
    );
    for (label, principal, token) in &callers {
        if principal.is_some_and(|p| expected_allowed(&xk_registry::SPEC, &write_rpc(), p)) {
            continue;
        }
        let mut c = common::client_with_url(&suite.url("registry"), token.as_deref()).await;
        let err = common::create(&mut c, &format!("refused-{label}"), h.clone())
            .await
            .expect_err(label);
        assert!(
            matches!(err.code(), Code::Unauthenticated | Code::PermissionDenied),
            "{label}: {err:?}"
        );
        cases += 1;
    }
    let mut admin = common::client_with_url(
        &suite.url("registry"),
        Some(&suite.tokens[&Principal::Admin]),
    )
    .await;
    assert!(
        common::all_ids(&mut admin).await.is_empty(),
        "a refused write wrote"
    );

    // Nothing any of those calls did left an audit row or an idempotency key.
    for (spec, db) in specs().iter().zip(&suite.databases) {
        if spec.owner.is_none() {
            continue;
        }
        for table in ["audit_log", "idempotency_keys"] {
            assert_eq!(count_rows(&db.url, table).await, 0, "{} {table}", spec.name);
        }
    }
    eprintln!("auth matrix: {cases} cases in all");
    suite.stop().await.unwrap();
}

/// CreateHousehold as the descriptor describes it (a write).
fn write_rpc() -> common::raw::Rpc {
    common::raw::all_rpcs()
        .into_iter()
        .find(|r| r.method == "CreateHousehold")
        .unwrap()
}

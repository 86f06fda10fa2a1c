//! `xiaokang up` binds every port of the suite before it starts a service: a port already
//! taken stops it before anything serves or touches a database.

use std::sync::Arc;

use xiaokang::suite::{Port, start_all};
use xk_runtime::{ServeSettings, TokenTable};

#[tokio::test]
async fn a_taken_port_stops_the_suite_before_any_service_starts() {
    // A loopback address of its own: the default ports on 127.0.0.1 may be in use.
    let bind: std::net::IpAddr = format!(
        "127.{}.{}.{}",
        rand::random_range(100..200),
        rand::random_range(0..=255),
        rand::random_range(1..255)
    )
    .parse()
    .unwrap();
    // The last port the suite would need: the aggregator's admin listener.
    let aggregator_admin = xiaokang::suite::admin_port(&xiaokang::suite::AGGREGATOR);
    let _taken = tokio::net::TcpListener::bind((bind, aggregator_admin))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();

    let started = start_all(
        |name| format!("sqlite://{}/{name}.db", data.display()),
        bind,
        Port::Default,
        &ServeSettings::default(),
        Arc::new(TokenTable::default()),
        "aggregator-token".into(),
    )
    .await;

    let err = format!("{:#}", started.err().expect("the port is taken"));
    assert!(
        err.contains("aggregator") && err.contains(&aggregator_admin.to_string()),
        "{err}"
    );
    let files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        files.is_empty(),
        "no service may have opened its database: {files:?}"
    );
    // Nothing bound earlier is kept: the registry's port is free again.
    let registry = xiaokang::suite::spec("registry").unwrap();
    assert!(
        tokio::net::TcpListener::bind((bind, registry.default_port))
            .await
            .is_ok()
    );
}

/// `serve` binds its admin port with its gRPC port, before it opens the database.
#[tokio::test]
async fn serve_stops_on_a_taken_admin_port_before_it_opens_the_database() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = taken.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("registry.db");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_xiaokang"))
        .args(["serve", "registry", "--listen", "127.0.0.1:0"])
        .args(["--admin-listen", &admin.to_string()])
        .args([
            "--database-url",
            &format!("sqlite://{}", database.display()),
        ])
        .env_remove("XK_TOKENS_FILE")
        .env("XK_TOKEN_ADMIN", "up-ports-admin-token")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success(), "a taken admin port must stop serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("admin listener of registry") && stderr.contains(&admin.to_string()),
        "{stderr}"
    );
    assert!(!database.exists(), "the database was opened");
}

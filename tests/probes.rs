//! The admin listener's probes: `/livez` and `/readyz` answer while the gRPC port sheds
//! load, `/readyz` follows shutdown and the database, `/livez` only the process.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use xiaokang::testing::{TestDb, TestService, admin_get, settings_with_admin};
use xk_contracts::pb::registry::v1::*;
use xk_runtime::ServeSettings;

const V1: &str = "420625100201";
const PROBE_BUDGET: Duration = Duration::from_millis(100);

/// Opens an import and leaves it open: it holds one call slot until `tx` is dropped.
fn hold_an_import(
    c: &Client,
) -> (
    tokio::sync::mpsc::Sender<ImportHouseholdsRequest>,
    tokio::task::JoinHandle<Result<tonic::Response<ImportHouseholdsResponse>, tonic::Status>>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel::<ImportHouseholdsRequest>(1);
    let mut importer = c.clone();
    let import = tokio::spawn(async move {
        importer
            .import_households(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    (tx, import)
}

/// Polls `path` until it answers `status` (or fails after `within`); the body.
async fn wait_for_status(
    admin: std::net::SocketAddr,
    path: &str,
    status: u16,
    within: Duration,
) -> String {
    let deadline = Instant::now() + within;
    loop {
        let (got, body) = admin_get(admin, path).await.unwrap();
        if got == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{path} still {got} {body:?} after {within:?}, wanted {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn probes_answer_quickly_while_the_grpc_port_sheds() {
    let svc = TestService::start_with(
        xk_registry::SPEC,
        ServeSettings {
            concurrency_limit: 1,
            ..settings_with_admin()
        },
    )
    .await
    .unwrap();
    let admin = svc.hosted.admin_addr.expect("admin listener");
    let c = client(&svc, OFFICE).await;
    let (tx, import) = hold_an_import(&c);

    // Callers hammering the gRPC port; every call past the held import is shed.
    let stop = Arc::new(AtomicBool::new(false));
    let shed = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for n in 0..4 {
        let (stop, shed, mut c) = (stop.clone(), shed.clone(), c.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let answer = c
                    .get_household(GetHouseholdRequest {
                        household_id: format!("HH00000{n}"),
                    })
                    .await;
                if let Err(s) = answer
                    && s.code() == Code::ResourceExhausted
                {
                    shed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while shed.load(Ordering::Relaxed) < 20 {
        assert!(Instant::now() < deadline, "the port never shed");
        tokio::task::yield_now().await;
    }

    let mut health = HealthClient::new(svc.channel().await.unwrap());
    for _ in 0..5 {
        for path in ["/livez", "/readyz"] {
            let started = Instant::now();
            let (status, body) = admin_get(admin, path).await.unwrap();
            let took = started.elapsed();
            assert_eq!(status, 200, "{path}: {body}");
            assert!(took < PROBE_BUDGET, "{path} took {took:?} under load");
        }
        let started = Instant::now();
        let answer = health
            .check(HealthCheckRequest {
                service: xk_registry::SPEC.grpc_name.into(),
            })
            .await
            .unwrap()
            .into_inner();
        let took = started.elapsed();
        assert_eq!(answer.status, ServingStatus::Serving as i32);
        assert!(took < PROBE_BUDGET, "gRPC health took {took:?} under load");
    }
    let shed_during_probes = shed.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    assert!(shed_during_probes >= 20, "shed {shed_during_probes}");
    drop(tx);
    let _ = import.await.unwrap();
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn readyz_turns_503_the_moment_shutdown_begins() {
    let svc = TestService::start_with(
        xk_registry::SPEC,
        ServeSettings {
            shutdown_grace_ms: 3_000,
            ..settings_with_admin()
        },
    )
    .await
    .unwrap();
    let admin = svc.hosted.admin_addr.expect("admin listener");
    assert_eq!(
        admin_get(admin, "/readyz").await.unwrap(),
        (200, "ready\n".into())
    );
    // An open call keeps the shutdown in its grace period while the probes are read.
    let c = client(&svc, OFFICE).await;
    let (tx, import) = hold_an_import(&c);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !admin_get(admin, "/metrics")
        .await
        .unwrap()
        .1
        .contains("xk_rpc_in_flight{service=\"registry\",method=\"ImportHouseholds\"} 1")
    {
        assert!(Instant::now() < deadline, "the import never started");
        tokio::task::yield_now().await;
    }
    let TestService {
        hosted, database, ..
    } = svc;
    let shutdown = tokio::spawn(hosted.shutdown());
    let body = wait_for_status(admin, "/readyz", 503, Duration::from_secs(1)).await;
    assert_eq!(body, "not ready: shutting down\n");
    assert_eq!(
        admin_get(admin, "/livez").await.unwrap(),
        (200, "ok\n".into())
    );
    drop(tx);
    let _ = import.await.unwrap();
    shutdown.await.unwrap().unwrap();
    assert!(
        admin_get(admin, "/livez").await.is_err(),
        "the admin listener stops with the service"
    );
    database.drop_now().await.unwrap();
}

#[tokio::test]
async fn readyz_follows_the_database_and_livez_does_not() {
    if TestDb::from_env() == TestDb::Sqlite {
        // An embedded SQLite file cannot go away under open connections: the pool keeps
        // its file descriptors, so unlinking or chmod-ing the file changes nothing the
        // service sees. The database-down path is exercised on PostgreSQL.
        eprintln!("skipped on SQLite: run with XK_TEST_DATABASE=postgres");
        return;
    }
    let svc = TestService::start_with(
        xk_registry::SPEC,
        ServeSettings {
            health_interval_ms: 100,
            ..settings_with_admin()
        },
    )
    .await
    .unwrap();
    let admin = svc.hosted.admin_addr.expect("admin listener");
    let mut c = client(&svc, OFFICE).await;
    create(&mut c, "p1", household(1, V1, 2, ArchiveStatus::Poor))
        .await
        .unwrap();
    assert_eq!(admin_get(admin, "/readyz").await.unwrap().0, 200);

    let name = svc.database.url.rsplit('/').next().unwrap().to_string();
    let pg_admin = postgres_admin().await;
    use sea_orm::ConnectionTrait;
    pg_admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
        ))
        .await
        .unwrap();
    pg_admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    let body = wait_for_status(admin, "/readyz", 503, Duration::from_secs(10)).await;
    assert_eq!(body, "not ready: database not answering\n");
    assert_eq!(
        admin_get(admin, "/livez").await.unwrap(),
        (200, "ok\n".into())
    );

    pg_admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    assert_eq!(
        wait_for_status(admin, "/readyz", 200, Duration::from_secs(15)).await,
        "ready\n",
        "ready again once the database is back"
    );
    pg_admin.close().await.unwrap();
    svc.stop().await.unwrap();
}

async fn postgres_admin() -> sea_orm::DatabaseConnection {
    sea_orm::Database::connect(xiaokang::testing::pg_url("postgres"))
        .await
        .unwrap()
}

#[tokio::test]
async fn readyz_is_503_while_a_migration_is_pending() {
    let svc = TestService::start_with(
        xk_registry::SPEC,
        ServeSettings {
            health_interval_ms: 100,
            ..settings_with_admin()
        },
    )
    .await
    .unwrap();
    let admin = svc.hosted.admin_addr.expect("admin listener");
    assert_eq!(admin_get(admin, "/readyz").await.unwrap().0, 200);
    // Forget the newest applied migration behind the service's back: the schema it
    // serves is no longer the one its binary expects.
    use sea_orm::ConnectionTrait;
    let direct = sea_orm::Database::connect(svc.database.url.replace("?mode=rwc", ""))
        .await
        .unwrap();
    direct
        .execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = \
             (SELECT MAX(version) FROM seaql_migrations)",
        )
        .await
        .unwrap();
    direct.close().await.unwrap();
    let body = wait_for_status(admin, "/readyz", 503, Duration::from_secs(10)).await;
    assert_eq!(body, "not ready: database migrations pending\n");
    assert_eq!(
        admin_get(admin, "/livez").await.unwrap(),
        (200, "ok\n".into())
    );
    svc.stop().await.unwrap();
}

//! `xiaokang bench registry`: the registry measured against what this machine allows, in
//! one run, so the ratios hold on a noisy machine.
//!
//! - Import: ImportHouseholds (gRPC, batches, idempotency, audit) of a demo-sized archive
//!   (19,139 households / 49,494 people) vs a raw sqlx multi-row insert of the very same
//!   rows into the same schema of a fresh database, in one transaction.
//! - Reads: GetHousehold at a fixed concurrency vs a bare tonic server (the standard
//!   health service's Check, no layers, no database) driven by the same client code over
//!   the same number of connections.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use prost::Message;
use tokio::net::TcpListener;
use tonic::transport::Endpoint;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::registry::v1::*;
use xk_runtime::{Bureau, Principal, ServeSettings};

use super::baselines;
use super::measure::{Latency, channels, drive};
use crate::testing::{Bearer, TestDatabase, TestDb, test_tokens};

/// Options of the registry benchmark.
#[derive(Debug, clap::Args)]
pub struct RegistryBenchArgs {
    /// `sqlite` (default) or `postgres` (uses XK_TEST_PG_URL, default the local server).
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Households in the archive (the demo county has 19,139).
    #[arg(long, default_value_t = 19_139)]
    pub households: u32,
    /// People in the archive (the demo county has 49,494).
    #[arg(long, default_value_t = 49_494)]
    pub people: u32,
    /// Households per import batch.
    #[arg(long, default_value_t = 2_000)]
    pub batch: usize,
    /// Concurrent calls in the read benchmark.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// HTTP/2 connections the concurrent calls share.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Seconds each read benchmark runs (after a one-second warm-up).
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Database connections of the service under test.
    #[arg(long, default_value_t = ServeSettings::default().db_pool)]
    pub db_pool: u32,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

macro_rules! raw_insert {
    ($name:ident, $db:ty) => {
        async fn $name(pool: &sea_orm::sqlx::Pool<$db>, archive: &[Household]) -> anyhow::Result<()> {
            use sea_orm::sqlx::QueryBuilder;
            let mut tx = pool.begin().await?;
            let now = chrono::Utc::now();
            for chunk in archive.chunks(250) {
                let mut q = QueryBuilder::<$db>::new(
                    "INSERT INTO households (household_id, village_code, status, identified_year, exited_year, people, monitoring_category, monitoring_stage, monitoring_identified_on, version, doc, updated_at) ",
                );
                q.push_values(chunk, |mut b, h| {
                    b.push_bind(h.household_id.clone())
                        .push_bind(h.village_code.clone())
                        .push_bind(h.status)
                        .push_bind(h.identified_year)
                        .push_bind(h.exited_year)
                        .push_bind(h.members.len() as i32)
                        .push_bind(0i32)
                        .push_bind(0i32)
                        .push_bind(None::<NaiveDate>)
                        .push_bind(1i64)
                        .push_bind(h.encode_to_vec())
                        .push_bind(now);
                });
                q.build().execute(&mut *tx).await?;
            }
            let members: Vec<(&Household, &Member)> = archive
                .iter()
                .flat_map(|h| h.members.iter().map(move |m| (h, m)))
                .collect();
            for chunk in members.chunks(1000) {
                let mut q = QueryBuilder::<$db>::new(
                    "INSERT INTO members (resident_id, household_id, village_code, registered_year, removed) ",
                );
                q.push_values(chunk, |mut b, (h, m)| {
                    b.push_bind(m.resident_id.clone())
                        .push_bind(h.household_id.clone())
                        .push_bind(h.village_code.clone())
                        .push_bind(m.registered_year)
                        .push_bind(false);
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        }
    };
}

raw_insert!(raw_insert_sqlite, sea_orm::sqlx::Sqlite);
raw_insert!(raw_insert_postgres, sea_orm::sqlx::Postgres);

/// What one registry benchmark run measured.
pub struct RegistryFigures {
    /// `sqlite` or `postgres`.
    pub kind: &'static str,
    /// Households in the archive.
    pub households: usize,
    /// People in the archive.
    pub people: usize,
    /// Seconds the raw sqlx insert took.
    pub raw_secs: f64,
    /// Seconds ImportHouseholds took.
    pub import_secs: f64,
    /// Seconds the database took to generate and insert the same rows itself.
    pub server_secs: f64,
    /// PostgreSQL: whether the benchmark's own connections talk TLS (the server says).
    pub tls: Option<bool>,
    /// PostgreSQL: seconds of the raw insert with `sslmode=require` and with
    /// `sslmode=disable`, one after the other on fresh databases.
    pub raw_tls_vs_plain_secs: Option<(f64, f64)>,
    /// The row GetHousehold reads, selected through a raw pool of the service's size.
    pub point_select: Latency,
    /// Bare tonic echo at the concurrency.
    pub echo: Latency,
    /// GetHousehold at the concurrency.
    pub get: Latency,
    /// GetHousehold with the metrics layer on and off, in interleaved rounds.
    pub metrics_overhead: super::overhead::MetricsOverhead,
    /// The service's own health Check through its layers.
    pub layered: Latency,
}

impl RegistryFigures {
    /// Raw insert, people per second.
    pub fn raw_rate(&self) -> f64 {
        self.people as f64 / self.raw_secs
    }
    /// ImportHouseholds, people per second.
    pub fn import_rate(&self) -> f64 {
        self.people as f64 / self.import_secs
    }
    /// The server-side insert, people per second (member rows; households ride along as
    /// in the raw insert).
    pub fn server_rate(&self) -> f64 {
        self.people as f64 / self.server_secs
    }
    /// The transport of the PostgreSQL figures: `TLS`, `plaintext`, or `-` on SQLite.
    pub fn transport(&self) -> &'static str {
        match self.tls {
            Some(true) => "TLS",
            Some(false) => "plaintext",
            None => "-",
        }
    }
}

/// Runs `work` on a fresh, migrated registry database (PostgreSQL with `sslmode` when
/// given) and drops the database afterwards.
async fn timed_on_fresh(
    kind: TestDb,
    sslmode: Option<&str>,
    work: impl AsyncFnOnce(&xk_runtime::Db) -> anyhow::Result<f64>,
) -> anyhow::Result<f64> {
    let fresh = TestDatabase::create_as(kind, "bench_base").await?;
    let url = match sslmode {
        Some(mode) => crate::testing::with_sslmode(&fresh.url, mode),
        None => fresh.url.clone(),
    };
    let db = xk_runtime::Db::connect(&url, 4).await?;
    crate::suite::migrate(xk_registry::SPEC, db.clone(), &ServeSettings::default()).await?;
    let secs = work(&db).await?;
    db.close().await?;
    fresh.drop_now().await?;
    Ok(secs)
}

/// Runs the measurements of the registry benchmark on one database.
pub async fn measure(args: &RegistryBenchArgs) -> anyhow::Result<RegistryFigures> {
    let (kind, db_kind) = match args.database.as_str() {
        "sqlite" => ("sqlite", TestDb::Sqlite),
        "postgres" | "postgresql" => ("postgres", TestDb::Postgres),
        other => anyhow::bail!("--database must be sqlite or postgres, got {other}"),
    };
    let archive = crate::fixtures::registry::synthetic_archive(args.households, args.people);
    let people: usize = archive.iter().map(|h| h.members.len()).sum();
    eprintln!(
        "archive: {} households / {people} people; database: {kind}; build: {}",
        archive.len(),
        if cfg!(debug_assertions) {
            "DEBUG (use --release for real figures)"
        } else {
            "release"
        }
    );

    // 1. Raw insert into a fresh, migrated database.
    let raw_db = TestDatabase::create_as(db_kind, "bench_raw").await?;
    let db = xk_runtime::Db::connect(&raw_db.url, 4).await?;
    crate::suite::migrate(xk_registry::SPEC, db.clone(), &ServeSettings::default()).await?;
    let started = Instant::now();
    match kind {
        "sqlite" => raw_insert_sqlite(db.conn().get_sqlite_connection_pool(), &archive).await?,
        _ => raw_insert_postgres(db.conn().get_postgres_connection_pool(), &archive).await?,
    }
    let raw_secs = started.elapsed().as_secs_f64();
    let tls = baselines::tls_in_use(&db).await?;
    db.close().await?;
    raw_db.drop_now().await?;

    // 1b. The database inserting the same rows by itself: its own limit.
    let doc_bytes = archive.iter().map(|h| h.encoded_len()).sum::<usize>() / archive.len().max(1);
    let generated = baselines::GeneratedRows {
        households: archive.len() as u32,
        people: people as u32,
        doc_bytes,
    };
    let server_secs = timed_on_fresh(db_kind, None, async |db| {
        baselines::server_side_insert(db, generated).await
    })
    .await?;

    // 1c. PostgreSQL: the raw insert over TLS and in plaintext, each on a fresh database.
    let raw_tls_vs_plain_secs = if db_kind == TestDb::Postgres {
        let mut secs = [0.0; 2];
        for (slot, mode) in secs.iter_mut().zip(["require", "disable"]) {
            *slot = timed_on_fresh(db_kind, Some(mode), async |db| {
                let started = Instant::now();
                raw_insert_postgres(db.conn().get_postgres_connection_pool(), &archive).await?;
                Ok(started.elapsed().as_secs_f64())
            })
            .await?;
        }
        Some((secs[0], secs[1]))
    } else {
        None
    };

    // 2. ImportHouseholds through the real service.
    let svc_db = TestDatabase::create_as(db_kind, "bench_registry").await?;
    let (table, tokens) = test_tokens();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let settings = ServeSettings {
        db_pool: args.db_pool,
        ..ServeSettings::default()
    }
    .with_call_limit(1024);
    let hosted =
        crate::suite::host(xk_registry::SPEC, &svc_db.url, &settings, table, listener).await?;
    let url = hosted.url();
    xk_runtime::server::wait_until_serving(
        &url,
        xk_registry::SPEC.grpc_name,
        Duration::from_secs(10),
    )
    .await?;
    let office = Bearer(Some(
        tokens[&Principal::Bureau(Bureau::PovertyOffice)].clone(),
    ));
    let mut client = RegistryServiceClient::with_interceptor(
        Endpoint::from_shared(url.clone())?.connect().await?,
        office.clone(),
    )
    .max_encoding_message_size(64 * 1024 * 1024);
    let batches: Vec<ImportHouseholdsRequest> = archive
        .chunks(args.batch.max(1))
        .enumerate()
        .map(|(i, c)| ImportHouseholdsRequest {
            request_id: format!("bench-{i}"),
            households: c.to_vec(),
        })
        .collect();
    let started = Instant::now();
    let imported = client
        .import_households(futures::stream::iter(batches))
        .await?
        .into_inner();
    let import_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        imported.people_imported as usize == people,
        "import lost people"
    );

    // 3. GetHousehold vs bare tonic, same client code and concurrency.
    let ids: Arc<Vec<String>> = Arc::new(archive.iter().map(|h| h.household_id.clone()).collect());
    let chans = channels(&url, args.connections).await?;
    let clients: Arc<Vec<_>> = Arc::new(
        chans
            .into_iter()
            .map(|c| RegistryServiceClient::with_interceptor(c, office.clone()))
            .collect(),
    );
    let get = {
        let clients = clients.clone();
        let ids = ids.clone();
        move |t: usize, i: u64| {
            let mut c = clients[t % clients.len()].clone();
            let id = ids[(i as usize) % ids.len()].clone();
            async move {
                c.get_household(GetHouseholdRequest { household_id: id })
                    .await
                    .is_ok()
            }
        }
    };
    let get_result = drive(args.concurrency, args.seconds, get).await;
    let point_select = baselines::point_select(
        &svc_db.url,
        args.db_pool,
        ids.clone(),
        args.concurrency,
        args.seconds,
    )
    .await?;
    let metrics_overhead = super::overhead::compare(
        &url,
        &svc_db.url,
        &settings,
        office.clone(),
        ids.clone(),
        (args.concurrency, args.connections, args.seconds),
    )
    .await?;

    // The same server's health Check: the full layer stack without the database, which
    // splits GetHousehold's cost into serving overhead and the read itself.
    let layered_clients: Arc<Vec<_>> = Arc::new(
        channels(&url, args.connections)
            .await?
            .into_iter()
            .map(|c| {
                tonic_health::pb::health_client::HealthClient::with_interceptor(c, office.clone())
            })
            .collect(),
    );
    let layered = {
        let clients = layered_clients.clone();
        move |t: usize, _i: u64| {
            let mut c = clients[t % clients.len()].clone();
            async move {
                c.check(tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .is_ok()
            }
        }
    };
    let layered_result = drive(args.concurrency, args.seconds, layered).await;

    let (echo_addr, echo_stop) = bare_echo_server().await?;
    let echo_chans = channels(&format!("http://{echo_addr}"), args.connections).await?;
    let echo_clients: Arc<Vec<_>> = Arc::new(
        echo_chans
            .into_iter()
            .map(|c| {
                tonic_health::pb::health_client::HealthClient::with_interceptor(c, office.clone())
            })
            .collect(),
    );
    let echo = {
        let clients = echo_clients.clone();
        move |t: usize, _i: u64| {
            let mut c = clients[t % clients.len()].clone();
            async move {
                c.check(tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .is_ok()
            }
        }
    };
    let echo_result = drive(args.concurrency, args.seconds, echo).await;
    let _ = echo_stop.send(());
    hosted.shutdown().await?;
    svc_db.drop_now().await?;
    Ok(RegistryFigures {
        kind,
        households: archive.len(),
        people,
        raw_secs,
        import_secs,
        server_secs,
        tls,
        raw_tls_vs_plain_secs,
        point_select,
        echo: echo_result,
        get: get_result,
        metrics_overhead,
        layered: layered_result,
    })
}

/// Runs the benchmarks and prints the figures.
pub async fn run(args: RegistryBenchArgs) -> anyhow::Result<ExitCode> {
    let f = measure(&args).await?;
    let RegistryFigures {
        kind,
        people,
        raw_secs,
        import_secs,
        echo: ref echo_result,
        get: ref get_result,
        layered: ref layered_result,
        metrics_overhead: ref overhead,
        ..
    } = f;
    let archive_len = f.households;
    let raw_rate = people as f64 / raw_secs;
    let import_rate = people as f64 / import_secs;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "database": kind,
                "households": archive_len,
                "people": people,
                "raw_insert_people_per_s": raw_rate,
                "import_people_per_s": import_rate,
                "import_vs_raw": import_rate / raw_rate,
                "concurrency": args.concurrency,
                "echo_rps": echo_result.rps(),
                "echo_p50_ms": echo_result.ms(0.5),
                "echo_p99_ms": echo_result.ms(0.99),
                "get_rps": get_result.rps(),
                "get_p50_ms": get_result.ms(0.5),
                "get_p99_ms": get_result.ms(0.99),
                "get_errors": get_result.errors,
                "get_vs_echo": get_result.rps() / echo_result.rps(),
                "get_metrics_on_rps": overhead.on.rps(),
                "get_without_metrics_rps": overhead.off.rps(),
                "get_metrics_vs_without": overhead.median_ratio(),
                "get_metrics_vs_without_rounds": overhead.ratios,
                "layered_check_rps": layered_result.rps(),
                "layered_check_p99_ms": layered_result.ms(0.99),
                "transport": f.transport(),
                "server_insert_people_per_s": f.server_rate(),
                "raw_vs_server_insert": raw_rate / f.server_rate(),
                "raw_tls_vs_plain_time": f.raw_tls_vs_plain_secs.map(|(tls, plain)| tls / plain),
                "point_select_rps": f.point_select.rps(),
                "point_select_p99_ms": f.point_select.ms(0.99),
                "get_vs_point_select": get_result.rps() / f.point_select.rps(),
            })
        );
    } else {
        println!(
            "database {kind} ({}), {} households / {people} people, concurrency {}, {} connections",
            f.transport(),
            archive_len,
            args.concurrency,
            args.connections
        );
        println!(
            "{:<34} {:>12} {:>10} {:>10}",
            "", "rate", "p50 ms", "p99 ms"
        );
        println!(
            "{:<34} {:>10.0}/s",
            "server-side insert (people)",
            f.server_rate()
        );
        println!(
            "{:<34} {:>10.0}/s   ratio {:.2} (goal >= 0.50)",
            "raw sqlx insert (people)",
            raw_rate,
            raw_rate / f.server_rate()
        );
        if let Some((tls, plain)) = f.raw_tls_vs_plain_secs {
            println!(
                "{:<34} {:>9.2} s vs {:.2} s plaintext: TLS costs {:.2}x (goal <= 1.30)",
                "raw insert, sslmode=require",
                tls,
                plain,
                tls / plain
            );
        }
        println!(
            "{:<34} {:>10.0}/s   ratio {:.2} (goal >= 0.50)",
            "ImportHouseholds (people)",
            import_rate,
            import_rate / raw_rate
        );
        println!(
            "{:<34} {:>10.0}/s {:>10.3} {:>10.3}",
            "bare tonic echo (calls)",
            echo_result.rps(),
            echo_result.ms(0.5),
            echo_result.ms(0.99)
        );
        println!(
            "{:<34} {:>10.0}/s {:>10.3} {:>10.3}",
            "health Check via service layers",
            layered_result.rps(),
            layered_result.ms(0.5),
            layered_result.ms(0.99)
        );
        println!(
            "{:<34} {:>10.0}/s {:>10.3} {:>10.3}   ratio {:.2} (goal >= 0.50), errors {}",
            "GetHousehold (calls)",
            get_result.rps(),
            get_result.ms(0.5),
            get_result.ms(0.99),
            get_result.rps() / echo_result.rps(),
            get_result.errors
        );
        println!(
            "{:<34} {:>10.0}/s {:>10.3} {:>10.3}   GetHousehold vs it {:.2} (goal >= 0.70)",
            "raw point select (same pool)",
            f.point_select.rps(),
            f.point_select.ms(0.5),
            f.point_select.ms(0.99),
            get_result.rps() / f.point_select.rps()
        );
        for (label, side) in [
            ("GetHousehold, metrics on (rounds)", &overhead.on),
            ("GetHousehold, metrics off (rounds)", &overhead.off),
        ] {
            println!(
                "{:<34} {:>10.0}/s {:>10.3} {:>10.3}",
                label,
                side.rps(),
                side.ms(0.5),
                side.ms(0.99)
            );
        }
        let rounds: Vec<String> = overhead.ratios.iter().map(|r| format!("{r:.3}")).collect();
        println!(
            "metrics on/off {:.3}, median of {} interleaved rounds [{}] (goal >= 0.95)",
            overhead.median_ratio(),
            overhead.ratios.len(),
            rounds.join(", ")
        );
        println!("import of {people} people took {import_secs:.2} s (raw {raw_secs:.2} s)");
    }
    Ok(ExitCode::SUCCESS)
}

/// A tonic server with only the standard health service: no layers, no database.
async fn bare_echo_server()
-> anyhow::Result<(std::net::SocketAddr, tokio::sync::oneshot::Sender<()>)> {
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, async {
                let _ = rx.await;
                // keep the reporter alive until shutdown
                drop(reporter);
            })
            .await;
    });
    Ok((addr, tx))
}

//! Crash safety, proven against the real binary: `xiaokang serve <service>` runs as a child
//! process over a SQLite file or a PostgreSQL database (`XK_TEST_DATABASE`), a writer
//! sends imports (client streams of batches) and single writes, each with a request_id,
//! while the test SIGKILLs the process at seeded random moments. After each kill the
//! process is restarted (waited for until SERVING) and the write that was not acknowledged
//! is retried with the SAME request_id. At the end every acknowledged write is present
//! exactly once, no record is half-written, and the audit and idempotency tables hold one
//! row per request_id.
//!
//! The seed is `XK_CRASH_SEED` or the clock; it is printed first, so a failure can be
//! replayed. `XK_CRASH_KILLS` sets the kills per service (default 20).
//!
//! Module map: [`Server`] (the child process), [`Op`] and [`send`] (the writes),
//! [`run_with_kills`] (the kill/restart/retry loop), then one workload + check per service.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, Statement};
use tokio::net::TcpListener;
use tonic::transport::Channel;
use xiaokang::testing::{Bearer, TestDatabase};
use xk_contracts::pb::registry::v1 as reg;
use xk_contracts::pb::registry::v1::registry_service_client::RegistryServiceClient;
use xk_contracts::pb::water::v1 as wat;
use xk_contracts::pb::water::v1::water_service_client::WaterServiceClient;
use xk_runtime::ServiceSpec;

/// Rounds of each workload (one import + single writes per round): enough work that the
/// kills land on writes rather than on an idle process.
const ROUNDS: usize = 16;
/// The one token every principal the test uses shares (the server needs >= 16 chars).
const TOKEN: &str = "crash-test-token-0123456789";
/// A village of 城关镇 (registry households and water assessments live there).
const VILLAGE: &str = "420625100201";
/// How long a restarted process may take to answer health (debug build, migrations).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// A kill lands this long (uniform, ms) after the process answered health: short enough
/// that most kills land while a write is in flight (mid-stream, mid-commit, before the
/// answer), since the writes run back to back.
const KILL_AFTER_MS: std::ops::Range<u64> = 1..40;

/// The child process of one service, and the flag the killer sets before SIGKILL.
struct Server {
    /// `http://127.0.0.1:<port>` of this incarnation.
    url: String,
    /// Set just before the process is killed, so the writer tells a crash from a bug.
    killed: Arc<AtomicBool>,
    /// The killer task (sleeps, then SIGKILLs and reaps); `None` once kills are used up.
    killer: Option<tokio::task::JoinHandle<()>>,
    /// The process when no killer owns it (the last incarnation).
    child: Option<tokio::process::Child>,
}

/// A free port on 127.0.0.1 (bound and released; each incarnation takes a new one).
async fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// Starts `xiaokang serve <spec>` over `db_url`, waits until it is SERVING, and, when
/// `kill_after` is set, hands it to a killer task that SIGKILLs it after that long.
async fn start_server(
    spec: ServiceSpec,
    db_url: &str,
    log: &Path,
    kill_after: Option<Duration>,
) -> Server {
    let port = free_port().await;
    let url = format!("http://127.0.0.1:{port}");
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_xiaokang"))
        .args(["serve", spec.name, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--database-url")
        .arg(db_url)
        .env_remove("XK_TOKENS_FILE")
        .env("XK_TOKEN_ADMIN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_file))
        .kill_on_drop(true)
        .spawn()
        .expect("the xiaokang binary starts");
    if let Err(e) =
        xk_runtime::server::wait_until_serving(&url, spec.grpc_name, START_TIMEOUT).await
    {
        let _ = child.start_kill();
        let tail = std::fs::read_to_string(log).unwrap_or_default();
        panic!("{} did not become SERVING: {e:#}\nlog:\n{tail}", spec.name);
    }
    let killed = Arc::new(AtomicBool::new(false));
    let (killer, child) = match kill_after {
        Some(after) => {
            let flag = killed.clone();
            let task = tokio::spawn(async move {
                tokio::time::sleep(after).await;
                flag.store(true, Ordering::SeqCst);
                child.start_kill().expect("SIGKILL is sent");
                child.wait().await.expect("the killed process is reaped");
            });
            (Some(task), None)
        }
        None => (None, Some(child)),
    };
    Server {
        url,
        killed,
        killer,
        child,
    }
}

/// One write as the test sends it; a retry sends the very same value.
#[derive(Clone, Debug)]
enum Op {
    /// ImportHouseholds: a client stream of batches, each with its own request_id.
    ImportHouseholds(Vec<reg::ImportHouseholdsRequest>),
    /// CreateHousehold.
    CreateHousehold(reg::CreateHouseholdRequest),
    /// RecordIncome.
    RecordIncome(reg::RecordIncomeRequest),
    /// ImportAssessments: a client stream of batches.
    ImportAssessments(Vec<wat::ImportAssessmentsRequest>),
    /// RecordAssessment.
    RecordAssessment(wat::RecordAssessmentRequest),
}

impl Op {
    /// Every request_id the op carries (one per batch for imports).
    fn request_ids(&self) -> Vec<String> {
        match self {
            Op::ImportHouseholds(b) => b.iter().map(|b| b.request_id.clone()).collect(),
            Op::ImportAssessments(b) => b.iter().map(|b| b.request_id.clone()).collect(),
            Op::CreateHousehold(r) => vec![r.request_id.clone()],
            Op::RecordIncome(r) => vec![r.request_id.clone()],
            Op::RecordAssessment(r) => vec![r.request_id.clone()],
        }
    }
}

/// Sends one op; `Ok` is the acknowledgement, with how many import batches the server
/// answered as replays (committed by an attempt whose answer the kill swallowed).
async fn send(ch: Channel, op: &Op) -> Result<usize, tonic::Status> {
    let mut replayed = 0;
    let bearer = Bearer(Some(TOKEN.to_string()));
    let deadline = Duration::from_secs(30);
    match op {
        Op::ImportHouseholds(batches) => {
            let mut c = RegistryServiceClient::with_interceptor(ch, bearer);
            let mut req = tonic::Request::new(tokio_stream::iter(batches.clone()));
            req.set_timeout(deadline);
            let r = c.import_households(req).await?.into_inner();
            // Committed now or by an earlier, unacknowledged attempt: never both, never lost.
            assert_eq!(
                (r.batches_committed + r.batches_replayed) as usize,
                batches.len(),
                "every batch accounted for: {r:?}"
            );
            replayed = r.batches_replayed as usize;
        }
        Op::CreateHousehold(r) => {
            let mut c = RegistryServiceClient::with_interceptor(ch, bearer);
            let got = c.create_household(r.clone()).await?.into_inner();
            let h = got.household.expect("the created household");
            assert_eq!(h.members.len(), r.household.as_ref().unwrap().members.len());
        }
        Op::RecordIncome(r) => {
            let mut c = RegistryServiceClient::with_interceptor(ch, bearer);
            let got = c.record_income(r.clone()).await?.into_inner();
            let h = got.household.expect("the household");
            let year = r.income.as_ref().unwrap().year;
            assert_eq!(h.incomes.iter().filter(|i| i.year == year).count(), 1);
        }
        Op::ImportAssessments(batches) => {
            let mut c = WaterServiceClient::with_interceptor(ch, bearer);
            let mut req = tonic::Request::new(tokio_stream::iter(batches.clone()));
            req.set_timeout(deadline);
            let r = c.import_assessments(req).await?.into_inner();
            assert_eq!(
                (r.batches_committed + r.batches_replayed) as usize,
                batches.len(),
                "every batch accounted for: {r:?}"
            );
            replayed = r.batches_replayed as usize;
        }
        Op::RecordAssessment(r) => {
            let mut c = WaterServiceClient::with_interceptor(ch, bearer);
            c.record_assessment(r.clone()).await?;
        }
    }
    Ok(replayed)
}

/// What one run did (printed; the lead quotes it).
#[derive(Debug, Default)]
struct Tally {
    /// SIGKILLs sent.
    kills: usize,
    /// Ops acknowledged (each exactly once, at the end of its attempts).
    acked_ops: usize,
    /// request_ids acknowledged (a batch of an import counts once).
    acked_request_ids: usize,
    /// Attempts that failed because the process died under them, then retried.
    retries: usize,
    /// Import batches a retry found already committed (answered as replays).
    replayed_batches: usize,
}

/// Sends `ops` in order while killing the process `kills` times at seeded moments;
/// every op is retried with the same request_ids until acknowledged. Returns the last
/// incarnation (alive) and what happened.
async fn run_with_kills(
    spec: ServiceSpec,
    db_url: &str,
    log: &Path,
    ops: &[Op],
    kills: usize,
    rng: &mut StdRng,
    seed: u64,
) -> (Server, Tally) {
    let mut tally = Tally::default();
    let next_kill = |rng: &mut StdRng, done: usize| {
        (done < kills).then(|| Duration::from_millis(rng.random_range(KILL_AFTER_MS)))
    };
    let mut server = start_server(spec, db_url, log, next_kill(rng, 0)).await;
    let mut i = 0;
    while i < ops.len() || server.killer.is_some() {
        if i == ops.len() {
            // Ops ran out before the kill: take the remaining kills on an idle process.
            let killer = server.killer.take().unwrap();
            killer.await.unwrap();
            tally.kills += 1;
            server = start_server(spec, db_url, log, next_kill(rng, tally.kills)).await;
            continue;
        }
        let ch = xiaokang::client::channel(&server.url).unwrap();
        match send(ch, &ops[i]).await {
            Ok(replayed) => {
                tally.replayed_batches += replayed;
                tally.acked_ops += 1;
                tally.acked_request_ids += ops[i].request_ids().len();
                i += 1;
            }
            Err(status) => {
                assert!(
                    server.killed.load(Ordering::SeqCst),
                    "seed {seed}: op {i} failed while the process was alive: {status:?}\nop: {:?}",
                    ops[i].request_ids()
                );
                let killer = server.killer.take().expect("a killed process had a killer");
                killer.await.unwrap();
                tally.kills += 1;
                tally.retries += 1;
                server = start_server(spec, db_url, log, next_kill(rng, tally.kills)).await;
            }
        }
    }
    (server, tally)
}

/// The seed: `XK_CRASH_SEED`, else the clock.
fn seed() -> u64 {
    std::env::var("XK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// Kills per service: `XK_CRASH_KILLS`, else 20.
fn kills() -> usize {
    std::env::var("XK_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
}

/// The database URL a second connection (the test's own, for the audit tables) uses.
fn plain_url(url: &str) -> String {
    url.replace("?mode=rwc", "")
}

/// `request_id -> rows` of a table with a `request_id` column.
async fn rows_per_request_id(db_url: &str, table: &str) -> BTreeMap<String, i64> {
    let db = sea_orm::Database::connect(plain_url(db_url)).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT request_id, CAST(COUNT(*) AS BIGINT) FROM {table} GROUP BY request_id"),
        ))
        .await
        .unwrap();
    let out = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index::<String>(0).unwrap(),
                r.try_get_by_index::<i64>(1).unwrap(),
            )
        })
        .collect();
    db.close().await.unwrap();
    out
}

/// Every request_id of `ops` has exactly one audit row and one idempotency key, and
/// there is no other.
async fn check_one_row_per_request_id(db_url: &str, ops: &[Op], seed: u64) {
    let want: BTreeSet<String> = ops.iter().flat_map(Op::request_ids).collect();
    for table in ["audit_log", "idempotency_keys"] {
        let got = rows_per_request_id(db_url, table).await;
        let dup: Vec<_> = got.iter().filter(|(_, n)| **n != 1).collect();
        assert!(dup.is_empty(), "seed {seed}: {table} duplicates: {dup:?}");
        let keys: BTreeSet<String> = got.into_keys().collect();
        assert_eq!(keys, want, "seed {seed}: {table} request_ids");
    }
}

/// The harness's working folder (the per-incarnation log) and the database.
async fn setup(label: &str) -> (tempfile::TempDir, PathBuf, TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join(format!("{label}.log"));
    let db = TestDatabase::create(label).await.unwrap();
    (dir, log, db)
}

/// The registry workload: rounds of one import (3 batches) + creates + incomes.
fn registry_ops(rng: &mut StdRng) -> (Vec<Op>, BTreeMap<String, reg::Household>) {
    let mut ops = Vec::new();
    let mut want: BTreeMap<String, reg::Household> = BTreeMap::new();
    let mut n = 0u32;
    let mut incomes_per_household: BTreeMap<String, i32> = BTreeMap::new();
    let make = |n: u32, size: usize| common::household(n, VILLAGE, size, reg::ArchiveStatus::Poor);
    for round in 0..ROUNDS {
        let mut batches = Vec::new();
        for b in 0..3 {
            let households: Vec<_> = (0..40)
                .map(|_| {
                    n += 1;
                    make(n, rng.random_range(1..=4))
                })
                .collect();
            for h in &households {
                want.insert(h.household_id.clone(), h.clone());
            }
            batches.push(reg::ImportHouseholdsRequest {
                request_id: format!("imp-{round}-{b}"),
                households,
            });
        }
        ops.push(Op::ImportHouseholds(batches));
        for k in 0..4 {
            n += 1;
            let h = make(n, rng.random_range(1..=4));
            want.insert(h.household_id.clone(), h.clone());
            ops.push(Op::CreateHousehold(reg::CreateHouseholdRequest {
                request_id: format!("create-{round}-{k}"),
                household: Some(h),
            }));
        }
        for k in 0..4 {
            // A household already written, a year it has no income for yet.
            let id = format!("HH{:06}", rng.random_range(1..=n));
            let used = incomes_per_household.entry(id.clone()).or_insert(0);
            if *used >= 5 {
                continue;
            }
            let year = 2015 + *used;
            *used += 1;
            let income = reg::Income {
                year,
                per_capita_net_income_fen: rng.random_range(300_000..900_000),
            };
            want.get_mut(&id).unwrap().incomes.push(income);
            ops.push(Op::RecordIncome(reg::RecordIncomeRequest {
                request_id: format!("income-{round}-{k}"),
                household_id: id,
                income: Some(income),
            }));
        }
    }
    (ops, want)
}

/// Every household of the registry, by ExportHouseholds.
async fn export_all(url: &str) -> Vec<reg::Household> {
    use futures::StreamExt;
    let ch = xiaokang::client::channel(url).unwrap();
    let mut c = RegistryServiceClient::with_interceptor(ch, Bearer(Some(TOKEN.into())));
    let mut s = c
        .export_households(reg::ExportHouseholdsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Some(page) = s.next().await {
        out.extend(page.unwrap().households);
    }
    out
}

/// Runs the registry under kills and checks what it holds.
async fn registry_under_kills(seed: u64) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let (ops, want) = registry_ops(&mut rng);
    let (_dir, log, db) = setup("crash-registry").await;
    let (server, tally) = run_with_kills(
        xk_registry::SPEC,
        &db.url,
        &log,
        &ops,
        kills(),
        &mut rng,
        seed,
    )
    .await;

    let got = export_all(&server.url).await;
    let ids: Vec<&str> = got.iter().map(|h| h.household_id.as_str()).collect();
    let distinct: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        ids.len(),
        "seed {seed}: duplicated households"
    );
    assert_eq!(
        distinct,
        want.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        "seed {seed}: every acknowledged household, nothing else"
    );
    for h in &got {
        let w = &want[&h.household_id];
        let members = |h: &reg::Household| {
            h.members
                .iter()
                .map(|m| m.resident_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            members(h),
            members(w),
            "seed {seed}: {} members",
            h.household_id
        );
        let mut years: Vec<(i32, i64)> = h
            .incomes
            .iter()
            .map(|i| (i.year, i.per_capita_net_income_fen))
            .collect();
        years.sort();
        let mut want_years: Vec<(i32, i64)> = w
            .incomes
            .iter()
            .map(|i| (i.year, i.per_capita_net_income_fen))
            .collect();
        want_years.sort();
        assert_eq!(years, want_years, "seed {seed}: {} incomes", h.household_id);
        let registered = h
            .timeline
            .iter()
            .filter(|e| e.kind == reg::EventKind::Registered as i32)
            .count();
        assert_eq!(registered, 1, "seed {seed}: {} timeline", h.household_id);
        assert!(!h.etag.is_empty(), "seed {seed}: {} etag", h.household_id);
    }
    // Derived figures (SQL GROUP BY over the rows) agree with the records.
    let ch = xiaokang::client::channel(&server.url).unwrap();
    let mut c = RegistryServiceClient::with_interceptor(ch, Bearer(Some(TOKEN.into())));
    let total = c
        .summarize_by_region(reg::SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .total
        .unwrap();
    let people: usize = want.values().map(|h| h.members.len()).sum();
    assert_eq!(
        (total.archive_households, total.archive_people),
        (want.len() as i64, people as i64),
        "seed {seed}: summary"
    );
    stop(server).await;
    check_one_row_per_request_id(&db.url, &ops, seed).await;
    db.drop_now().await.unwrap();
    eprintln!(
        "registry: {} households / {people} people / {} incomes",
        want.len(),
        want.values().map(|h| h.incomes.len()).sum::<usize>()
    );
    tally
}

/// Kills the last incarnation (no graceful path needed: it is the test's own).
async fn stop(server: Server) {
    if let Some(mut child) = server.child {
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }
}

/// A 基本安全 assessment (a scattered well, every threshold at its 基本达标 edge), assessed
/// on `on` (days into 2019).
fn assessment(household: &str, people: i32, day: u32) -> wat::Assessment {
    let on = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap() + chrono::Days::new(day.into());
    use chrono::Datelike;
    wat::Assessment {
        household_id: household.into(),
        village_code: VILLAGE.into(),
        people,
        supply: Some(wat::Supply {
            kind: Some(wat::supply::Kind::Scattered(wat::ScatteredSupply {
                kind: wat::ScatteredSourceKind::Well as i32,
            })),
        }),
        litres_per_person_day: Some(35),
        quality: Some(wat::QualityEvidence {
            evidence: Some(wat::quality_evidence::Evidence::OnSiteCheck(
                wat::OnSiteCheck {
                    no_visible_impurity_colour_smell: true,
                    no_harm_long_use: true,
                },
            )),
        }),
        piped_in: false,
        fetch_round_trip_minutes: Some(20),
        horizontal_distance_m: Some(1500),
        vertical_distance_m: Some(120),
        outage_days_last_12_months: Some(36),
        area: 0,
        assessor: "水利局-007".into(),
        assessed_on: Some(xk_contracts::pb::common::v1::Date {
            year: on.year(),
            month: on.month() as i32,
            day: on.day() as i32,
        }),
        seasonal_check: false,
        seq: 0,
        grading: None,
    }
}

/// The water workload: rounds of one import (3 batches of first assessments) and single
/// re-assessments of households already assessed. Returns the ops and the assessment
/// dates expected per household.
fn water_ops(rng: &mut StdRng) -> (Vec<Op>, BTreeMap<String, Vec<u32>>) {
    let mut ops = Vec::new();
    let mut want: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut n = 0u32;
    for round in 0..ROUNDS {
        let mut batches = Vec::new();
        for b in 0..3 {
            let assessments: Vec<_> = (0..60)
                .map(|_| {
                    n += 1;
                    let id = format!("HH{n:06}");
                    want.entry(id.clone()).or_default().push(0);
                    assessment(&id, rng.random_range(1..=5), 0)
                })
                .collect();
            batches.push(wat::ImportAssessmentsRequest {
                request_id: format!("wimp-{round}-{b}"),
                assessments,
            });
        }
        ops.push(Op::ImportAssessments(batches));
        for k in 0..8 {
            let id = format!("HH{:06}", rng.random_range(1..=n));
            let days = want.get_mut(&id).unwrap();
            let day = days.last().unwrap() + 1 + rng.random_range(0..5);
            days.push(day);
            ops.push(Op::RecordAssessment(wat::RecordAssessmentRequest {
                request_id: format!("wrec-{round}-{k}"),
                assessment: Some(assessment(&id, 3, day)),
            }));
        }
    }
    (ops, want)
}

/// Runs water under kills and checks what it holds.
async fn water_under_kills(seed: u64) -> Tally {
    // A stream of its own ("WATER" in ASCII), so the two workloads do not mirror each other.
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0057_4154_4552);
    let (ops, want) = water_ops(&mut rng);
    let (_dir, log, db) = setup("crash-water").await;
    let (server, tally) =
        run_with_kills(xk_water::SPEC, &db.url, &log, &ops, kills(), &mut rng, seed).await;

    let ch = xiaokang::client::channel(&server.url).unwrap();
    let mut c = WaterServiceClient::with_interceptor(ch, Bearer(Some(TOKEN.into())));
    let mut assessments = 0;
    for (id, days) in &want {
        let got = c
            .get_household_water(wat::GetHouseholdWaterRequest {
                household_id: id.clone(),
            })
            .await
            .unwrap_or_else(|s| panic!("seed {seed}: {id}: {s:?}"))
            .into_inner();
        let mut dates: Vec<(i32, i32, i32)> = got
            .history
            .iter()
            .map(|a| {
                let d = a.assessed_on.unwrap();
                (d.year, d.month, d.day)
            })
            .collect();
        dates.sort();
        let want_dates: Vec<(i32, i32, i32)> = days
            .iter()
            .map(|d| {
                let a = assessment(id, 1, *d).assessed_on.unwrap();
                (a.year, a.month, a.day)
            })
            .collect();
        assert_eq!(dates, want_dates, "seed {seed}: {id} history");
        let current = got.current.expect("a current assessment");
        assert!(current.grading.is_some(), "seed {seed}: {id} graded");
        assert_eq!(
            current.assessed_on,
            assessment(id, 1, *days.last().unwrap()).assessed_on,
            "seed {seed}: {id}: the latest is current"
        );
        assessments += days.len();
    }
    let total = c
        .summarize_by_region(wat::SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .total
        .unwrap();
    assert_eq!(total.households, want.len() as i64, "seed {seed}: summary");
    stop(server).await;
    check_one_row_per_request_id(&db.url, &ops, seed).await;
    db.drop_now().await.unwrap();
    eprintln!(
        "water: {} households / {assessments} assessments",
        want.len()
    );
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_once_and_whole() {
    let seed = seed();
    eprintln!("crash test seed {seed} (replay with XK_CRASH_SEED={seed})");
    let started = Instant::now();
    let r = registry_under_kills(seed).await;
    eprintln!("registry under kills: {r:?} in {:?}", started.elapsed());
    let started = Instant::now();
    let w = water_under_kills(seed).await;
    eprintln!("water under kills: {w:?} in {:?}", started.elapsed());
    assert_eq!(r.kills, kills());
    assert_eq!(w.kills, kills());
}

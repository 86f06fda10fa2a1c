//! `up`, `serve`, `health`, `migrate`.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use xk_runtime::{Listeners, Principal, ServeSettings, TokenTable};

use crate::suite;

/// `xiaokang up`.
pub async fn up(
    data_dir: &Path,
    bind: IpAddr,
    exit_after_start: bool,
    demo: bool,
) -> anyhow::Result<ExitCode> {
    make_private_dir(data_dir)?;
    let tokens_path = data_dir.join("tokens.toml");
    let admin = std::env::var("XK_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let (table, tokens) = TokenTable::load_or_create(&tokens_path, admin.as_deref())?;
    make_private_file(&tokens_path)?;
    let table = Arc::new(table);
    // `up` takes no serving flags: the limits and switches come from the same `XK_*`
    // variables `serve` reads (`XK_WRITE_QUEUE_DEPTH=64 xiaokang up`), so a load test
    // can compare settings on the whole suite.
    let settings = ServeSettings::from_env_for_suite()?;
    let aggregator_token = tokens
        .get(&Principal::Aggregator)
        .cloned()
        .context("the tokens file has no aggregator token")?;
    let suite = suite::start_all(
        |name| format!("sqlite://{}/{name}.db", data_dir.display()),
        bind,
        suite::Port::Default,
        &settings,
        table,
        aggregator_token,
    )
    .await?;
    let hosted = &suite.hosted;
    println!(
        "xiaokang is up: {} service(s), data in {}",
        hosted.len(),
        data_dir.display()
    );
    for h in hosted {
        let admin = h
            .admin_addr
            .map(|a| format!("  admin http://{a}/metrics"))
            .unwrap_or_default();
        println!(
            "  {:<11} {}  ({}){admin}",
            h.spec.name, h.addr, h.spec.grpc_name
        );
    }
    // Where the tokens are, never any part of them: terminal output ends up in
    // scrollback, screen recordings and CI logs.
    println!(
        "tokens: {} (mode 0600; one line per principal, e.g. admin = \"…\")",
        tokens_path.display()
    );
    println!(
        "try:   grpcurl -plaintext {} list",
        hosted
            .first()
            .map(|h| h.addr.to_string())
            .unwrap_or_default()
    );
    let mut code = ExitCode::SUCCESS;
    if demo {
        code =
            super::demo::load_and_print(&suite.addrs(), &tokens, crate::demo::DEFAULT_SEED).await?;
    }
    if !exit_after_start {
        let signal = xk_runtime::server::shutdown_signal();
        tokio::pin!(signal);
        // Polled once before the banner, so the signal handlers are in place by the time
        // it says so: a SIGTERM sent on reading it stops gracefully, not by default action.
        let _ = futures::FutureExt::now_or_never(signal.as_mut());
        println!("Ctrl-C or SIGTERM stops it gracefully.");
        signal.await;
    }
    suite.shutdown().await?;
    Ok(code)
}

/// Creates the data folder with mode 0700, or narrows an existing one to 0700: it holds
/// every record and the tokens. A shared folder with the sticky bit (such as /tmp) is
/// left alone; a folder that cannot be narrowed is reported and used as it is.
fn make_private_dir(dir: &Path) -> anyhow::Result<()> {
    xk_runtime::db::create_private_dir_all(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 && mode & 0o1000 == 0 {
            let narrowed = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
            if let Err(e) = narrowed {
                eprintln!(
                    "warning: {} is readable by other users and could not be narrowed to 0700: {e}",
                    dir.display()
                );
            }
        }
    }
    Ok(())
}

/// Narrows an existing file to mode 0600 (a tokens file written by an older version).
fn make_private_file(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("narrowing {} to mode 0600", path.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Tokens for `serve`: the tokens file if given, plus `XK_TOKEN_<PRINCIPAL>` variables
/// (e.g. `XK_TOKEN_POVERTY_OFFICE`) or their `XK_TOKEN_<PRINCIPAL>_FILE` variants.
fn tokens_for_serve(settings: &ServeSettings) -> anyhow::Result<TokenTable> {
    let mut table = match &settings.tokens_file {
        Some(p) => TokenTable::load(p)?,
        None => TokenTable::default(),
    };
    let mut any = settings.tokens_file.is_some();
    for p in Principal::ALL {
        let var = format!("XK_TOKEN_{}", p.name().to_uppercase().replace('-', "_"));
        if let Some(t) = xk_runtime::settings::env_or_file(&var)? {
            anyhow::ensure!(t.len() >= 16, "{var} must be at least 16 characters");
            table.insert(p, &t);
            any = true;
        }
    }
    anyhow::ensure!(
        any,
        "no tokens configured: pass --tokens-file (XK_TOKENS_FILE) or set XK_TOKEN_<PRINCIPAL> (or XK_TOKEN_<PRINCIPAL>_FILE) variables"
    );
    Ok(table)
}

/// `xiaokang serve NAME`.
pub async fn serve_one(
    name: &str,
    settings: ServeSettings,
    upstream: xk_aggregator::UpstreamArgs,
) -> anyhow::Result<ExitCode> {
    if name == suite::AGGREGATOR.name {
        return serve_aggregator(settings, upstream).await;
    }
    let spec = suite::spec(name).with_context(|| {
        let mut known: Vec<_> = suite::SERVICES.iter().map(|s| s.name).collect();
        known.push(suite::AGGREGATOR.name);
        format!("unknown service {name:?}; known: {}", known.join(", "))
    })?;
    let url = settings
        .resolved_database_url()?
        .unwrap_or_else(|| format!("sqlite://data/{}.db", spec.name));
    let addr = settings
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], spec.default_port)));
    let tokens = Arc::new(tokens_for_serve(&settings)?);
    // Both ports before the database is opened: a taken one stops serve at once.
    let listeners = Listeners::bind(spec.name, addr, settings.admin_listen).await?;
    let hosted = suite::host(spec, &url, &settings, tokens, listeners).await?;
    print_serving(&hosted);
    xk_runtime::server::shutdown_signal().await;
    hosted.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}

/// The line `serve` prints once listening, with the admin listener when there is one.
fn print_serving(hosted: &xk_runtime::HostedService) {
    match hosted.admin_addr {
        Some(admin) => println!(
            "{} serving on {}, admin (/livez /readyz /metrics) on {admin}",
            hosted.spec.name, hosted.addr
        ),
        None => println!("{} serving on {}", hosted.spec.name, hosted.addr),
    }
}

/// `xiaokang serve aggregator`: endpoints from `--<service>-url` / `XK_<SERVICE>_URL`
/// (repeatable or comma-separated), its own token from `XK_TOKEN_AGGREGATOR` or the file
/// `XK_TOKEN_AGGREGATOR_FILE` names.
async fn serve_aggregator(
    settings: ServeSettings,
    args: xk_aggregator::UpstreamArgs,
) -> anyhow::Result<ExitCode> {
    let spec = suite::AGGREGATOR;
    let token = xk_runtime::settings::env_or_file("XK_TOKEN_AGGREGATOR")?.context(
        "XK_TOKEN_AGGREGATOR or XK_TOKEN_AGGREGATOR_FILE (the aggregator's own read-only token) is not set",
    )?;
    let upstream = args.into_upstream(token)?;
    let url = settings
        .resolved_database_url()?
        .unwrap_or_else(|| format!("sqlite://data/{}.db", spec.name));
    let addr = settings
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], spec.default_port)));
    let tokens = Arc::new(tokens_for_serve(&settings)?);
    // Both ports before the database is opened: a taken one stops serve at once.
    let listeners = Listeners::bind(spec.name, addr, settings.admin_listen).await?;
    let hosted = suite::host_aggregator(&url, &settings, tokens, listeners, upstream).await?;
    print_serving(&hosted);
    xk_runtime::server::shutdown_signal().await;
    hosted.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}

/// The database URL `migrate` requires: `--database-url` (`XK_DATABASE_URL`) or the file
/// `--database-url-file` (`XK_DATABASE_URL_FILE`) names, exactly one of them.
pub fn migrate_database_url(url: Option<&str>, file: Option<&Path>) -> anyhow::Result<String> {
    xk_runtime::settings::value_or_file("XK_DATABASE_URL", url, file)?.context(
        "no database URL: pass --database-url (XK_DATABASE_URL) or --database-url-file (XK_DATABASE_URL_FILE)",
    )
}

/// `xiaokang migrate NAME`; with `partition` (the counties asked for), it partitions the
/// service's big tables by county after migrating, and builds the rollups over them.
pub async fn migrate(
    name: &str,
    (database_url, settings): &(String, ServeSettings),
    rebuild_rollups: bool,
    partition: Option<&[String]>,
) -> anyhow::Result<ExitCode> {
    if name == suite::AGGREGATOR.name {
        anyhow::ensure!(
            partition.is_none(),
            "the aggregator keeps only its monthly snapshots: nothing to partition"
        );
        let db = xk_runtime::Db::connect(database_url, 1).await?;
        db.migrate::<xk_aggregator::store::migration::Migrator>()
            .await?;
        db.close().await?;
        println!("{name}: migrations applied");
        return Ok(ExitCode::SUCCESS);
    }
    let spec = suite::spec(name).with_context(|| format!("unknown service {name:?}"))?;
    // A mistyped county is refused before anything is connected to or migrated.
    if let Some(bad) = partition
        .unwrap_or_default()
        .iter()
        .find(|c| !xk_runtime::partition::is_county(c))
    {
        anyhow::bail!("--county {bad:?} is not a county code (six digits, as 420625)");
    }
    let mut db = xk_runtime::Db::connect(database_url, 1).await?;
    if rebuild_rollups {
        db = db.rebuilding_rollups();
    }
    suite::migrate(spec, db.clone(), settings).await?;
    if let Some(counties) = partition {
        let tables = suite::partitionable(name);
        anyhow::ensure!(
            !tables.is_empty(),
            "{name} offers no tables to partition by county (its tables stay small)"
        );
        let done = xk_runtime::partition::by_county(db.conn(), tables, counties).await?;
        for table in &done.converted {
            println!("{name}: {table} is now partitioned by county");
        }
        for (table, county) in &done.partitions_added {
            println!("{name}: {table} has a partition for county {county}");
        }
        if done.rows_moved > 0 {
            println!(
                "{name}: {} row(s) moved out of default partitions",
                done.rows_moved
            );
        }
        // The rollups' update triggers differ over a partitioned table: their fingerprint
        // changed, so a fresh start of the service's setup builds them again.
        db.close().await?;
        db = xk_runtime::Db::connect(database_url, 1).await?;
        suite::migrate(spec, db.clone(), settings).await?;
    }
    let floor = db.rollups().map(|r| r.built_floor());
    db.close().await?;
    match floor {
        Some(floor) => println!("{name}: migrations applied; rollups built, date floor {floor}"),
        None => println!("{name}: migrations applied (keeps no rollups)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `xiaokang verify-rollups NAME`: migrates and builds like a start would, then recomputes
/// every rollup from the rows and prints each village whose totals differ.
pub async fn verify_rollups(
    name: &str,
    (database_url, settings): &(String, ServeSettings),
) -> anyhow::Result<ExitCode> {
    let spec = suite::spec(name).with_context(|| format!("unknown service {name:?}"))?;
    let db = xk_runtime::Db::connect(database_url, 1).await?;
    suite::migrate(spec, db.clone(), settings).await?;
    let found = db.verify_rollups().await;
    db.close().await?;
    let found = found?;
    for m in &found {
        println!("{name}: {} differs for {}", m.table, m.scope);
    }
    println!("{name}: {} rollup difference(s)", found.len());
    Ok(if found.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

//! `xiaokang demo` and `xiaokang up --demo`: the demo county loaded through the public
//! RPCs, then the county summary against the published figures.

use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use xk_runtime::{Principal, ServeSettings, TokenTable};

use crate::client::{SuiteAddrs, load_tokens};
use crate::demo::load::Progress;
use crate::demo::{County, county_today, run};
use crate::suite;

/// Options of `xiaokang demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the suite keeps its databases and tokens file (as for `up`).
    #[arg(long, env = "XK_DATA_DIR", default_value = "data")]
    pub data_dir: std::path::PathBuf,
    /// The address a running suite listens on (its default ports).
    #[arg(long, env = "XK_BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// The generator's seed: the same seed gives the same county.
    #[arg(long, default_value_t = crate::demo::DEFAULT_SEED)]
    pub seed: u64,
}

/// Loads and checks against the suite at `addrs`; prints the outcome. Exit code 0 only
/// when every published figure holds.
pub async fn load_and_print(
    addrs: &SuiteAddrs,
    tokens: &std::collections::HashMap<Principal, String>,
    seed: u64,
) -> anyhow::Result<ExitCode> {
    let county = County::generate(seed, county_today());
    let outcome = run::load_and_check(&county, addrs, tokens, Progress::Bars).await?;
    print!("{}", run::render(&outcome));
    Ok(if outcome.figures.iter().all(|f| f.holds()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `xiaokang demo`: uses the suite already running on the default ports, or starts one
/// in this process over the data folder (and stops it afterwards; `up --demo` keeps it).
pub async fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let addrs = SuiteAddrs::local(args.bind);
    let running = xk_runtime::server::wait_until_serving(
        addrs.url(suite::AGGREGATOR.name)?,
        suite::AGGREGATOR.grpc_name,
        Duration::from_millis(300),
    )
    .await
    .is_ok();
    if running {
        let tokens = load_tokens(&args.data_dir.join("tokens.toml"))?;
        println!("Using the suite running at {}.", addrs.url("aggregator")?);
        return load_and_print(&addrs, &tokens, args.seed).await;
    }
    let (suite, tokens) = start(&args.data_dir, args.bind).await?;
    println!(
        "Started the suite over {} for the demo.",
        args.data_dir.display()
    );
    let result = load_and_print(&suite.addrs(), &tokens, args.seed).await;
    suite.shutdown().await?;
    result
}

/// Starts the whole suite over SQLite files in `data_dir` on the default ports.
pub async fn start(
    data_dir: &Path,
    bind: IpAddr,
) -> anyhow::Result<(
    suite::RunningSuite,
    std::collections::HashMap<Principal, String>,
)> {
    use anyhow::Context;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let admin = std::env::var("XK_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let (table, tokens) =
        TokenTable::load_or_create(&data_dir.join("tokens.toml"), admin.as_deref())?;
    let aggregator_token = tokens
        .get(&Principal::Aggregator)
        .cloned()
        .context("the tokens file has no aggregator token")?;
    let suite = suite::start_all(
        |name| format!("sqlite://{}/{name}.db", data_dir.display()),
        bind,
        suite::Port::Default,
        &ServeSettings::default(),
        Arc::new(table),
        aggregator_token,
    )
    .await?;
    Ok((suite, tokens))
}

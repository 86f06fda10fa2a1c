//! `xiaokang loadtest`: the command line of the load test (the engine is
//! [`crate::loadtest`]): targets and the loopback rule, tokens, bounds, output.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use xk_runtime::Principal;

use crate::client::SuiteAddrs;
use crate::loadtest::engine::{Live, Load};
use crate::loadtest::mix::{DEFAULT_MIX, Mix};
use crate::loadtest::{Config, Progress, Quiet, StepConfig};

/// Options of `xiaokang loadtest`.
#[derive(Debug, clap::Args)]
pub struct LoadtestArgs {
    /// Where the suite answers: `NAME=URL` for one service (`aggregator=http://aggregator:50050`),
    /// or a bare host for every service on its default port. Repeatable. Default: the
    /// default ports of `xiaokang up` on 127.0.0.1.
    #[arg(long = "target", env = "XK_LOADTEST_TARGETS", value_delimiter = ',')]
    pub targets: Vec<String>,
    /// Allow targets that are not loopback addresses (a deployment; be sure it is yours:
    /// the load test writes households there).
    #[arg(long, env = "XK_LOADTEST_ALLOW_REMOTE")]
    pub allow_remote: bool,
    /// Tokens file (`principal = "token"`); `XK_TOKEN_<PRINCIPAL>` variables override it.
    #[arg(long, env = "XK_TOKENS_FILE", default_value = "data/tokens.toml")]
    pub tokens_file: PathBuf,
    /// How long the run (each step, in step mode) lasts: `30s`, `10m`.
    #[arg(long, default_value = "30s")]
    pub duration: humantime::Duration,
    /// Most requests the run (each step) makes.
    #[arg(long, default_value_t = 10_000_000)]
    pub max_requests: u64,
    /// Open loop: requests per second at a constant arrival rate (latency counts from the
    /// intended send time). In step mode the first step's rate.
    #[arg(long, conflicts_with = "concurrency")]
    pub rate: Option<f64>,
    /// Closed loop: calls in flight (the default, 16, when no --rate).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Operations and weights: get, list, summary, file, import, update, settle, assess, visit.
    #[arg(long, default_value = DEFAULT_MIX)]
    pub mix: Mix,
    /// Deadline of each call.
    #[arg(long, default_value = "5s")]
    pub timeout: humantime::Duration,
    /// HTTP/2 connections per service (per address, when a target's name resolves to
    /// several).
    #[arg(long, default_value_t = 2)]
    pub connections: usize,
    /// How target host names are re-resolved (replicas behind one name share the calls).
    #[command(flatten)]
    pub resolve: xk_aggregator::resolve::ResolveArgs,
    /// Households the warm-up plants (ids prefixed with the run id).
    #[arg(long, default_value_t = 100)]
    pub households: u32,
    /// Open loop: most calls in flight (client memory bound; waiting still counts).
    #[arg(long, default_value_t = 4_096)]
    pub max_in_flight: usize,
    /// Step mode: raise the rate step by step until p99 passes the bound or errors appear.
    #[arg(long, requires = "rate")]
    pub step: bool,
    /// Step mode: each step's rate is the previous one times this.
    #[arg(long, default_value_t = 1.5)]
    pub step_factor: f64,
    /// Step mode: steps at most.
    #[arg(long, default_value_t = 8)]
    pub max_steps: u32,
    /// Step mode: a step whose p99 (ms) passes this fails.
    #[arg(long, default_value_t = 50.0)]
    pub p99_bound_ms: f64,
    /// Step mode: steps still run after the first failing one, to show load shedding.
    #[arg(long, default_value_t = 1)]
    pub steps_past: u32,
    /// Step mode: a failing step is run again at the same rate up to this many times
    /// before the rate counts as failed.
    #[arg(long, default_value_t = 1)]
    pub step_retries: u32,
    /// Watch this process's memory (VmRSS/VmHWM) during the run. Repeatable.
    #[arg(long = "watch-pid")]
    pub watch_pids: Vec<u32>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Resolves `--target` values into service addresses.
pub fn resolve_targets(targets: &[String]) -> anyhow::Result<SuiteAddrs> {
    let mut addrs = SuiteAddrs {
        urls: HashMap::new(),
    };
    if targets.is_empty() {
        return Ok(SuiteAddrs::local(std::net::IpAddr::from([127, 0, 0, 1])));
    }
    let known: Vec<&'static str> = crate::suite::SERVICES
        .iter()
        .chain(std::iter::once(&crate::suite::AGGREGATOR))
        .map(|s| s.name)
        .collect();
    for t in targets.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        match t.split_once('=') {
            Some((name, url)) => {
                let name = known
                    .iter()
                    .find(|k| **k == name.trim())
                    .with_context(|| format!("--target {t}: no service named {name}"))?;
                let url = url.trim();
                let url = if url.contains("://") {
                    url.to_string()
                } else {
                    format!("http://{url}")
                };
                addrs.urls.insert(name, url);
            }
            None => {
                let host = t.strip_prefix("http://").unwrap_or(t);
                anyhow::ensure!(
                    !host.contains('/') && (host.starts_with('[') || !host.contains(':')),
                    "--target {t}: a bare target is a host (every service on its default \
                     port); for one service write NAME=host:port"
                );
                for (name, url) in SuiteAddrs::on_host(host).urls {
                    addrs.urls.entry(name).or_insert(url);
                }
            }
        }
    }
    Ok(addrs)
}

/// Whether a URL's host is a loopback address (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &str) -> bool {
    let Ok(uri) = url.parse::<tonic::codegen::http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// An indicatif bar on stderr.
struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn phase(&self, label: &str, duration: Duration) {
        self.0.reset();
        self.0.set_length(duration.as_millis() as u64);
        self.0.set_prefix(label.to_string());
    }
    fn tick(&self, elapsed: Duration, live: &Live) {
        use std::sync::atomic::Ordering::Relaxed;
        self.0.set_position(elapsed.as_millis() as u64);
        self.0.set_message(format!(
            "{} calls, {} not OK",
            live.done.load(Relaxed),
            live.errors.load(Relaxed)
        ));
    }
    fn done(&self) {
        self.0.finish_and_clear();
    }
}

/// Runs the load test and prints the report.
pub async fn run(args: LoadtestArgs) -> anyhow::Result<ExitCode> {
    let addrs = resolve_targets(&args.targets)?;
    if !args.allow_remote {
        let mut remote: Vec<String> = addrs
            .urls
            .iter()
            .filter(|(_, u)| !is_loopback(u))
            .map(|(n, u)| format!("{n}={u}"))
            .collect();
        remote.sort();
        anyhow::ensure!(
            remote.is_empty(),
            "refusing non-loopback targets without --allow-remote: {}",
            remote.join(", ")
        );
    }
    let file = if args.tokens_file.exists() {
        Some(crate::client::load_tokens(&args.tokens_file)?)
    } else {
        None
    };
    let tokens: HashMap<Principal, String> = Principal::ALL
        .into_iter()
        .filter_map(|p| crate::client::token_for(p, file.as_ref()).map(|t| (p, t)))
        .collect();
    anyhow::ensure!(
        !tokens.is_empty(),
        "no tokens: {} does not exist and no XK_TOKEN_<PRINCIPAL> is set",
        args.tokens_file.display()
    );
    let load = match (args.rate, args.concurrency) {
        (Some(r), _) => {
            anyhow::ensure!(r > 0.0 && r.is_finite(), "--rate must be above zero");
            Load::Rate(r)
        }
        (None, c) => Load::Concurrency(c.unwrap_or(16).max(1)),
    };
    anyhow::ensure!(
        args.step_factor > 1.0,
        "--step-factor must be above 1 (got {})",
        args.step_factor
    );
    let cfg = Config {
        addrs,
        tokens,
        mix: args.mix,
        load,
        duration: args.duration.into(),
        max_requests: args.max_requests,
        timeout: args.timeout.into(),
        connections: args.connections,
        households: args.households,
        max_in_flight: args.max_in_flight,
        step: args.step.then_some(StepConfig {
            factor: args.step_factor,
            max_steps: args.max_steps,
            p99_bound_ms: args.p99_bound_ms,
            steps_past: args.steps_past,
            retries: args.step_retries,
        }),
        watch_pids: args.watch_pids,
        run_id: crate::loadtest::new_run_id(),
        resolve: args.resolve.settings()?,
    };
    let report = if args.quiet || !std::io::stderr().is_terminal() {
        crate::loadtest::run(&cfg, &Quiet).await?
    } else {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:>16} [{bar:30}] {elapsed_precise} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        crate::loadtest::run(&cfg, &Bar(bar)).await?
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_target_means_the_local_suite() {
        let a = resolve_targets(&[]).unwrap();
        assert_eq!(a.url("registry").unwrap(), "http://127.0.0.1:50051");
        assert_eq!(a.url("aggregator").unwrap(), "http://127.0.0.1:50050");
    }

    #[test]
    fn named_and_bare_targets() {
        let a = resolve_targets(&[
            "aggregator=aggregator:50050".into(),
            "registry=http://10.0.0.7:6000".into(),
            "localhost".into(),
        ])
        .unwrap();
        assert_eq!(a.url("aggregator").unwrap(), "http://aggregator:50050");
        assert_eq!(a.url("registry").unwrap(), "http://10.0.0.7:6000");
        assert_eq!(a.url("water").unwrap(), "http://localhost:50055");
        assert!(resolve_targets(&["billing=x:1".into()]).is_err());
        assert!(resolve_targets(&["host:50051".into()]).is_err());
    }

    fn parse(args: &[&str]) -> Result<LoadtestArgs, clap::Error> {
        use clap::Parser;
        let cli =
            crate::cli::Cli::try_parse_from(["xiaokang", "loadtest"].iter().chain(args.iter()))?;
        match cli.command {
            crate::cli::Command::Loadtest(a) => Ok(*a),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn command_line_bounds_and_modes() {
        let a = parse(&[
            "--duration",
            "2m",
            "--rate",
            "50",
            "--step",
            "--mix",
            "get=1",
        ])
        .unwrap();
        assert_eq!(Duration::from(a.duration), Duration::from_secs(120));
        assert_eq!(a.rate, Some(50.0));
        assert!(a.step);
        assert!(a.mix.has(crate::loadtest::mix::Op::Get));
        let d = parse(&[]).unwrap();
        assert_eq!(Duration::from(d.duration), Duration::from_secs(30));
        assert!(!d.allow_remote && d.concurrency.is_none());
        // Open and closed loop exclude each other; a step run needs a rate.
        assert!(parse(&["--rate", "5", "--concurrency", "2"]).is_err());
        assert!(parse(&["--step"]).is_err());
        assert!(parse(&["--mix", "nope=1"]).is_err());
        assert!(parse(&["--duration", "soon"]).is_err());
    }

    #[test]
    fn only_loopback_is_local() {
        assert!(is_loopback("http://127.0.0.1:50051"));
        assert!(is_loopback("http://127.3.0.1:1"));
        assert!(is_loopback("http://localhost:50051"));
        assert!(is_loopback("http://[::1]:50051"));
        assert!(!is_loopback("http://10.0.0.7:50051"));
        assert!(!is_loopback("http://aggregator:50050"));
        assert!(!is_loopback("not a url"));
    }
}

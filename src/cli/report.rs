//! `xiaokang report`: the county summary from a running suite, as a table (default), JSON
//! (`--json`) or a self-contained HTML page (`--html FILE`). Rendering lives in
//! [`crate::report`]; this module parses the options, calls the aggregator and writes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::aggregator::v1::GetSummaryRequest;
use xk_contracts::pb::common::v1::RegionLevel;
use xk_runtime::Principal;

use crate::client::{load_tokens, token_for};
use crate::report;

/// The level of the per-group rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    /// One row per township (9-digit code).
    Township,
    /// One row per village or community (12-digit code).
    Village,
    /// One row per county (6-digit code).
    County,
}

impl From<GroupBy> for RegionLevel {
    fn from(g: GroupBy) -> RegionLevel {
        match g {
            GroupBy::Township => RegionLevel::Township,
            GroupBy::Village => RegionLevel::Village,
            GroupBy::County => RegionLevel::County,
        }
    }
}

/// Options of `xiaokang report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Region prefix: 6 digits for a county, 9 for a township, 12 for a village.
    #[arg(long, default_value = report::names::COUNTY.code)]
    pub region: String,
    /// The day the summary is judged at (YYYY-MM-DD); default today (UTC+8).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Year of the in-year counts and health coverage year. Default: the latest year with
    /// data, i.e. the latest coverage year, not after the as-of year, in which anyone in
    /// the region is enrolled for health (the as-of year when nobody is); the header
    /// names the year used. So the demo county (2019 data) reports 2019 by default.
    #[arg(long)]
    pub year: Option<i32>,
    /// Level of the per-group rows.
    #[arg(long, value_enum, default_value_t = GroupBy::Township)]
    pub group_by: GroupBy,
    /// Print the summary as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML page to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// The aggregator's address.
    #[arg(
        long,
        env = "XK_AGGREGATOR_URL",
        default_value = "http://127.0.0.1:50050"
    )]
    pub aggregator: String,
    /// The tokens file `xiaokang up` wrote (the aggregator's or admin's token is used;
    /// `XK_TOKEN_AGGREGATOR` / `XK_TOKEN_ADMIN` override it).
    #[arg(long, env = "XK_TOKENS_FILE", default_value = "data/tokens.toml")]
    pub tokens_file: PathBuf,
}

impl ReportArgs {
    /// The GetSummary request these options ask for.
    pub fn request(&self) -> GetSummaryRequest {
        GetSummaryRequest {
            region_prefix: self.region.clone(),
            as_of: self.as_of.map(date_to_pb),
            year: self.year.unwrap_or(0),
            group_by: RegionLevel::from(self.group_by) as i32,
            latest_year_with_data: self.year.is_none(),
        }
    }
}

/// The aggregator's token, else admin's: environment first, then the tokens file if it
/// exists.
fn token(path: &std::path::Path) -> anyhow::Result<String> {
    let file = if path.exists() {
        Some(load_tokens(path)?)
    } else {
        None
    };
    token_for(Principal::Aggregator, file.as_ref())
        .or_else(|| token_for(Principal::Admin, file.as_ref()))
        .with_context(|| {
            format!(
                "no token for the aggregator: {} has none (start the suite with `xiaokang up`, \
                 pass --tokens-file, or set XK_TOKEN_AGGREGATOR)",
                path.display()
            )
        })
}

/// Runs the command.
pub async fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let token = token(&args.tokens_file)?;
    let summary = report::fetch(&args.aggregator, Some(token), args.request()).await?;
    if args.json {
        print!("{}", report::json::render(&summary));
    } else {
        print!("{}", report::table::render(&summary));
    }
    if let Some(path) = &args.html {
        std::fs::write(path, report::html::render(&summary))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<ReportArgs, clap::Error> {
        let cli = Cli::try_parse_from(["xiaokang", "report"].iter().chain(args))?;
        match cli.command {
            Command::Report(a) => Ok(a),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn defaults_ask_for_the_county_by_township_today_in_the_latest_year_with_data() {
        let a = parse(&[]).unwrap();
        let r = a.request();
        assert_eq!(r.region_prefix, "420625");
        assert_eq!(r.as_of, None);
        assert_eq!(r.year, 0);
        assert!(r.latest_year_with_data);
        assert_eq!(r.group_by, RegionLevel::Township as i32);
        assert!(!a.json && a.html.is_none());
    }

    #[test]
    fn options_reach_the_request() {
        let a = parse(&[
            "--region",
            "420625101",
            "--as-of",
            "2019-12-31",
            "--year",
            "2019",
            "--group-by",
            "village",
            "--json",
            "--html",
            "out.html",
        ])
        .unwrap();
        let r = a.request();
        assert_eq!(r.region_prefix, "420625101");
        let d = r.as_of.unwrap();
        assert_eq!((d.year, d.month, d.day), (2019, 12, 31));
        assert_eq!(r.year, 2019);
        assert!(!r.latest_year_with_data, "a year given is the year used");
        assert_eq!(r.group_by, RegionLevel::Village as i32);
        assert!(a.json);
        assert_eq!(a.html.as_deref(), Some(std::path::Path::new("out.html")));
    }

    #[test]
    fn an_impossible_date_or_level_is_refused_before_any_call() {
        assert!(parse(&["--as-of", "2019-02-29"]).is_err());
        assert!(parse(&["--group-by", "province"]).is_err());
    }

    #[test]
    fn a_missing_token_says_how_to_get_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.toml");
        std::fs::write(&path, "registry = \"x\"\n").unwrap();
        // Only when the environment does not provide one (CI does not set these).
        if std::env::var("XK_TOKEN_AGGREGATOR").is_err() && std::env::var("XK_TOKEN_ADMIN").is_err()
        {
            let e = token(&path).unwrap_err().to_string();
            assert!(e.contains("XK_TOKEN_AGGREGATOR"), "{e}");
        }
        std::fs::write(&path, "aggregator = \"agg-token\"\n").unwrap();
        if std::env::var("XK_TOKEN_AGGREGATOR").is_err() {
            assert_eq!(token(&path).unwrap(), "agg-token");
        }
    }
}

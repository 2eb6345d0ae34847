//! `usage-aggregator`: reads the configuration, then serves, migrates, or runs a report command.

// A panic in the server answers nothing and may lose a flush: outside tests, errors are handled or
// an `expect` says why it cannot fail. (Not in the workspace list: the test crates unwrap freely.)
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use usage_aggregator::adopt::Adoption;
use usage_aggregator::cli as stats;
use usage_aggregator::clock::SystemClock;
use usage_aggregator::config::Config;
use usage_aggregator::domain::report::dates::DateRange;
use usage_aggregator::domain::report::site::Site;
use usage_aggregator::report::{ReportSettings, Reports, Source};
use usage_aggregator::startup::{shutdown_signal, Application};
use usage_aggregator::store::Store;
use usage_aggregator::telemetry;

// The system allocator, on purpose. mimalloc 0.1.52 as the global allocator was measured
// (issue 15, BENCHMARKS.md "This round"): 18 % fewer instructions per heartbeat under callgrind
// (106.8k -> 87.3k), but the same CPU per heartbeat outside the profiler (51 to 55 us against
// 55 to 56 us, alternating runs) and a higher memory peak in figure d (102.6 MB against 57.8 MB;
// 79.0 MB with MIMALLOC_PURGE_DELAY=0). It did not pay, so it is not set here.

#[derive(Parser)]
#[command(
    version,
    about = "Privacy-respecting usage aggregator for the IDE's tracker"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, env = "USAGE_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// The deployment's existing JSON config ({"usage_tracking": {...}}), with ${VAR} substitution.
    #[arg(long, env = "USAGE_LEGACY_CONFIG", global = true)]
    legacy_config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, then receive events until SIGTERM or ctrl-c.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective configuration (files, then environment), secrets masked, and exit;
    /// a configuration error exits 2 with the message. Connects to nothing.
    CheckConfig,
    /// Recompute daily summaries: the days `serve`'s periodic run would (those with sessions
    /// touched since the last run; every day the first time and after a change of
    /// `report_timezone` or `site_timezones`), or every day from --from to --to (local days of
    /// `report_timezone`, and of each site's own zone for its rows; both included).
    Rollup {
        #[arg(long, requires = "to")]
        from: Option<NaiveDate>,
        #[arg(long, requires = "from")]
        to: Option<NaiveDate>,
    },
    /// Apply every row of the heartbeat journal to the sessions, then exit: before a downgrade
    /// to a release without the journal, once `heartbeat_journal` is off on every replica.
    Fold,
    /// Delete raw sessions and events older than retention_days (summaries stay; their free text
    /// expires after summary_text_retention_days).
    Purge,
    /// Once, after pointing the aggregator at the old deployment's database, adopt it: replace
    /// every raw IP address stored in ide_sessions by the configured ip_mode's form, reduce full
    /// user agents, and roll up the days that changed. (Its first name, `anonymize-stored-ips`,
    /// still works.)
    #[command(alias = "anonymize-stored-ips")]
    Adopt,
    /// Serve the stats reports as read-only tools to an AI agent over the Model Context Protocol
    /// (stdio), on the configured database opened read-only. The MCP client presents its token
    /// in USAGE_MCP_CLIENT_TOKEN: the configured mcp_token or admin_token.
    Mcp,
    /// Print a report of the last N days (today included): the daily summaries as a table (with
    /// the sessions filtered as automation or crawlers), or the hourly or time report's CSV.
    Stats {
        /// Days ending today; default 14 (the hourly report: 1, at most 7).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=3660))]
        days: Option<u64>,
        /// One JSON object, the answer of the report's route (`GET /api/v1/stats/daily`,
        /// `/hourly` or `/time`: the same read), instead of the table.
        #[arg(long)]
        json: bool,
        /// One site's figures (as `?site=`).
        #[arg(long)]
        site: Option<String>,
        /// Which report.
        #[arg(long, value_enum, default_value_t = stats::Report::Daily)]
        report: stats::Report,
        /// `previous`: also the period of the same length before (as `?compare=previous`; the
        /// daily report only).
        #[arg(long, value_parser = ["previous"])]
        compare: Option<String>,
    },
    /// Print the journey of the last N days' sessions (today included): runs, successes, time
    /// to the first of each, failures before a success, recoveries.
    Journey {
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Print the funnel of the last N days' sessions (today included): sessions per step.
    Funnel {
        #[command(flatten)]
        report: ReportArgs,
    },
}

/// The options of the `journey` and `funnel` commands.
#[derive(clap::Args)]
struct ReportArgs {
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u64).range(1..=3660))]
    days: u64,
    /// One JSON object, the answer of the route of the same name (the same read).
    #[arg(long)]
    json: bool,
    /// One site's figures (as `?site=`).
    #[arg(long)]
    site: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(
        cli.config.as_deref(),
        cli.legacy_config.as_deref(),
        &|name| std::env::var(name).ok(),
    ) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("usage-aggregator: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    if let Command::CheckConfig = cli.command {
        println!("{config:#?}");
        println!("configuration OK");
        return ExitCode::SUCCESS;
    }
    telemetry::init(config.log_format);
    let outcome = match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
        Command::CheckConfig => Ok(()),
        Command::Rollup { from, to } => rollup(config, from.zip(to)).await,
        Command::Purge => purge(config).await,
        Command::Fold => fold(config).await,
        Command::Journey { report } => journey_report(config, report, false).await,
        Command::Funnel { report } => journey_report(config, report, true).await,
        Command::Stats {
            days,
            json,
            site,
            report,
            compare,
        } => {
            let ask = stats::Ask {
                report,
                days,
                json,
                site,
                compare,
            };
            stats(config, ask).await
        }
        Command::Adopt => adopt(config).await,
        Command::Mcp => {
            let presented = std::env::var(usage_aggregator::mcp::access::CLIENT_TOKEN_VAR).ok();
            usage_aggregator::mcp::serve(&config, presented.as_deref()).await
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if !config.enabled {
        anyhow::bail!("usage tracking is disabled in the legacy config (\"enabled\": false): nothing to serve");
    }
    let app = Application::build(&config, Arc::new(SystemClock))
        .await
        .context("starting the server")?;
    app.run_until_stopped(shutdown_signal())
        .await
        .context("serving")
}

/// Connects to the configured database, saying which one (its password masked) when it fails.
async fn open(config: &Config) -> anyhow::Result<(Store, String)> {
    let target = config.database();
    let name = target.describe();
    let store = Store::open(&target)
        .await
        .with_context(|| format!("opening the database at {name}"))?;
    Ok((store, name))
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let (store, name) = open(&config).await?;
    let applied = store
        .migrate()
        .await
        .with_context(|| format!("migrating the database at {name}"))?;
    println!("applied migrations: {applied:?}");
    store.disconnect().await;
    Ok(())
}

/// Connects and migrates (as `serve` does), for the report commands.
async fn reports(config: &Config) -> anyhow::Result<Reports> {
    let (store, name) = open(config).await?;
    store
        .migrate()
        .await
        .with_context(|| format!("migrating the database at {name}"))?;
    Ok(Reports {
        store,
        clock: Arc::new(SystemClock),
        settings: ReportSettings::from(config),
        funnel: config.funnel(),
        site_zones_checked: Default::default(),
    })
}

async fn rollup(config: Config, range: Option<(NaiveDate, NaiveDate)>) -> anyhow::Result<()> {
    let reports = reports(&config).await?;
    let started = std::time::Instant::now();
    let outcome = match range {
        Some((from, to)) if to < from => anyhow::bail!("--to ({to}) is before --from ({from})"),
        Some((from, to)) => reports
            .rollup_days(DateRange { from, to }.days())
            .await
            .with_context(|| format!("rolling up the days from {from} to {to}"))?,
        None => reports
            .rollup_due()
            .await
            .context("rolling up the days due")?,
    };
    println!(
        "rolled up {} day(s) in {:.2?}; skipped {} (no raw sessions, or before the retention boundary {})",
        outcome.rolled_up.len(),
        started.elapsed(),
        outcome.skipped.len(),
        reports.first_kept_day()
    );
    reports.store.disconnect().await;
    Ok(())
}

async fn fold(config: Config) -> anyhow::Result<()> {
    let store = reports(&config).await?.store;
    let folder = usage_aggregator::fold::Folder {
        store: store.clone(),
        slack: chrono::Duration::seconds(config.session_slack_secs as i64),
    };
    let (mut rows, mut sessions) = (0, 0);
    loop {
        let folded = folder
            .fold_all()
            .await
            .context("folding the heartbeat journal")?;
        if folded.rows == 0 {
            break;
        }
        rows += folded.rows;
        sessions += folded.sessions;
    }
    println!("folded {rows} heartbeat journal row(s) into {sessions} session update(s), until the journal was empty");
    store.disconnect().await;
    Ok(())
}

async fn purge(config: Config) -> anyhow::Result<()> {
    let reports = reports(&config).await?;
    let outcome = reports
        .purge()
        .await
        .context("deleting raw rows past retention")?;
    println!(
        "kept raw rows from {} on; rolled up {} day(s) first; deleted {} session(s), {} program run(s), {} feature event(s); \
         kept summary texts from {} on; expired the texts of {} summary row(s)",
        reports.first_kept_day(),
        outcome.days_rolled_up_first,
        outcome.sessions,
        outcome.program_executions,
        outcome.feature_usage,
        reports.first_day_with_texts(),
        outcome.summary_texts
    );
    reports.store.disconnect().await;
    Ok(())
}

async fn stats(config: Config, ask: stats::Ask) -> anyhow::Result<()> {
    let reports = reports(&config).await?;
    let source = source_of(&config, &reports);
    let printed = stats::print(source, ask).await;
    reports.store.disconnect().await;
    print!("{}", printed?);
    Ok(())
}

/// What the report commands read: the store opened for them, no journal folding (the
/// replicas fold every second).
fn source_of(config: &Config, reports: &Reports) -> Source {
    Source {
        store: reports.store.clone(),
        clock: reports.clock.clone(),
        heartbeat_interval: std::time::Duration::from_secs(config.heartbeat_interval_secs),
        retention: reports.settings.clone(),
        folder: None,
    }
}

/// The `journey` and `funnel` commands: the route's read over the last `days` days.
async fn journey_report(config: Config, args: ReportArgs, funnel: bool) -> anyhow::Result<()> {
    use usage_aggregator::domain::report::{funnel as funnel_report, journey};
    let site = args
        .site
        .as_deref()
        .map(Site::parse)
        .transpose()
        .map_err(|bad| anyhow::anyhow!("--site: {}", bad.reason))?;
    let reports = reports(&config).await?;
    let source = source_of(&config, &reports);
    let range = DateRange::ending(source.today_of(site.as_ref()), args.days);
    let context = || {
        format!(
            "reading the journey summaries from {} to {}",
            range.from, range.to
        )
    };
    let text = if funnel {
        let answer = usage_aggregator::report::funnel::read(&source, &range, site.as_ref())
            .await
            .with_context(context)?;
        if args.json {
            serde_json::to_string(&answer)? + "\n"
        } else {
            funnel_report::render(&answer)
        }
    } else {
        let answer = usage_aggregator::report::journey::read(&source, &range, site.as_ref())
            .await
            .with_context(context)?;
        if args.json {
            serde_json::to_string(&answer)? + "\n"
        } else {
            journey::render(&answer)
        }
    };
    print!("{text}");
    reports.store.disconnect().await;
    Ok(())
}

async fn adopt(config: Config) -> anyhow::Result<()> {
    let reports = reports(&config).await?;
    let adoption = Adoption {
        store: &reports.store,
        mode: config.ip_mode,
        store_full_user_agent: config.store_full_user_agent,
        zones: config.zones(),
    };
    let outcome = adoption.run().await.context("adopting the stored rows")?;
    let rollup = reports
        .rollup_days(outcome.days.iter().copied())
        .await
        .context("rolling up the adopted days again")?;
    println!(
        "rewrote {} session row(s), {} of which held an IP address (ip_mode {:?}; {} day(s) without a salt used a one-off salt that was not stored); cleared the address of {} page visit(s); rolled up {} day(s) again",
        outcome.rows,
        outcome.addresses,
        config.ip_mode,
        outcome.one_off_salt_days,
        outcome.page_visits,
        rollup.rolled_up.len()
    );
    reports.store.disconnect().await;
    Ok(())
}

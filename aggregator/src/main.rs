//! `usage-aggregator`: reads the configuration, then serves or migrates.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use usage_aggregator::clock::SystemClock;
use usage_aggregator::config::Config;
use usage_aggregator::startup::{shutdown_signal, Application};
use usage_aggregator::store::Store;
use usage_aggregator::telemetry;

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
    telemetry::init(config.log_format);
    let outcome = match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("usage-aggregator: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if !config.enabled {
        anyhow::bail!("usage tracking is disabled in the legacy config (\"enabled\": false): nothing to serve");
    }
    let app = Application::build(&config, Arc::new(SystemClock)).await?;
    app.run_until_stopped(shutdown_signal()).await
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let store = Store::connect(config.require_database_url().map_err(anyhow::Error::msg)?).await?;
    let applied = store.migrate().await?;
    println!("applied migrations: {applied:?}");
    store.disconnect().await;
    Ok(())
}

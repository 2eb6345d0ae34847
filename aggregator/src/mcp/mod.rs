//! `usage-aggregator mcp`: a Model Context Protocol server over stdio (rmcp), for AI agents. Its
//! tools are the stats API's reports, read-only: the same functions answer them (`tools.rs`),
//! on the configured database opened read-only and never migrated (`Store::open_read_only`),
//! once the client's token is admitted (`access.rs`). Logs go to stderr; stdout is the protocol's.

pub mod access;
pub mod tools;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rmcp::ServiceExt;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::report::Source;
use crate::store::Store;

/// Admits the client's token, opens the database read-only and answers tool calls on stdin and
/// stdout until the client closes them.
pub async fn serve(config: &Config, presented: Option<&str>) -> anyhow::Result<()> {
    let admitted = access::admit(config, presented)?;
    let target = config.database();
    let name = target.describe();
    let store = Store::open_read_only(&target).await.with_context(|| {
        format!(
            "opening the database at {name} read-only (the MCP server never migrates: run \
             `usage-aggregator migrate`, or `serve`, which migrates, with this build first)"
        )
    })?;
    tracing::info!(database = %name, token = ?admitted, "MCP server: serving on stdio");
    let source = Source {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        heartbeat_interval: Duration::from_secs(config.heartbeat_interval_secs),
        retention: crate::report::ReportSettings::from(config),
        folder: None,
    };
    let running = tools::Tools::new(source)
        .serve(rmcp::transport::stdio())
        .await
        .context("starting the MCP session on stdio")?;
    let reason = running.waiting().await.context("serving MCP on stdio")?;
    tracing::info!(?reason, "MCP server: the client closed the session");
    store.disconnect().await;
    Ok(())
}

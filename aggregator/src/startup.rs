//! Builds the application from its configuration and owns the shutdown order: stop accepting,
//! finish in-flight requests, drain the write queue, stop the periodic jobs, close the pool.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::SharedClock;
use crate::config::{Config, Secret};
use crate::fold::Folder;
use crate::http::metrics::Placement;
use crate::http::serve::SocketLimits;
use crate::http::{self, AppState, IngestRules, StaticDirs, Visitors};
use crate::jobs::Jobs;
use crate::pipeline::writer::{self, WriterConfig};
use crate::report::{ReportSettings, Reports};
use crate::store::Store;
use crate::visitor::{SaltBook, TrustedProxies};

mod waiting;

/// How long the write queue may take to drain at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a stopping replica folds the heartbeat journal at most (an unreachable database
/// must not hold the stop): what it leaves, another replica or the next start folds.
const FOLD_AT_STOP: Duration = Duration::from_secs(5);

pub struct Application {
    listener: TcpListener,
    router: Router,
    store: Store,
    writer_task: JoinHandle<()>,
    jobs: Jobs,
    upkeep_every: Duration,
    socket_limits: SocketLimits,
    /// The metrics listener (`metrics_listen`), serving from the start until the end.
    metrics_server: Option<MetricsServer>,
}

impl Application {
    /// Binds the listener (port 0 picks a free port: see [`Application::port`]), connects to the
    /// database (waiting for it up to `database_wait_secs`: see `waiting`), migrates it and
    /// starts the writer.
    pub async fn build(config: &Config, clock: SharedClock) -> anyhow::Result<Application> {
        // Bound first: a port in use fails at once, and the probes answer while the database
        // is waited for.
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let socket_limits = SocketLimits {
            header_timeout: Duration::from_secs(config.limits.header_timeout_secs),
            first_byte_timeout: Duration::from_secs(config.limits.first_byte_timeout_secs),
            max_connections: config.limits.max_connections,
            max_connections_per_client: config.limits.max_connections_per_client,
            trusted_proxies: TrustedProxies(config.trusted_proxies.clone()),
        };
        // With `metrics = false` no recorder is installed and `/metrics` is not routed.
        let (metrics, metrics_server) = match (config.metrics, config.metrics_listen) {
            (false, _) => (Placement::Off, None),
            (true, None) => (Placement::Beside(crate::metrics::install()), None),
            (true, Some(address)) => {
                let server = MetricsServer::start(address, &socket_limits).await?;
                (Placement::Apart, Some(server))
            }
        };
        let wait = waiting::Wait {
            bound: Duration::from_secs(config.database_wait_secs),
            retry_after_secs: config.retry_after_secs,
            socket_limits: socket_limits.clone(),
            metrics: metrics.clone(),
        };
        let target = config.database();
        let (store, listener) = waiting::connect(&target, &wait, listener)
            .await
            .with_context(|| format!("opening the database at {}", target.describe()))?;
        let applied = store
            .migrate()
            .await
            .with_context(|| format!("migrating the database at {}", target.describe()))?;
        if !applied.is_empty() {
            tracing::info!(?applied, "database migrated");
        }
        crate::metrics::started();
        let new_sites = site_gate(config, &store, clock.now()).await?;
        let salts = Arc::new(SaltBook::new(store.clone()));
        let (writer, writer_task) = writer::spawn(
            store.clone(),
            WriterConfig {
                queue_capacity: config.queue_capacity,
                max_requests_per_flush: config.max_requests_per_flush,
                flush_timeout: Duration::from_secs(config.flush_timeout_secs),
                session_slack: chrono::Duration::seconds(config.session_slack_secs as i64),
                heartbeat_journal: config.heartbeat_journal,
            },
        );
        let folder = Folder {
            store: store.clone(),
            slack: chrono::Duration::seconds(config.session_slack_secs as i64),
        };
        let state = AppState {
            store: store.clone(),
            writer,
            visitors: Arc::new(Visitors {
                mode: config.ip_mode,
                salts: salts.clone(),
                zones: config.zones(),
            }),
            clock: clock.clone(),
            trusted_proxies: TrustedProxies(config.trusted_proxies.clone()),
            rules: IngestRules {
                allowed_origins: Arc::new(config.allowed_origins.clone()),
                sites: Arc::new(config.sites.clone()),
                honor_privacy_signals: config.honor_privacy_signals,
                filter_automation: config.filter_automation,
                store_full_user_agent: config.store_full_user_agent,
                retry_after_secs: config.retry_after_secs,
                body_timeout: Duration::from_secs(config.limits.body_timeout_secs),
            },
            rate_limits: http::rate_limit::RateLimits::new(&config.limits),
            admin_token: http::stats::admin_token(config.admin_token.as_ref().map(Secret::expose)),
            heartbeat_interval: Duration::from_secs(config.heartbeat_interval_secs),
            retention: ReportSettings::from(config),
            allowed_hosts: (!config.allowed_hosts.is_empty())
                .then(|| Arc::new(config.allowed_hosts.clone())),
            new_sites: Arc::new(new_sites),
            folder: Some(folder.clone()),
        };
        let dirs = StaticDirs {
            site: config.static_dir.clone(),
            client: config.client_dir.clone(),
        };
        let router = http::router(state, &dirs, metrics);
        let jobs = Jobs {
            store: store.clone(),
            salts,
            clock: clock.clone(),
            idle_timeout: chrono::Duration::seconds(config.idle_timeout_secs as i64),
            reports: Reports {
                store: store.clone(),
                clock: clock.clone(),
                settings: ReportSettings::from(config),
                funnel: config.funnel(),
                site_zones_checked: Default::default(),
            },
            rollup_every: Duration::from_secs(config.rollup_interval_secs),
            refresh_every: Duration::from_secs(config.summary_refresh_secs),
            replica_id: hex::encode(rand::random::<[u8; 16]>()),
            rollup_at_start: config.rollup_at_start,
            folder: folder.clone(),
            fold_often: config.heartbeat_journal,
            fold_every: Duration::from_secs(config.heartbeat_journal_fold_secs),
        };
        let upkeep_every = Duration::from_secs(config.maintenance_interval_secs);
        Ok(Application {
            listener,
            router,
            store,
            writer_task,
            jobs,
            upkeep_every,
            socket_limits,
            metrics_server,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// A handle to run the periodic jobs by hand (tests).
    pub fn jobs(&self) -> Jobs {
        self.jobs.clone()
    }

    /// Serves until `shutdown` resolves, then drains everything that was accepted.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let folder = self.jobs.folder.clone();
        let jobs = self.jobs.spawn(self.upkeep_every);
        let address = self
            .listener
            .local_addr()
            .context("reading the listener's address")?;
        tracing::info!(%address, "serving");
        http::serve::serve(self.listener, self.router, self.socket_limits, shutdown).await;
        // The router (and every writer handle in it) is gone: the writer drains and stops.
        match tokio::time::timeout(DRAIN_TIMEOUT, self.writer_task).await {
            Ok(_) => tracing::info!("write queue drained"),
            Err(_) => tracing::error!("write queue not drained within {DRAIN_TIMEOUT:?}"),
        }
        jobs.abort();
        // What this replica journaled is folded now, not left for another replica's next round.
        let _ = tokio::time::timeout(FOLD_AT_STOP, folder.fold_first("shutdown")).await;
        self.store.disconnect().await;
        if let Some(server) = self.metrics_server {
            server.stop().await;
        }
        Ok(())
    }
}

/// `GET /metrics` on a listener of its own (`metrics_listen`), under the same socket limits. It
/// stops when stopped, or when dropped (a start that failed).
struct MetricsServer {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// Binds `address` and serves from now on: while `serve` waits for its database too.
    async fn start(address: SocketAddr, limits: &SocketLimits) -> anyhow::Result<MetricsServer> {
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("listening for metrics on {address} (metrics_listen)"))?;
        let router = http::metrics::apart(crate::metrics::install());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(http::serve::serve(
            listener,
            router,
            limits.clone(),
            async {
                let _ = stopped.await;
            },
        ));
        tracing::info!(%address, "serving metrics");
        Ok(MetricsServer { stop, task })
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Resolves on SIGTERM or ctrl-c. The SIGTERM handler is installed when this is called, not when
/// first polled: a SIGTERM arriving just after "serving" is logged is a clean stop, not a kill.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async move {
            match terminate {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = terminate => {},
        }
        tracing::info!("shutting down: draining accepted events");
    }
}

/// The gate on new site ids: off with an allowlist (`sites`) or a cap of 0; else it knows the
/// ids of the summaries and of the sessions since yesterday (those not rolled up yet).
async fn site_gate(
    config: &Config,
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<http::sites::SiteGate> {
    let cap = if config.sites.is_empty() {
        config.max_new_sites_per_day
    } else {
        0
    };
    let known = if cap == 0 {
        Vec::new()
    } else {
        let since = now.date_naive() - chrono::Days::new(1);
        store
            .known_sites(since)
            .await
            .context("reading the site ids the database knows")?
    };
    Ok(http::sites::SiteGate::new(cap, known))
}

//! The HTTP edge: routes, shared state and the error type. Handlers parse, check and hand off.

mod body;
mod client_conns;
mod client_files;
mod error;
mod health;
mod hosts;
mod ingest;
pub mod metrics;
pub mod openapi;
mod origin;
pub mod rate_limit;
mod security_headers;
pub mod serve;
pub mod sites;
pub mod stats;
pub mod visitors;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

pub use error::{ApiError, ErrorBody};
pub use health::waiting_router;

use crate::clock::SharedClock;
use crate::pipeline::writer::WriterHandle;
use crate::store::Store;
use crate::visitor::TrustedProxies;
pub use visitors::Visitors;

/// What the ingest rules need from the configuration.
#[derive(Debug, Clone)]
pub struct IngestRules {
    pub allowed_origins: Arc<Vec<String>>,
    pub sites: Arc<Vec<String>>,
    pub honor_privacy_signals: bool,
    /// Filter the sessions of browsers that report automation (`filter_automation`).
    pub filter_automation: bool,
    pub store_full_user_agent: bool,
    pub retry_after_secs: u64,
    /// A request body must arrive within this (`limits.body_timeout_secs`).
    pub body_timeout: std::time::Duration,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub writer: WriterHandle,
    pub visitors: Arc<Visitors>,
    pub clock: SharedClock,
    pub trusted_proxies: TrustedProxies,
    pub rules: IngestRules,
    /// None: rate limits are switched off (`limits.rate_limits`).
    pub rate_limits: Option<Arc<rate_limit::RateLimits>>,
    /// None: the stats API answers 503 (it is never open by default).
    pub admin_token: Option<Arc<stats::AdminToken>>,
    /// The pages' heartbeat period (`heartbeat_interval_secs`), for the live view.
    pub heartbeat_interval: std::time::Duration,
    /// The retention in force, which `/stats/daily` shows (the dashboard's footer).
    pub retention: crate::report::ReportSettings,
    /// None: any `Host` is answered (`allowed_hosts` empty, the default).
    pub allowed_hosts: Option<Arc<Vec<String>>>,
    /// The cap on new site ids per day, when `sites` is empty (`max_new_sites_per_day`).
    pub new_sites: Arc<sites::SiteGate>,
    /// Folds the heartbeat journal before the live view reads (`crate::fold`).
    pub folder: Option<crate::fold::Folder>,
}

impl FromRef<AppState> for TrustedProxies {
    fn from_ref(state: &AppState) -> Self {
        state.trusted_proxies.clone()
    }
}

pub struct StaticDirs {
    pub site: std::path::PathBuf,
    pub client: std::path::PathBuf,
}

/// The application's routes; `/metrics` only when placed beside them, the request counter
/// unless metrics are off.
pub fn router(state: AppState, dirs: &StaticDirs, metrics: metrics::Placement) -> Router {
    let cors = origin::cors(
        state.rules.allowed_origins.clone(),
        state.trusted_proxies.clone(),
    );
    // The API routes come with their description (`openapi`); the rest is static files.
    let guard = state.clone();
    let allowed_hosts = state.allowed_hosts.clone();
    let (api, _) =
        openapi::api(metrics.beside(), |routes| stats::guarded(routes, guard)).split_for_parts();
    let routes = api
        .nest("/usage", client_files::routes(&dirs.client))
        .fallback_service(ServeDir::new(&dirs.site))
        .with_state(state);
    // The layers wrap the whole router once. `Router::layer` would wrap each route in one more
    // boxed service per layer, and every request clones its route's service: the callgrind
    // profile of bench figure b counted 21 boxed-service clones (and six CORS layer clones) per
    // heartbeat that way, about 15 % of the aggregator's instructions per heartbeat (122k before,
    // 105k after, salt-cache warm-up left out); now one of each.
    // Per request at DEBUG, failures (5xx) included: an outage is logged once, by the writer's
    // change of state, not once per 503 (TraceLayer's default is one ERROR each).
    let stack = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(Level::DEBUG)))
        .layer_fn(security_headers::wrap)
        .option_layer(metrics.counts().then_some(metrics::CountLayer))
        .option_layer(allowed_hosts.map(|h| axum::middleware::from_fn_with_state(h, hosts::check)))
        .layer_fn(origin::constant_headers)
        .layer(cors)
        .service(routes);
    Router::new().fallback_service(stack)
}

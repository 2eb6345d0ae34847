//! Liveness (the process answers) and readiness (the database answers and is migrated), and
//! the few routes answered while `serve` still waits for its database.

use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, AppState};

/// The process answers (for a liveness probe: never the database).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "the process is alive", body = String,
               content_type = "text/plain", example = "ok"))
)]
pub async fn alive() -> &'static str {
    "ok"
}

/// The answer of `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: &'static str,
    /// Why not, when not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn not_ready(reason: String) -> (StatusCode, Json<Readiness>) {
    let readiness = Readiness {
        status: "not ready",
        reason: Some(reason),
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(readiness))
}

/// The database answers and is migrated (for a readiness probe).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "the database answers and is migrated", body = Readiness),
        (status = 503, description = "not ready: the database does not answer, is not migrated, \
                                      or `serve` still waits for it; `reason` says which",
         body = Readiness),
    )
)]
pub async fn ready(State(app): State<AppState>) -> (StatusCode, Json<Readiness>) {
    match app.store.readiness().await {
        Ok(()) => {
            let ready = Readiness {
                status: "ready",
                reason: None,
            };
            (StatusCode::OK, Json(ready))
        }
        Err(reason) => not_ready(reason),
    }
}

/// The Prometheus text format (README, "Operating it").
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses((status = 200, description = "every metric, in the Prometheus text format 0.0.4",
               body = String, content_type = "text/plain"))
)]
pub async fn metrics(handle: State<PrometheusHandle>) -> Response {
    super::metrics::render(handle).await
}

/// Why the application is not serving yet (`/readyz` while `serve` waits for the database).
pub type WaitingFor = Arc<RwLock<String>>;

/// The routes answered while `serve` waits for its database: `/healthz` (the process is alive:
/// no restart needed), `/readyz` (503 and the reason), `/metrics` (unless `metrics` is None:
/// metrics off); everything else 503 with Retry-After, as an outage is answered.
pub fn waiting_router(
    waiting: WaitingFor,
    retry_after_secs: u64,
    metrics: Option<PrometheusHandle>,
) -> Router {
    let still_waiting = |State(waiting): State<WaitingFor>| async move {
        not_ready(waiting.read().map(|r| r.clone()).unwrap_or_default())
    };
    let starting = move || async move {
        ApiError::unavailable_as(
            "starting",
            "starting: waiting for the database (see /readyz)",
            retry_after_secs,
        )
    };
    let routes = Router::new()
        .route("/healthz", get(alive))
        .route("/readyz", get(still_waiting))
        .fallback(starting)
        .with_state(waiting);
    super::metrics::routed(routes, metrics)
}

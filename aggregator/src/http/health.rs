//! Liveness (the process answers) and readiness (the database answers and is migrated), and
//! the few routes answered while `serve` still waits for its database.

use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{json, Value};

use super::{ApiError, AppState};

pub async fn alive() -> &'static str {
    "ok"
}

pub async fn ready(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    match app.store.readiness().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not ready", "reason": reason})),
        ),
    }
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
    let not_ready = |State(waiting): State<WaitingFor>| async move {
        let reason = waiting.read().map(|r| r.clone()).unwrap_or_default();
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not ready", "reason": reason})),
        )
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
        .route("/readyz", get(not_ready))
        .fallback(starting)
        .with_state(waiting);
    super::metrics::routed(routes, metrics)
}

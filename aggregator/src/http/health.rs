//! Liveness (the process answers) and readiness (the database answers and is migrated), and
//! the few routes answered while `serve` still waits for its database. Anyone may ask `/readyz`:
//! its answer never names the database (account, host, port, name); the log does.

use std::sync::Mutex;

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
    /// `waiting for the database` when not ready (why exactly is in the log).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// All `/readyz` says of a database that is not ready.
const WAITING: &str = "waiting for the database";

fn not_ready() -> (StatusCode, Json<Readiness>) {
    let readiness = Readiness {
        status: "not ready",
        reason: Some(WAITING),
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(readiness))
}

/// Logs why the database is not ready, once per change of reason: a probe asks every few
/// seconds, and an outage is already logged by the writer's change of state.
fn log_not_ready(detail: Option<&str>) {
    static LAST: Mutex<Option<String>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if last.as_deref() != detail {
        if let Some(detail) = detail {
            tracing::warn!(reason = detail, "not ready");
        }
        *last = detail.map(str::to_owned);
    }
}

/// The database answers and is migrated (for a readiness probe).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "the database answers and is migrated", body = Readiness),
        (status = 503, description = "not ready: the database does not answer, is not migrated, \
                                      or `serve` still waits for it; `reason` is `waiting for \
                                      the database` (the log says which)",
         body = Readiness),
    )
)]
pub async fn ready(State(app): State<AppState>) -> (StatusCode, Json<Readiness>) {
    match app.store.readiness().await {
        Ok(()) => {
            log_not_ready(None);
            let ready = Readiness {
                status: "ready",
                reason: None,
            };
            (StatusCode::OK, Json(ready))
        }
        Err(detail) => {
            log_not_ready(Some(&detail));
            not_ready()
        }
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

/// The routes answered while `serve` waits for its database: `/healthz` (the process is alive:
/// no restart needed), `/readyz` (503, waiting: each attempt's reason is logged), `/metrics`
/// (unless metrics are off or on their own listener); everything else 503 with Retry-After, as
/// an outage is answered.
pub fn waiting_router(retry_after_secs: u64, metrics: super::metrics::Placement) -> Router {
    let still_waiting = || async { not_ready() };
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
        .fallback(starting);
    super::metrics::routed(routes, metrics)
}

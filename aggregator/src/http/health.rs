//! Liveness (the process answers) and readiness (the database answers and is migrated).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;

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

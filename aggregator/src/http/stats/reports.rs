//! The report routes: each parses its query, reads through `report::live` (stored summaries,
//! and the raw rows of days the rollup has not seen yet) and shapes with `report::shape`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::{StatsError, DEFAULT_DAYS, DEFAULT_SESSIONS, MAX_SESSIONS};
use crate::http::AppState;
use crate::report::dates::{BadRange, DateRange};
use crate::report::errors;
use crate::report::feature_data;
use crate::report::live::Fresh;
use crate::report::now;
use crate::report::shape;
use crate::report::site::Site;

type Params = Query<HashMap<String, String>>;

fn range(app: &AppState, params: &HashMap<String, String>) -> Result<DateRange, StatsError> {
    let today = app.clock.now().date_naive();
    DateRange::parse(
        params.get("from").map(String::as_str),
        params.get("to").map(String::as_str),
        today,
        DEFAULT_DAYS,
    )
    .map_err(StatsError::BadQuery)
}

/// `?site=`: one site's reports; without it, all sites'.
fn site(params: &HashMap<String, String>) -> Result<Option<Site>, StatsError> {
    params
        .get("site")
        .map(|text| Site::parse(text))
        .transpose()
        .map_err(StatsError::BadQuery)
}

fn with_range(range: &DateRange, mut body: Value) -> Json<Value> {
    if let Some(object) = body.as_object_mut() {
        object.insert("from".into(), json!(range.from));
        object.insert("to".into(), json!(range.to));
    }
    Json(body)
}

pub async fn daily(
    State(app): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, StatsError> {
    let range = range(&app, &params)?;
    let fresh = Fresh::read(&app.store, &range, site(&params)?.as_ref()).await?;
    let rows = fresh.daily_rows(&app.store, &range).await?;
    let rolled_up_at = app.store.last_rollup().await?.map(|at| at.and_utc());
    Ok(with_range(
        &range,
        json!({"days": shape::series(&range, &rows), "totals": shape::totals(&rows),
               "rolled_up_at": rolled_up_at, "live_days": fresh.live_days}),
    ))
}

pub async fn sessions(
    State(app): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, StatsError> {
    let limit = match params.get("limit") {
        None => DEFAULT_SESSIONS,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_SESSIONS).contains(n))
            .ok_or_else(|| {
                StatsError::BadQuery(BadRange {
                    field: "limit",
                    reason: format!("limit must be a number from 1 to {MAX_SESSIONS}"),
                })
            })?,
    };
    let sessions = app
        .store
        .recent_sessions(limit, site(&params)?.as_ref())
        .await?;
    Ok(Json(json!({"sessions": sessions})))
}

pub async fn features(
    State(app): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, StatsError> {
    let range = range(&app, &params)?;
    let fresh = Fresh::read(&app.store, &range, site(&params)?.as_ref()).await?;
    let counts = shape::features(fresh.feature_counts(&app.store, &range).await?);
    Ok(with_range(&range, json!({"features": counts})))
}

pub async fn programs(
    State(app): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, StatsError> {
    let range = range(&app, &params)?;
    let stats = shape::programs(
        &app.store
            .program_totals(&range, site(&params)?.as_ref())
            .await?,
    );
    Ok(with_range(&range, json!(stats)))
}

pub async fn clients(
    State(app): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, StatsError> {
    let range = range(&app, &params)?;
    let fresh = Fresh::read(&app.store, &range, site(&params)?.as_ref()).await?;
    let clients = shape::clients(fresh.client_counts(&app.store, &range).await?);
    Ok(with_range(&range, json!(clients)))
}

/// Who is on each site now, and their programs' runs and errors in the last 5 and 30 minutes.
pub async fn live(
    State(app): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, StatsError> {
    let only = site(&params)?;
    let now = app.clock.now();
    let [seen, five, thirty] = now::cutoffs(now, app.heartbeat_interval);
    let sites = app
        .store
        .live_sites(seen.naive_utc(), five.naive_utc(), thirty.naive_utc())
        .await?;
    let sites = sites
        .into_iter()
        .filter(|s| only.as_ref().is_none_or(|o| o.as_str() == s.site))
        .collect();
    let mut body = json!(now::view(sites));
    if let Some(object) = body.as_object_mut() {
        object.insert("at".into(), json!(now));
        object.insert(
            "heartbeat_interval_secs".into(),
            json!(app.heartbeat_interval.as_secs()),
        );
        object.insert("seen_since".into(), json!(seen));
    }
    Ok(Json(body))
}

/// Groups shown at most (`?limit=`, default 20).
const MAX_ERRORS: u32 = 100;

/// The most frequent program errors of sessions that started in the range, grouped so that the
/// same error on different lines counts together.
pub async fn errors(
    State(app): State<AppState>,
    Query(params): Params,
) -> Result<Json<Value>, StatsError> {
    let range = range(&app, &params)?;
    let limit = bounded("limit", params.get("limit"), 20, MAX_ERRORS)?;
    let rows = app
        .store
        .error_runs(&range, site(&params)?.as_ref())
        .await?;
    let runs: u64 = rows.iter().map(|r| r.runs).sum();
    let groups = errors::group(rows, limit as usize);
    Ok(with_range(
        &range,
        json!({"failed_runs": runs, "errors": groups}),
    ))
}

/// An optional count from 1 to `max`.
fn bounded(
    field: &'static str,
    text: Option<&String>,
    default: u32,
    max: u32,
) -> Result<u32, StatsError> {
    match text {
        None => Ok(default),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                StatsError::BadQuery(BadRange {
                    field,
                    reason: format!("{field} must be a number from 1 to {max}"),
                })
            }),
    }
}

/// The most frequent values of each key of one feature's data (bounded: see
/// `report::feature_data`).
pub async fn feature_data(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
) -> Result<Json<Value>, StatsError> {
    if !crate::domain::event::is_name(&name) {
        return Err(StatsError::BadQuery(BadRange {
            field: "name",
            reason: "a feature name matches [a-z0-9_.:-]{1,64}".into(),
        }));
    }
    let range = range(&app, &params)?;
    let limit = feature_data::MAX_DISTINCT;
    let rows = app
        .store
        .feature_data(&name, &range, site(&params)?.as_ref(), limit)
        .await?;
    let truncated = rows.len() as u32 >= limit;
    let mut body = json!(feature_data::summarize(&rows));
    if let Some(object) = body.as_object_mut() {
        object.insert("feature".into(), json!(name));
        object.insert("truncated".into(), json!(truncated));
    }
    Ok(with_range(&range, body))
}

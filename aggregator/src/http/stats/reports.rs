//! The report routes: each parses its query and hands it to its `*_answer` function, which reads
//! through `report::live` (the stored summaries only, kept current by the summary refresh; the
//! answer says as of when) and shapes with `report::shape`. The MCP server's tools call the same functions.

use axum::extract::State;
use axum::Json;

use super::answers::*;
use super::query::{
    ErrorsLimit, Export, FeatureName, FeaturesLimit, PathOf, QueryOf, Range, SessionsLimit,
    SiteParam,
};
use super::source::{range, site, Source};
use super::{StatsError, StatsRefusals, DEFAULT_SESSIONS, MAX_SESSIONS};
use crate::http::AppState;
use crate::report::dates::BadRange;
use crate::report::errors;
use crate::report::feature_data;
use crate::report::fresh_events;
use crate::report::live::{summaries_as_of, Fresh};
use crate::report::now;
use crate::report::shape;
use crate::report::top::{self, Other};

/// Daily figures of the range: a gap-free series and its totals.
#[utoipa::path(
    get,
    path = "/daily",
    tag = "stats",
    params(Range, SiteParam, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the series and its totals (or, with `format=csv`, one row \
                                      per day)",
         content((DailyAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn daily(
    State(app): State<AppState>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Json<DailyAnswer>, StatsError> {
    daily_answer(Source::of(&app), span, only).await.map(Json)
}

/// The answer of [`daily`], also the MCP server's `daily` tool.
pub async fn daily_answer(
    app: Source,
    span: Range,
    only: SiteParam,
) -> Result<DailyAnswer, StatsError> {
    let range = range(&app, &span)?;
    let fresh = Fresh::read(&app.store, &range, site(&only)?.as_ref()).await?;
    let rows = fresh.daily_rows(&app.store, &range).await?;
    let rolled_up_at = app.store.last_rollup().await?.map(|at| at.and_utc());
    Ok(DailyAnswer {
        span: Span::from(&range),
        days: shape::series(&range, &rows),
        totals: shape::totals(&rows),
        rolled_up_at,
        summaries_as_of: summaries_as_of(&app.store).await?,
        live_days: fresh.live_days,
        retention: RetentionInForce::of(&app.retention, app.clock.now().date_naive()),
    })
}

/// The latest sessions (no id, no hash: what the deployment's "recent sessions" query shows).
#[utoipa::path(
    get,
    path = "/sessions",
    tag = "stats",
    params(SessionsLimit, SiteParam, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the latest sessions, newest first",
         content((SessionsAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn sessions(
    State(app): State<AppState>,
    QueryOf(limit): QueryOf<SessionsLimit>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Json<SessionsAnswer>, StatsError> {
    sessions_answer(Source::of(&app), limit, only)
        .await
        .map(Json)
}

/// The answer of [`sessions`], also the MCP server's `sessions` tool.
pub async fn sessions_answer(
    app: Source,
    limit: SessionsLimit,
    only: SiteParam,
) -> Result<SessionsAnswer, StatsError> {
    let limit = bounded(
        "limit",
        limit.limit.as_deref(),
        DEFAULT_SESSIONS,
        MAX_SESSIONS,
    )?;
    let sessions = app
        .store
        .recent_sessions(limit, site(&only)?.as_ref())
        .await?;
    Ok(SessionsAnswer { sessions })
}

/// Uses of each feature over the range.
#[utoipa::path(
    get,
    path = "/features",
    tag = "stats",
    params(Range, SiteParam, FeaturesLimit, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "features by uses, most used first",
         content((FeaturesAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn features(
    State(app): State<AppState>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
    QueryOf(limit): QueryOf<FeaturesLimit>,
) -> Result<Json<FeaturesAnswer>, StatsError> {
    features_answer(Source::of(&app), span, only, limit)
        .await
        .map(Json)
}

/// The answer of [`features`], also the MCP server's `features` tool.
pub async fn features_answer(
    app: Source,
    span: Range,
    only: SiteParam,
    limit: FeaturesLimit,
) -> Result<FeaturesAnswer, StatsError> {
    let range = range(&app, &span)?;
    let limit = bounded(
        "limit",
        limit.limit.as_deref(),
        top::DEFAULT_FEATURES,
        top::MAX_FEATURES,
    )?;
    let fresh = Fresh::read(&app.store, &range, site(&only)?.as_ref()).await?;
    let (features, other) = fresh
        .features_top(&app.store, &range, limit as usize)
        .await?;
    Ok(FeaturesAnswer {
        span: Span::from(&range),
        summaries_as_of: summaries_as_of(&app.store).await?,
        features,
        other,
    })
}

/// Program runs of the sessions started in the range.
#[utoipa::path(
    get,
    path = "/programs",
    tag = "stats",
    params(Range, SiteParam, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "runs, outcomes, run times and their histogram",
         content((ProgramsAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn programs(
    State(app): State<AppState>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Json<ProgramsAnswer>, StatsError> {
    programs_answer(Source::of(&app), span, only)
        .await
        .map(Json)
}

/// The answer of [`programs`], also the MCP server's `programs` tool.
pub async fn programs_answer(
    app: Source,
    span: Range,
    only: SiteParam,
) -> Result<ProgramsAnswer, StatsError> {
    let range = range(&app, &span)?;
    let totals = fresh_events::programs(&app.store, &range, site(&only)?.as_ref()).await?;
    Ok(ProgramsAnswer {
        span: Span::from(&range),
        summaries_as_of: summaries_as_of(&app.store).await?,
        programs: shape::programs(&totals),
    })
}

/// Sessions by browser, OS and device over the range.
#[utoipa::path(
    get,
    path = "/clients",
    tag = "stats",
    params(Range, SiteParam, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the three breakdowns, each largest first",
         content((ClientsAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn clients(
    State(app): State<AppState>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Json<ClientsAnswer>, StatsError> {
    clients_answer(Source::of(&app), span, only).await.map(Json)
}

/// The answer of [`clients`], also the MCP server's `clients` tool.
pub async fn clients_answer(
    app: Source,
    span: Range,
    only: SiteParam,
) -> Result<ClientsAnswer, StatsError> {
    let range = range(&app, &span)?;
    let fresh = Fresh::read(&app.store, &range, site(&only)?.as_ref()).await?;
    let (clients, other) = fresh.clients_top(&app.store, &range).await?;
    Ok(ClientsAnswer {
        span: Span::from(&range),
        summaries_as_of: summaries_as_of(&app.store).await?,
        clients,
        other,
    })
}

/// Who is on each site now, and their programs' runs and errors in the last 5 and 30 minutes.
#[utoipa::path(
    get,
    path = "/live",
    tag = "stats",
    params(SiteParam, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "sessions seen within two heartbeat intervals, and recent \
                                      runs, in total and by site",
         content((LiveAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn live(
    State(app): State<AppState>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Json<LiveAnswer>, StatsError> {
    live_answer(Source::of(&app), only).await.map(Json)
}

/// The answer of [`live`], also the MCP server's `live` tool.
pub async fn live_answer(app: Source, only: SiteParam) -> Result<LiveAnswer, StatsError> {
    let only = site(&only)?;
    let at = app.clock.now();
    let [seen, five, thirty] = now::cutoffs(at, app.heartbeat_interval);
    let times = [seen, five, thirty, at].map(|t| t.naive_utc());
    let sites = app.store.live_sites_of(times, only.as_ref()).await?;
    let sites = sites
        .into_iter()
        .filter(|s| only.as_ref().is_none_or(|o| o.as_str() == s.site))
        .collect();
    let totals = match &only {
        // One site's figures are its row: no other sites to leave out.
        Some(_) => None,
        None => Some(
            app.store
                .live_totals(times[0], times[1], times[2], times[3])
                .await?,
        ),
    };
    let (now, other) = now::view_top(sites, totals, top::LIVE_SITES);
    Ok(LiveAnswer {
        now,
        at,
        heartbeat_interval_secs: app.heartbeat_interval.as_secs(),
        seen_since: seen,
        other,
    })
}

/// Groups shown at most (`?limit=`, default 20).
const MAX_ERRORS: u32 = 100;

/// The most frequent program errors of sessions that started in the range, grouped so that the
/// same error on different lines counts together.
#[utoipa::path(
    get,
    path = "/errors",
    tag = "stats",
    params(Range, SiteParam, ErrorsLimit, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "error groups by runs, each with its latest message",
         content((ErrorsAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn errors(
    State(app): State<AppState>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
    QueryOf(limit): QueryOf<ErrorsLimit>,
) -> Result<Json<ErrorsAnswer>, StatsError> {
    errors_answer(Source::of(&app), span, only, limit)
        .await
        .map(Json)
}

/// The answer of [`errors`], also the MCP server's `errors` tool.
pub async fn errors_answer(
    app: Source,
    span: Range,
    only: SiteParam,
    limit: ErrorsLimit,
) -> Result<ErrorsAnswer, StatsError> {
    let range = range(&app, &span)?;
    let limit = bounded("limit", limit.limit.as_deref(), 20, MAX_ERRORS)?;
    let (tallies, failed_runs) =
        fresh_events::errors_bounded(&app.store, &range, site(&only)?.as_ref()).await?;
    let errors = errors::rank(tallies, limit as usize);
    let other = Other::of(failed_runs, errors.iter().map(|e| e.runs).sum());
    Ok(ErrorsAnswer {
        span: Span::from(&range),
        summaries_as_of: summaries_as_of(&app.store).await?,
        failed_runs,
        errors,
        other,
    })
}

/// An optional count from 1 to `max`.
fn bounded(
    field: &'static str,
    text: Option<&str>,
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
#[utoipa::path(
    get,
    path = "/features/{name}",
    tag = "stats",
    params(FeatureName, Range, SiteParam, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the top keys of the feature's data and their top values",
         content((FeatureDataAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn feature_data(
    State(app): State<AppState>,
    PathOf(feature): PathOf<FeatureName>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Json<FeatureDataAnswer>, StatsError> {
    feature_data_answer(Source::of(&app), feature, span, only)
        .await
        .map(Json)
}

/// The answer of [`feature_data`], also the MCP server's `feature_data` tool.
pub async fn feature_data_answer(
    app: Source,
    feature: FeatureName,
    span: Range,
    only: SiteParam,
) -> Result<FeatureDataAnswer, StatsError> {
    let name = feature.name;
    // Names stored before the dots rule stay reachable.
    if !crate::domain::event::is_stored_name(&name) {
        return Err(StatsError::BadQuery(BadRange {
            field: "name",
            reason: "a feature name matches [a-z0-9_.:-]{1,64}".into(),
        }));
    }
    let range = range(&app, &span)?;
    let limit = feature_data::MAX_DISTINCT;
    let only = site(&only)?;
    let (rows, events) = fresh_events::feature_data_bounded(
        &app.store,
        &name,
        &range,
        only.as_ref(),
        limit as usize,
    )
    .await?;
    let read: u64 = rows.iter().map(|(_, n)| n).sum();
    Ok(FeatureDataAnswer {
        span: Span::from(&range),
        summaries_as_of: summaries_as_of(&app.store).await?,
        truncated: rows.len() as u32 >= limit || read < events,
        data: feature_data::summarize(&rows),
        feature: name,
        other: Other::of(events, read),
    })
}

//! The report routes: each checks its query into the report's parameters (or a 422 naming the
//! parameter) in its `*_answer` function, which the MCP server's tools call too, and reads the
//! report with its module of `crate::report` (the answer and its CSV table are in
//! `domain::report`). `?format=` picks JSON or CSV ([`Answer`]).

use axum::extract::State;

use super::export::Answer;
use super::query::{
    Compare, ErrorsLimit, Export, FeatureName, FeaturesLimit, PathOf, QueryOf, Range,
    SessionsLimit, SiteParam,
};
use super::source::{compared, hourly_range, range, site, source};
use super::{StatsError, StatsRefusals, DEFAULT_SESSIONS, MAX_SESSIONS};
use crate::domain::report::clients::ClientsAnswer;
use crate::domain::report::daily::DailyAnswer;
use crate::domain::report::dates::BadRange;
use crate::domain::report::errors::ErrorsAnswer;
use crate::domain::report::feature_data::FeatureDataAnswer;
use crate::domain::report::features::FeaturesAnswer;
use crate::domain::report::hourly::{self, HourlyAnswer};
use crate::domain::report::now::LiveAnswer;
use crate::domain::report::programs::ProgramsAnswer;
use crate::domain::report::sessions::SessionsAnswer;
use crate::domain::report::top;
use crate::http::AppState;
use crate::report::{self, Source};

/// Daily figures of the range: a gap-free series and its totals.
#[utoipa::path(
    get,
    path = "/daily",
    tag = "stats",
    params(Range, SiteParam, Compare, Export),
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
    QueryOf(format): QueryOf<Export>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
    QueryOf(compare): QueryOf<Compare>,
) -> Result<Answer<DailyAnswer>, StatsError> {
    let format = format.format()?;
    daily_answer(source(&app), span, only, compare)
        .await
        .map(|answer| Answer(format, answer))
}

/// The answer of [`daily`], also the MCP server's `daily` tool.
pub async fn daily_answer(
    app: Source,
    span: Range,
    only: SiteParam,
    compare: Compare,
) -> Result<DailyAnswer, StatsError> {
    let (range, site, app) = (range(&app, &span)?, site(&only)?, &app);
    let site = site.as_ref();
    let (mut answer, before) = compared(&range, &compare, |r| async move {
        report::daily::read(app, &r, site).await
    })
    .await?;
    answer.previous = before.map(Into::into);
    Ok(answer)
}

/// Every hour of a range of at most 7 days (local hours of the answer's `time_zone`): sessions
/// by the hour they started.
#[utoipa::path(
    get,
    path = "/hourly",
    tag = "stats",
    params(Range, SiteParam, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "24 points per day, gap-free (or, with `format=csv`, one \
                                      row per hour); a range over 7 days is a 422 naming `to`",
         content((HourlyAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn hourly(
    State(app): State<AppState>,
    QueryOf(format): QueryOf<Export>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Answer<HourlyAnswer>, StatsError> {
    let format = format.format()?;
    hourly_answer(source(&app), span, only)
        .await
        .map(|answer| Answer(format, answer))
}

/// The answer of [`hourly`]. Without `from`, the range is today alone.
pub async fn hourly_answer(
    app: Source,
    span: Range,
    only: SiteParam,
) -> Result<HourlyAnswer, StatsError> {
    let range = hourly_range(&app, &span)?;
    hourly::check_range(&range).map_err(StatsError::BadQuery)?;
    Ok(report::hourly::read(&app, &range, site(&only)?.as_ref()).await?)
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
    QueryOf(format): QueryOf<Export>,
    QueryOf(limit): QueryOf<SessionsLimit>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Answer<SessionsAnswer>, StatsError> {
    let format = format.format()?;
    sessions_answer(source(&app), limit, only)
        .await
        .map(|answer| Answer(format, answer))
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
    Ok(report::sessions::read(&app, limit, site(&only)?.as_ref()).await?)
}

/// Uses of each feature over the range.
#[utoipa::path(
    get,
    path = "/features",
    tag = "stats",
    params(Range, SiteParam, FeaturesLimit, Export, Compare),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "features by uses, most used first",
         content((FeaturesAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn features(
    State(app): State<AppState>,
    QueryOf(format): QueryOf<Export>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
    QueryOf(limit): QueryOf<FeaturesLimit>,
    QueryOf(compare): QueryOf<Compare>,
) -> Result<Answer<FeaturesAnswer>, StatsError> {
    let format = format.format()?;
    features_answer(source(&app), span, only, limit, compare)
        .await
        .map(|answer| Answer(format, answer))
}

/// The answer of [`features`], also the MCP server's `features` tool.
pub async fn features_answer(
    app: Source,
    span: Range,
    only: SiteParam,
    limit: FeaturesLimit,
    compare: Compare,
) -> Result<FeaturesAnswer, StatsError> {
    let (range, site, app) = (range(&app, &span)?, site(&only)?, &app);
    let site = site.as_ref();
    let limit = bounded(
        "limit",
        limit.limit.as_deref(),
        top::DEFAULT_FEATURES,
        top::MAX_FEATURES,
    )?;
    let (mut answer, before) = compared(&range, &compare, |r| async move {
        report::features::read(app, &r, site, limit).await
    })
    .await?;
    answer.previous = before.map(Box::new);
    Ok(answer)
}

/// Program runs of the sessions started in the range.
#[utoipa::path(
    get,
    path = "/programs",
    tag = "stats",
    params(Range, SiteParam, Compare, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "runs, outcomes, run times and their histogram",
         content((ProgramsAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn programs(
    State(app): State<AppState>,
    QueryOf(format): QueryOf<Export>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
    QueryOf(compare): QueryOf<Compare>,
) -> Result<Answer<ProgramsAnswer>, StatsError> {
    let format = format.format()?;
    programs_answer(source(&app), span, only, compare)
        .await
        .map(|answer| Answer(format, answer))
}

/// The answer of [`programs`], also the MCP server's `programs` tool.
pub async fn programs_answer(
    app: Source,
    span: Range,
    only: SiteParam,
    compare: Compare,
) -> Result<ProgramsAnswer, StatsError> {
    let (range, site, app) = (range(&app, &span)?, site(&only)?, &app);
    let site = site.as_ref();
    let (mut answer, before) = compared(&range, &compare, |r| async move {
        report::programs::read(app, &r, site).await
    })
    .await?;
    answer.previous = before.map(Into::into);
    Ok(answer)
}

/// Sessions by browser, OS and device over the range.
#[utoipa::path(
    get,
    path = "/clients",
    tag = "stats",
    params(Range, SiteParam, Export, Compare),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the three breakdowns, each largest first",
         content((ClientsAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn clients(
    State(app): State<AppState>,
    QueryOf(format): QueryOf<Export>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
    QueryOf(compare): QueryOf<Compare>,
) -> Result<Answer<ClientsAnswer>, StatsError> {
    let format = format.format()?;
    clients_answer(source(&app), span, only, compare)
        .await
        .map(|answer| Answer(format, answer))
}

/// The answer of [`clients`], also the MCP server's `clients` tool.
pub async fn clients_answer(
    app: Source,
    span: Range,
    only: SiteParam,
    compare: Compare,
) -> Result<ClientsAnswer, StatsError> {
    let (range, site, app) = (range(&app, &span)?, site(&only)?, &app);
    let site = site.as_ref();
    let (mut answer, before) = compared(&range, &compare, |r| async move {
        report::clients::read(app, &r, site).await
    })
    .await?;
    answer.previous = before.map(Box::new);
    Ok(answer)
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
    QueryOf(format): QueryOf<Export>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Answer<LiveAnswer>, StatsError> {
    let format = format.format()?;
    live_answer(source(&app), only)
        .await
        .map(|answer| Answer(format, answer))
}

/// The answer of [`live`], also the MCP server's `live` tool.
pub async fn live_answer(app: Source, only: SiteParam) -> Result<LiveAnswer, StatsError> {
    Ok(report::now::read(&app, site(&only)?.as_ref()).await?)
}

/// Groups shown at most (`?limit=`, default 20).
const MAX_ERRORS: u32 = 100;

/// The most frequent program errors of sessions that started in the range, grouped so that the
/// same error on different lines counts together.
#[utoipa::path(
    get,
    path = "/errors",
    tag = "stats",
    params(Range, SiteParam, ErrorsLimit, Export, Compare),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "error groups by runs, each with its latest message",
         content((ErrorsAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn errors(
    State(app): State<AppState>,
    QueryOf(format): QueryOf<Export>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
    QueryOf(limit): QueryOf<ErrorsLimit>,
    QueryOf(compare): QueryOf<Compare>,
) -> Result<Answer<ErrorsAnswer>, StatsError> {
    let format = format.format()?;
    errors_answer(source(&app), span, only, limit, compare)
        .await
        .map(|answer| Answer(format, answer))
}

/// The answer of [`errors`], also the MCP server's `errors` tool.
pub async fn errors_answer(
    app: Source,
    span: Range,
    only: SiteParam,
    limit: ErrorsLimit,
    compare: Compare,
) -> Result<ErrorsAnswer, StatsError> {
    let (range, site, app) = (range(&app, &span)?, site(&only)?, &app);
    let site = site.as_ref();
    let limit = bounded("limit", limit.limit.as_deref(), 20, MAX_ERRORS)?;
    let (mut answer, before) = compared(&range, &compare, |r| async move {
        report::errors::read(app, &r, site, limit).await
    })
    .await?;
    answer.previous = before.map(Box::new);
    Ok(answer)
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
/// `domain::report::feature_data`).
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
    QueryOf(format): QueryOf<Export>,
    PathOf(feature): PathOf<FeatureName>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Answer<FeatureDataAnswer>, StatsError> {
    let format = format.format()?;
    feature_data_answer(source(&app), feature, span, only)
        .await
        .map(|answer| Answer(format, answer))
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
    let only = site(&only)?;
    Ok(report::feature_data::read(&app, name, &range, only.as_ref()).await?)
}

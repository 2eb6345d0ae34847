//! The routes of who used the product and when: the daily series, the hours, the recent
//! sessions, the clients and the live figures.

use axum::extract::State;

use super::bounded;
use crate::domain::report::clients::ClientsAnswer;
use crate::domain::report::daily::DailyAnswer;
use crate::domain::report::hourly::{self, HourlyAnswer};
use crate::domain::report::now::LiveAnswer;
use crate::domain::report::sessions::SessionsAnswer;
use crate::http::stats::export::Answer;
use crate::http::stats::query::{Compare, Export, QueryOf, Range, SessionsLimit, SiteParam};
use crate::http::stats::source::{compared, hourly_range, range, site, source};
use crate::http::stats::{StatsError, StatsRefusals, DEFAULT_SESSIONS, MAX_SESSIONS};
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
    let (site, app) = (site(&only)?, &app);
    let site = site.as_ref();
    let range = range(app, &span, site)?;
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
    let site = site(&only)?;
    let range = hourly_range(&app, &span, site.as_ref())?;
    hourly::check_range(&range).map_err(StatsError::BadQuery)?;
    Ok(report::hourly::read(&app, &range, site.as_ref()).await?)
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
    let (site, app) = (site(&only)?, &app);
    let site = site.as_ref();
    let range = range(app, &span, site)?;
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

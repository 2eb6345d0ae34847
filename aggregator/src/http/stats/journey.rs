//! The journey and funnel routes (issue 25): each checks its query in its `*_answer` function,
//! which the MCP server's tools call too, and reads the report with `crate::report::{journey,
//! funnel}`. `?format=` picks JSON or CSV ([`Answer`]).

use axum::extract::State;

use super::export::Answer;
use super::query::{Compare, Export, QueryOf, Range, SiteParam};
use super::source::{compared, range, site, source};
use super::{StatsError, StatsRefusals};
use crate::domain::report::funnel::FunnelAnswer;
use crate::domain::report::journey::JourneyAnswer;
use crate::http::AppState;
use crate::report::{self, Source};

/// What the sessions started in the range did with programs: shares with a run and a success,
/// time to the first run and success, failures before it, recoveries.
#[utoipa::path(
    get,
    path = "/journey",
    tag = "stats",
    params(Range, SiteParam, Compare, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the journey figures and their time histograms (or, with \
                                      `format=csv`, one row of the figures)",
         content((JourneyAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn journey(
    State(app): State<AppState>,
    QueryOf(format): QueryOf<Export>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
    QueryOf(compare): QueryOf<Compare>,
) -> Result<Answer<JourneyAnswer>, StatsError> {
    let format = format.format()?;
    journey_answer(source(&app), span, only, compare)
        .await
        .map(|answer| Answer(format, answer))
}

/// The answer of [`journey`], also the MCP server's `journey` tool.
pub async fn journey_answer(
    app: Source,
    span: Range,
    only: SiteParam,
    compare: Compare,
) -> Result<JourneyAnswer, StatsError> {
    let (site, app) = (site(&only)?, &app);
    let site = site.as_ref();
    let range = range(app, &span, site)?;
    let (mut answer, before) = compared(&range, &compare, |r| async move {
        report::journey::read(app, &r, site).await
    })
    .await?;
    answer.previous = before.map(Into::into);
    Ok(answer)
}

/// Sessions started in the range that reached each step of the configured funnel, in order.
#[utoipa::path(
    get,
    path = "/funnel",
    tag = "stats",
    params(Range, SiteParam, Compare, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "sessions per funnel step (or, with `format=csv`, one row \
                                      per step)",
         content((FunnelAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn funnel(
    State(app): State<AppState>,
    QueryOf(format): QueryOf<Export>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
    QueryOf(compare): QueryOf<Compare>,
) -> Result<Answer<FunnelAnswer>, StatsError> {
    let format = format.format()?;
    funnel_answer(source(&app), span, only, compare)
        .await
        .map(|answer| Answer(format, answer))
}

/// The answer of [`funnel`], also the MCP server's `funnel` tool.
pub async fn funnel_answer(
    app: Source,
    span: Range,
    only: SiteParam,
    compare: Compare,
) -> Result<FunnelAnswer, StatsError> {
    let (site, app) = (site(&only)?, &app);
    let site = site.as_ref();
    let range = range(app, &span, site)?;
    let (mut answer, before) = compared(&range, &compare, |r| async move {
        report::funnel::read(app, &r, site).await
    })
    .await?;
    answer.previous = before.map(Into::into);
    Ok(answer)
}

//! `GET /api/v1/stats/time`: where the sessions' visible time goes, per day (the report is
//! `report::time`, its answer and CSV `domain::report::time`).

use axum::extract::State;

use super::export::Answer;
use super::query::{Export, QueryOf, Range, SiteParam};
use super::source::{range, site, source};
use super::{StatsError, StatsRefusals};
use crate::domain::report::time::TimeAnswer;
use crate::http::AppState;
use crate::report::{self, Source};

/// Per day: the average visible, active (editing), running and idle-but-visible time of a
/// session, and the share of sessions without any input.
#[utoipa::path(
    get,
    path = "/time",
    tag = "stats",
    params(Range, SiteParam, Export),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "a gap-free series of days and the range's figures (or, \
                                      with `format=csv`, one row per day)",
         content((TimeAnswer = "application/json"), (String = "text/csv"))),
        StatsRefusals,
    )
)]
pub async fn time(
    State(app): State<AppState>,
    QueryOf(format): QueryOf<Export>,
    QueryOf(span): QueryOf<Range>,
    QueryOf(only): QueryOf<SiteParam>,
) -> Result<Answer<TimeAnswer>, StatsError> {
    let format = format.format()?;
    time_answer(source(&app), span, only)
        .await
        .map(|answer| Answer(format, answer))
}

/// The answer of [`time`], also the MCP server's `time` tool.
pub async fn time_answer(
    app: Source,
    span: Range,
    only: SiteParam,
) -> Result<TimeAnswer, StatsError> {
    let site = site(&only)?;
    let range = range(&app, &span, site.as_ref())?;
    Ok(report::time::read(&app, &range, site.as_ref()).await?)
}

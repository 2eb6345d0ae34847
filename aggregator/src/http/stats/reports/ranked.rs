//! The routes of ranked tallies over a range: features, program runs, errors and one feature's
//! data, each a bounded list (`?limit=` where it has one).

use axum::extract::State;

use super::bounded;
use crate::domain::report::dates::BadRange;
use crate::domain::report::errors::ErrorsAnswer;
use crate::domain::report::feature_data::FeatureDataAnswer;
use crate::domain::report::features::FeaturesAnswer;
use crate::domain::report::programs::ProgramsAnswer;
use crate::domain::report::top;
use crate::http::stats::export::Answer;
use crate::http::stats::query::{
    Compare, ErrorsLimit, Export, FeatureName, FeaturesLimit, PathOf, QueryOf, Range, SiteParam,
};
use crate::http::stats::source::{compared, range, site, source};
use crate::http::stats::{StatsError, StatsRefusals};
use crate::http::AppState;
use crate::report::{self, Source};

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
    let (site, app) = (site(&only)?, &app);
    let site = site.as_ref();
    let range = range(app, &span, site)?;
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
    let (site, app) = (site(&only)?, &app);
    let site = site.as_ref();
    let range = range(app, &span, site)?;
    let (mut answer, before) = compared(&range, &compare, |r| async move {
        report::programs::read(app, &r, site).await
    })
    .await?;
    answer.previous = before.map(Into::into);
    Ok(answer)
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
    let (site, app) = (site(&only)?, &app);
    let site = site.as_ref();
    let range = range(app, &span, site)?;
    let limit = bounded("limit", limit.limit.as_deref(), 20, MAX_ERRORS)?;
    let (mut answer, before) = compared(&range, &compare, |r| async move {
        report::errors::read(app, &r, site, limit).await
    })
    .await?;
    answer.previous = before.map(Box::new);
    Ok(answer)
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
    let only = site(&only)?;
    let range = range(&app, &span, only.as_ref())?;
    Ok(report::feature_data::read(&app, name, &range, only.as_ref()).await?)
}

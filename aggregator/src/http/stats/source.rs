//! The stats routes' [`Source`] (what every report reads, `crate::report::Source`) and the
//! parameters all of them share (the range and the site), checked into the report rules' types
//! or a 422 naming the parameter.

use super::query::{Compare, Range, SiteParam};
use super::{StatsError, DEFAULT_DAYS};
use crate::domain::report::dates::{BadRange, DateRange};
use crate::domain::report::site::Site;
use crate::http::AppState;
use crate::report::Source;
use crate::store::StoreError;

/// The routes' source, from their state.
pub(super) fn source(app: &AppState) -> Source {
    Source {
        store: app.store.clone(),
        clock: app.clock.clone(),
        heartbeat_interval: app.heartbeat_interval,
        retention: app.retention.clone(),
        folder: app.folder.clone(),
    }
}

/// The range of a report of one site or all, "today" being today in the zone its figures count
/// in (`Source::zone_of`); a missing end makes the last [`DEFAULT_DAYS`] days.
pub(super) fn range(
    app: &Source,
    range: &Range,
    site: Option<&Site>,
) -> Result<DateRange, StatsError> {
    parse(app, range, site, DEFAULT_DAYS)
}

/// The range of `/hourly`: as [`range`], but a missing end makes a range of one day (today, or
/// the day given).
pub(super) fn hourly_range(
    app: &Source,
    range: &Range,
    site: Option<&Site>,
) -> Result<DateRange, StatsError> {
    parse(app, range, site, 1)
}

fn parse(
    app: &Source,
    range: &Range,
    site: Option<&Site>,
    default_days: u64,
) -> Result<DateRange, StatsError> {
    DateRange::parse(
        range.from.as_deref(),
        range.to.as_deref(),
        app.today_of(site),
        default_days,
    )
    .map_err(StatsError::BadQuery)
}

/// `?compare=previous`: the period of the same length that ends the day before `range`, or
/// None without it; a 422 naming `compare` for another value or a period before the first day.
pub(super) fn previous(
    range: &DateRange,
    compare: &Compare,
) -> Result<Option<DateRange>, StatsError> {
    if !compare.previous().map_err(StatsError::BadQuery)? {
        return Ok(None);
    }
    range.previous().map(Some).ok_or_else(|| {
        StatsError::BadQuery(BadRange {
            field: "compare",
            reason: "the previous period would start before the first day a report may cover"
                .into(),
        })
    })
}

/// The report `read` of `range` and, with `compare=previous`, of the previous period too (the
/// same read over the shifted range).
pub(super) async fn compared<A, Fut>(
    range: &DateRange,
    compare: &Compare,
    read: impl Fn(DateRange) -> Fut,
) -> Result<(A, Option<A>), StatsError>
where
    Fut: std::future::Future<Output = Result<A, StoreError>>,
{
    let before = previous(range, compare)?;
    let answer = read(*range).await?;
    let before = match before {
        Some(before) => Some(read(before).await?),
        None => None,
    };
    Ok((answer, before))
}

/// `?site=`: one site's reports; without it, all sites'.
pub(super) fn site(param: &SiteParam) -> Result<Option<Site>, StatsError> {
    param
        .site
        .as_deref()
        .map(Site::parse)
        .transpose()
        .map_err(StatsError::BadQuery)
}

//! The stats routes' [`Source`] (what every report reads, `crate::report::Source`) and the
//! parameters all of them share (the range and the site), checked into the report rules' types
//! or a 422 naming the parameter.

use super::query::{Range, SiteParam};
use super::{StatsError, DEFAULT_DAYS};
use crate::domain::report::dates::DateRange;
use crate::domain::report::site::Site;
use crate::http::AppState;
use crate::report::Source;

/// The routes' source, from their state.
pub(super) fn source(app: &AppState) -> Source {
    Source {
        store: app.store.clone(),
        clock: app.clock.clone(),
        heartbeat_interval: app.heartbeat_interval,
        retention: app.retention,
        folder: app.folder.clone(),
    }
}

pub(super) fn range(app: &Source, range: &Range) -> Result<DateRange, StatsError> {
    DateRange::parse(
        range.from.as_deref(),
        range.to.as_deref(),
        app.today(),
        DEFAULT_DAYS,
    )
    .map_err(StatsError::BadQuery)
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

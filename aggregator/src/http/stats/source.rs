//! What every stats report reads ([`Source`]) and the parameters all of them share (the range
//! and the site), checked into the report rules' types or a 422 naming the parameter.

use std::time::Duration;

use super::query::{Range, SiteParam};
use super::{StatsError, DEFAULT_DAYS};
use crate::http::AppState;
use crate::report::dates::DateRange;
use crate::report::site::Site;
use crate::report::ReportSettings;
use crate::store::Store;

/// What the reports read: the store, the clock, the heartbeat period (of the live view) and the
/// retention in force (of the daily answer). The
/// routes take it from their state; the MCP server (`crate::mcp`) opens its own. Each route's
/// answer is a function of it (`*_answer`), so that both answer alike.
#[derive(Clone)]
pub struct Source {
    pub store: Store,
    pub clock: crate::clock::SharedClock,
    pub heartbeat_interval: Duration,
    /// The retention in force, which the daily answer shows.
    pub retention: ReportSettings,
    /// Folds the heartbeat journal before the live view reads; none where the store is read
    /// only (the MCP server: the replicas fold every second).
    pub folder: Option<crate::fold::Folder>,
}

impl Source {
    pub(super) fn of(app: &AppState) -> Source {
        Source {
            store: app.store.clone(),
            clock: app.clock.clone(),
            heartbeat_interval: app.heartbeat_interval,
            retention: app.retention,
            folder: app.folder.clone(),
        }
    }
}

pub(super) fn range(app: &Source, range: &Range) -> Result<DateRange, StatsError> {
    let today = app.clock.now().date_naive();
    DateRange::parse(
        range.from.as_deref(),
        range.to.as_deref(),
        today,
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

//! The live report's read ("now"): who is on each site, and their programs' runs and errors in
//! the last 5 and 30 minutes, from the raw rows of the last minutes.

use crate::domain::report::now::{self, LiveAnswer};
use crate::domain::report::site::Site;
use crate::domain::report::top;
use crate::report::Source;
use crate::store::StoreError;

/// The live answer at the source's time (of one site, or all): what `/live` and its CSV answer.
#[tracing::instrument(name = "report.live", level = "debug", skip_all,
    fields(site = only.map(Site::as_str), rows = tracing::field::Empty))]
pub async fn read(source: &Source, only: Option<&Site>) -> Result<LiveAnswer, StoreError> {
    if let Some(folder) = &source.folder {
        folder.fold_first("live").await;
    }
    let at = source.clock.now();
    let [seen, five, thirty] = now::cutoffs(at, source.heartbeat_interval);
    let times = [seen, five, thirty, at].map(|t| t.naive_utc());
    let sites = source.store.live_sites_of(times, only).await?;
    tracing::Span::current().record("rows", sites.len());
    let sites = sites
        .into_iter()
        .filter(|s| only.is_none_or(|o| o.as_str() == s.site))
        .collect();
    let totals = match only {
        // One site's figures are its row: no other sites to leave out.
        Some(_) => None,
        None => Some(
            source
                .store
                .live_totals(times[0], times[1], times[2], times[3])
                .await?,
        ),
    };
    let (now, other) = now::view_top(sites, totals, top::LIVE_SITES);
    Ok(LiveAnswer {
        now,
        at,
        heartbeat_interval_secs: source.heartbeat_interval.as_secs(),
        seen_since: seen,
        other,
    })
}

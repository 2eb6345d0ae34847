//! The errors report's read: the most frequent error tallies of the stored summaries (today's
//! kept current by the summary refresh, see `report::live`), ranked by the pure fold of
//! `domain::report::errors`.

use crate::domain::report::dates::DateRange;
use crate::domain::report::errors;
use crate::domain::report::errors::ErrorsAnswer;
use crate::domain::report::site::Site;
use crate::domain::report::top;
use crate::report::live::summaries_as_of;
use crate::report::Source;
use crate::store::StoreError;

/// The `limit` most frequent error groups of the sessions started in `range` (of one site, or
/// all): what `/errors` and its CSV answer.
#[tracing::instrument(name = "report.errors", level = "debug", skip_all,
    fields(from = %range.from, days = range.len(), site = site.map(Site::as_str), limit = limit, groups = tracing::field::Empty))]
pub async fn read(
    source: &Source,
    range: &DateRange,
    site: Option<&Site>,
    limit: u32,
) -> Result<ErrorsAnswer, StoreError> {
    // The most frequent groups ([`top::ERROR_GROUPS_PER_DAY`] × [`top::READ_MARGIN`], ranked
    // and limited in SQL), added up per group, and the failed runs of every group.
    let read = top::ERROR_GROUPS_PER_DAY * top::READ_MARGIN;
    let (stored, failed_runs) = source.store.stored_errors(range, site, read).await?;
    let tallies = errors::merge(stored);
    tracing::Span::current().record("groups", tallies.len());
    let mut answer = ErrorsAnswer::of(
        range,
        tallies,
        failed_runs,
        limit as usize,
        source.zone_of(site),
    );
    answer.summaries_as_of = summaries_as_of(&source.store).await?;
    answer.span.sites_in_own_zones = source.sites_in_own_zones(site);
    Ok(answer)
}

//! The errors report's read: error tallies of the stored summaries and of the days the rollup
//! has not seen since they changed (`report::fresh_events`), ranked by the pure fold of
//! `domain::report::errors`.

use crate::domain::report::dates::DateRange;
use crate::domain::report::errors::ErrorsAnswer;
use crate::domain::report::site::Site;
use crate::report::fresh_events;
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
    // The stale-day read (`report::fresh_events`), as the handler has always made it.
    let (tallies, failed_runs) = fresh_events::errors_bounded(&source.store, range, site).await?;
    tracing::Span::current().record("groups", tallies.len());
    let mut answer = ErrorsAnswer::of(range, tallies, failed_runs, limit as usize, source.zone());
    answer.summaries_as_of = summaries_as_of(&source.store).await?;
    Ok(answer)
}

//! The hourly report's read: the range's stored hourly summaries (`daily_site_hours`, written by
//! the rollup pass that writes each day), added up over sites into a gap-free series. A day the
//! rollup has not seen since it changed shows what its last rollup wrote: the hours come from
//! summaries only, kept current by the rollup.

use crate::domain::report::dates::DateRange;
use crate::domain::report::hourly::HourlyAnswer;
use crate::domain::report::site::Site;
use crate::report::Source;
use crate::store::StoreError;

/// The hourly answer of `range` (of one site, or all): what `/hourly` and its CSV answer. The
/// caller has checked the range's length (`hourly::check_range`).
#[tracing::instrument(name = "report.hourly", level = "debug", skip_all,
    fields(from = %range.from, days = range.len(), site = site.map(Site::as_str), rows = tracing::field::Empty))]
pub async fn read(
    source: &Source,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<HourlyAnswer, StoreError> {
    let rows = source.store.hour_rows(range, site).await?;
    tracing::Span::current().record("rows", rows.len());
    let mut answer = HourlyAnswer::of(range, &rows, source.zone_of(site));
    answer.span.sites_in_own_zones = source.sites_in_own_zones(site);
    Ok(answer)
}

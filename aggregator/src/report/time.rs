//! The time report's read: the range's stored time sums (`daily_site_time`, written by the rollup
//! pass that writes each day) with the same days' and sites' run time, folded into a gap-free
//! series. Like every range report it reads summaries only, kept current by the rollup.

use crate::domain::report::dates::DateRange;
use crate::domain::report::site::Site;
use crate::domain::report::time::TimeAnswer;
use crate::report::live::summaries_as_of;
use crate::report::Source;
use crate::store::StoreError;

/// The time answer of `range` (of one site, or all): what `/time`, its CSV, the MCP tool and
/// `stats --report time` answer.
#[tracing::instrument(name = "report.time", level = "debug", skip_all,
    fields(from = %range.from, days = range.len(), site = site.map(Site::as_str), rows = tracing::field::Empty))]
pub async fn read(
    source: &Source,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<TimeAnswer, StoreError> {
    let rows = source.store.time_rows(range, site).await?;
    tracing::Span::current().record("rows", rows.len());
    let as_of = summaries_as_of(&source.store).await?;
    let mut answer = TimeAnswer::of(range, &rows, as_of, source.zone_of(site));
    answer.span.sites_in_own_zones = source.sites_in_own_zones(site);
    Ok(answer)
}

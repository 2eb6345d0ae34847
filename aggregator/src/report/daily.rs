//! The daily report's read: the range's stored summaries, the days the rollup has not seen since
//! they changed read live (`report::live`), and when the rollup last ran.

use crate::domain::report::daily::DailyAnswer;
use crate::domain::report::dates::DateRange;
use crate::domain::report::site::Site;
use crate::report::live::summaries_as_of;
use crate::report::live::Fresh;
use crate::report::Source;
use crate::store::StoreError;

/// The daily answer of `range` (of one site, or all): what `/daily`, its CSV and `stats --json`
/// answer.
#[tracing::instrument(name = "report.daily", level = "debug", skip_all,
    fields(from = %range.from, days = range.len(), site = site.map(Site::as_str), rows = tracing::field::Empty))]
pub async fn read(
    source: &Source,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<DailyAnswer, StoreError> {
    // The stale-day read (`report::live`), as the handler has always made it.
    let fresh = Fresh::read(&source.store, range, site).await?;
    let rows = fresh.daily_rows(&source.store, range).await?;
    tracing::Span::current().record("rows", rows.len());
    let rolled_up_at = source.store.last_rollup().await?.map(|at| at.and_utc());
    let retention = source.retention.in_force(source.today_of(site));
    let filtered = source.store.filtered_totals(range, site).await?;
    let filtered_days = source.store.filtered_days(range, site).await?;
    let mut answer = DailyAnswer::of(
        range,
        &rows,
        rolled_up_at,
        fresh.live_days,
        retention,
        filtered,
        source.zone_of(site),
    )
    .with_filtered_days(&filtered_days);
    answer.summaries_as_of = summaries_as_of(&source.store).await?;
    Ok(answer)
}

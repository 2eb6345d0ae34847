//! The funnel report's read: the stored funnel counts of the range (V14) and the range's
//! sessions (V13), which the summary refresh keeps current for today (`report::live`).

use crate::domain::report::dates::DateRange;
use crate::domain::report::funnel::{self, FunnelAnswer};
use crate::domain::report::site::Site;
use crate::report::live::summaries_as_of;
use crate::report::Source;
use crate::store::StoreError;

/// Sessions started in `range` (of one site, or all) that reached each funnel step in order:
/// what `/funnel`, its CSV, the MCP tool and `stats funnel` answer.
#[tracing::instrument(name = "report.funnel", level = "debug", skip_all,
    fields(from = %range.from, days = range.len(), site = site.map(Site::as_str), steps = tracing::field::Empty))]
pub async fn read(
    source: &Source,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<FunnelAnswer, StoreError> {
    let rows = source.store.stored_funnel(range, site).await?;
    tracing::Span::current().record("steps", rows.len());
    let sessions = source.store.stored_journey(range, site).await?.sessions;
    Ok(FunnelAnswer {
        span: source.summed_span(range, site),
        summaries_as_of: summaries_as_of(&source.store).await?,
        sessions,
        steps: funnel::steps(rows, sessions),
        previous: None,
    })
}

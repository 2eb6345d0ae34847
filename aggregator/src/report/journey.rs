//! The journey report's read: the stored journey summaries of the range (V13), which the summary
//! refresh keeps current for today (`report::live`).

use crate::domain::report::dates::DateRange;
use crate::domain::report::journey::{JourneyAnswer, JourneyStats};
use crate::domain::report::site::Site;
use crate::report::live::summaries_as_of;
use crate::report::Source;
use crate::store::StoreError;

/// What the sessions started in `range` (of one site, or all) did with programs: what
/// `/journey`, its CSV, the MCP tool and `stats journey` answer.
#[tracing::instrument(name = "report.journey", level = "debug", skip_all,
    fields(from = %range.from, days = range.len(), site = site.map(Site::as_str), sessions = tracing::field::Empty))]
pub async fn read(
    source: &Source,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<JourneyAnswer, StoreError> {
    let totals = source.store.stored_journey(range, site).await?;
    tracing::Span::current().record("sessions", totals.sessions);
    Ok(JourneyAnswer {
        span: source.summed_span(range, site),
        summaries_as_of: summaries_as_of(&source.store).await?,
        journey: JourneyStats::from(&totals),
        previous: None,
    })
}

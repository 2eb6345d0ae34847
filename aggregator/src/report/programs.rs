//! The programs report's read: run totals of the stored summaries (today's kept current by the
//! summary refresh, see `report::live`).

use crate::domain::report::dates::DateRange;
use crate::domain::report::programs::ProgramsAnswer;
use crate::domain::report::shape;
use crate::domain::report::site::Site;
use crate::report::live::summaries_as_of;
use crate::report::Source;
use crate::store::StoreError;

/// The program runs of the sessions started in `range` (of one site, or all): what `/programs`
/// and its CSV answer.
#[tracing::instrument(name = "report.programs", level = "debug", skip_all,
    fields(from = %range.from, days = range.len(), site = site.map(Site::as_str), runs = tracing::field::Empty))]
pub async fn read(
    source: &Source,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<ProgramsAnswer, StoreError> {
    let totals = source.store.stored_programs(range, site).await?;
    tracing::Span::current().record("runs", totals.runs);
    Ok(ProgramsAnswer {
        span: source.summed_span(range, site),
        summaries_as_of: summaries_as_of(&source.store).await?,
        programs: shape::programs(&totals),
        previous: None,
    })
}

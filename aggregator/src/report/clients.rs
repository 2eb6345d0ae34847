//! The clients report's read: the stored summaries' largest browser, OS and device values and
//! the live days' (`report::live`), with what each list leaves out.

use crate::domain::report::clients::ClientsAnswer;
use crate::domain::report::dates::{DateRange, Span};
use crate::domain::report::site::Site;
use crate::report::live::summaries_as_of;
use crate::report::live::Fresh;
use crate::report::Source;
use crate::store::StoreError;

/// The three breakdowns of `range` (of one site, or all): what `/clients` and its CSV answer.
#[tracing::instrument(name = "report.clients", level = "debug", skip_all,
    fields(from = %range.from, days = range.len(), site = site.map(Site::as_str)))]
pub async fn read(
    source: &Source,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<ClientsAnswer, StoreError> {
    // The stale-day read (`report::live`), as the handler has always made it.
    let fresh = Fresh::read(&source.store, range, site).await?;
    let (clients, other) = fresh.clients_top(&source.store, range).await?;
    Ok(ClientsAnswer {
        span: Span::of(range, source.zone_of(site)),
        summaries_as_of: summaries_as_of(&source.store).await?,
        clients,
        other,
        previous: None,
    })
}

//! The features report's read: the stored summaries' most used features and the live days'
//! (`report::live`), ranked with what the list leaves out.

use crate::domain::report::dates::{DateRange, Span};
use crate::domain::report::features::FeaturesAnswer;
use crate::domain::report::site::Site;
use crate::report::live::summaries_as_of;
use crate::report::live::Fresh;
use crate::report::Source;
use crate::store::StoreError;

/// The `limit` most used features of `range` (of one site, or all): what `/features` and its
/// CSV answer.
#[tracing::instrument(name = "report.features", level = "debug", skip_all,
    fields(from = %range.from, days = range.len(), site = site.map(Site::as_str), limit = limit, rows = tracing::field::Empty))]
pub async fn read(
    source: &Source,
    range: &DateRange,
    site: Option<&Site>,
    limit: u32,
) -> Result<FeaturesAnswer, StoreError> {
    // The stale-day read (`report::live`), as the handler has always made it.
    let fresh = Fresh::read(&source.store, range, site).await?;
    let (features, other) = fresh
        .features_top(&source.store, range, limit as usize)
        .await?;
    tracing::Span::current().record("rows", features.len());
    Ok(FeaturesAnswer {
        span: Span::of(range, source.zone_of(site)),
        summaries_as_of: summaries_as_of(&source.store).await?,
        features,
        other,
        previous: None,
    })
}

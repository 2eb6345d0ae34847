//! The feature-data report's read: one feature's most frequent data texts of the stored summaries
//! (today's kept current by the summary refresh, see `report::live`), counted by key and value
//! by the pure fold of `domain::report::feature_data`.

use crate::domain::report::dates::DateRange;
use crate::domain::report::feature_data::{merge_texts, FeatureDataAnswer, MAX_DISTINCT};
use crate::domain::report::site::Site;
use crate::report::live::summaries_as_of;
use crate::report::Source;
use crate::store::StoreError;

/// The data of feature `name` (a stored name) over `range` (of one site, or all): what
/// `/features/{name}` and its CSV answer.
#[tracing::instrument(name = "report.feature_data", level = "debug", skip_all,
    fields(feature = %name, from = %range.from, days = range.len(), site = site.map(Site::as_str), texts = tracing::field::Empty))]
pub async fn read(
    source: &Source,
    name: String,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<FeatureDataAnswer, StoreError> {
    let limit = MAX_DISTINCT;
    // At most `limit` texts (ranked and limited in SQL), and the events of every text.
    let (stored, events) = source
        .store
        .stored_feature_data(&name, range, site, limit as usize)
        .await?;
    let texts = merge_texts(stored, limit as usize);
    tracing::Span::current().record("texts", texts.len());
    let mut answer =
        FeatureDataAnswer::of(range, name, &texts, events, limit, source.zone_of(site));
    answer.summaries_as_of = summaries_as_of(&source.store).await?;
    answer.span.sites_in_own_zones = source.sites_in_own_zones(site);
    Ok(answer)
}

//! The sessions report's read: the latest raw sessions (they go with retention).

use crate::domain::report::sessions::SessionsAnswer;
use crate::domain::report::site::Site;
use crate::report::Source;
use crate::store::StoreError;

/// The `limit` latest sessions (of one site, or all): what `/sessions` and its CSV answer.
#[tracing::instrument(name = "report.sessions", level = "debug", skip_all,
    fields(limit = limit, site = site.map(Site::as_str), rows = tracing::field::Empty))]
pub async fn read(
    source: &Source,
    limit: u32,
    site: Option<&Site>,
) -> Result<SessionsAnswer, StoreError> {
    let sessions = source.store.recent_sessions(limit, site).await?;
    tracing::Span::current().record("rows", sessions.len());
    Ok(SessionsAnswer { sessions })
}

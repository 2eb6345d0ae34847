//! What the reports show of filtered sessions (`domain::filter`, which counts them by reason):
//! here, below the filter, so that the reports need not import the filter that imports them.

use serde::Serialize;
use utoipa::ToSchema;

/// Sessions filtered in a range, by reason: not stored, so in no other figure of the answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct FilteredTotals {
    /// Browsers that reported automation (`navigator.webdriver`, a headless User-Agent), while
    /// `filter_automation` is on.
    pub automation: u64,
    /// User-Agents the parser calls crawlers that ran the page's script.
    pub crawler: u64,
}

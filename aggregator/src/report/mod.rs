//! Reports: the daily rollup, retention of raw rows, and the figures the stats API, the dashboard
//! and the CLI show. Every figure of a day counts the sessions that *started* that UTC day.

pub mod csv;
pub mod feature_data;
pub mod fresh_events;
pub mod live;
pub mod now;
mod retention;
mod rollup;
pub mod shape;
pub mod table;

use chrono::NaiveDate;

// The data of reports lives in the domain, where the stores may read it too; these paths stay for
// the routes and the CLI.
pub use crate::domain::report::{dates, errors, model, site, summary, top};
pub use retention::PurgeOutcome;
pub use rollup::RollupOutcome;

use crate::clock::SharedClock;
use crate::store::Store;

#[derive(Debug, Clone, Copy)]
pub struct ReportSettings {
    /// Today and the days before it in which every periodic rollup also recomputes days holding
    /// sessions without a last-seen time (the old tracker's rows).
    pub rollup_window_days: u32,
    /// Raw rows of sessions that started more than this many days before today are deleted.
    pub retention_days: u32,
    /// The free text of summaries of days more than this many days before today is replaced by
    /// an `(expired)` row holding their counts.
    pub summary_text_retention_days: u32,
}

impl From<&crate::config::Config> for ReportSettings {
    fn from(config: &crate::config::Config) -> Self {
        ReportSettings {
            rollup_window_days: config.rollup_window_days,
            retention_days: config.retention_days,
            summary_text_retention_days: config.summary_text_retention_days,
        }
    }
}

#[derive(Clone)]
pub struct Reports {
    pub store: Store,
    pub clock: SharedClock,
    pub settings: ReportSettings,
}

impl Reports {
    pub fn today(&self) -> NaiveDate {
        self.clock.now().date_naive()
    }
}

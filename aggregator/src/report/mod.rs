//! Reports: the daily rollup, retention of raw rows, and the figures the stats API, the dashboard
//! and the CLI show. Every figure of a day counts the sessions that *started* that UTC day.

pub mod dates;
pub mod model;
pub mod shape;
pub mod table;

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate, NaiveDateTime};

use crate::clock::SharedClock;
use crate::store::{Store, StoreError};

/// How far back the watermark looks: a batch is stamped with its receive time but committed a
/// little later (group commit, retries), so a session may show up slightly "in the past".
const WATERMARK_MARGIN: chrono::Duration = chrono::Duration::minutes(10);

/// Later than any stored start time (and within MySQL's DATETIME range).
fn far_future() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid date")
}

#[derive(Debug, Clone, Copy)]
pub struct ReportSettings {
    /// Today and the days before it that every periodic rollup recomputes.
    pub rollup_window_days: u32,
    /// Raw rows of sessions that started more than this many days before today are deleted.
    pub retention_days: u32,
}

impl From<&crate::config::Config> for ReportSettings {
    fn from(config: &crate::config::Config) -> Self {
        ReportSettings {
            rollup_window_days: config.rollup_window_days,
            retention_days: config.retention_days,
        }
    }
}

#[derive(Clone)]
pub struct Reports {
    pub store: Store,
    pub clock: SharedClock,
    pub settings: ReportSettings,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct RollupOutcome {
    /// Days whose summaries were recomputed.
    pub rolled_up: Vec<NaiveDate>,
    /// Days asked for that had no raw sessions (left as they were) or were past retention.
    pub skipped: Vec<NaiveDate>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    pub days_rolled_up_first: u64,
    pub sessions: u64,
    pub program_executions: u64,
    pub feature_usage: u64,
}

impl Reports {
    pub fn today(&self) -> NaiveDate {
        self.clock.now().date_naive()
    }

    /// The first day whose raw rows are kept; sessions that started before it are purged.
    pub fn first_kept_day(&self) -> NaiveDate {
        self.today()
            .checked_sub_days(Days::new(self.settings.retention_days.into()))
            .unwrap_or(NaiveDate::MIN)
    }

    /// Recomputes the given days. Days before the retention boundary are skipped: their
    /// summaries are final, and their raw rows may be partly purged already.
    pub async fn rollup_days(
        &self,
        days: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<RollupOutcome, StoreError> {
        let first_kept = self.first_kept_day();
        let mut outcome = RollupOutcome::default();
        for day in days {
            let now = self.clock.now().naive_utc();
            if day >= first_kept && self.store.rollup_day(day, now).await? {
                outcome.rolled_up.push(day);
            } else {
                outcome.skipped.push(day);
            }
        }
        Ok(outcome)
    }

    /// The periodic rollup: the trailing window, plus every day with a session that received a
    /// batch since the last run (late events). The first run ever rolls up every kept day.
    pub async fn rollup_due(&self) -> Result<RollupOutcome, StoreError> {
        let now = self.clock.now().naive_utc();
        let today = now.date();
        let mut days: BTreeSet<NaiveDate> = (0..self.settings.rollup_window_days)
            .filter_map(|back| today.checked_sub_days(Days::new(back.into())))
            .collect();
        let touched = match self.store.rollup_mark().await? {
            Some(mark) => {
                self.store
                    .days_touched_since(mark - WATERMARK_MARGIN)
                    .await?
            }
            None => self.store.days_with_sessions_before(far_future()).await?,
        };
        days.extend(touched);
        let outcome = self.rollup_days(days).await?;
        self.store.set_rollup_mark(now).await?;
        Ok(outcome)
    }

    /// Deletes raw rows of sessions that started before the retention boundary, after rolling up
    /// any such day that has no rollup yet, so its figures outlive its rows.
    pub async fn purge(&self) -> Result<PurgeOutcome, StoreError> {
        let cutoff = self
            .first_kept_day()
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists");
        let mut outcome = PurgeOutcome::default();
        for day in self.store.days_unsummarized_before(cutoff).await? {
            let now = self.clock.now().naive_utc();
            if self.store.rollup_day(day, now).await? {
                outcome.days_rolled_up_first += 1;
            }
        }
        // Children first: a session row is deleted only once nothing refers to it.
        outcome.program_executions = self.store.purge_program_executions(cutoff).await?;
        outcome.feature_usage = self.store.purge_feature_usage(cutoff).await?;
        outcome.sessions = self.store.purge_sessions(cutoff).await?;
        Ok(outcome)
    }
}

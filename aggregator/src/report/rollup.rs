//! The daily rollup: which days to recompute (the trailing window, days touched since the last
//! run, every kept day the first time); the store recomputes each day's summaries in SQL.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate, NaiveDateTime};

use super::Reports;
use crate::store::{DaysBefore, StoreError};

/// How far back the watermark looks: a batch is stamped with its receive time but committed a
/// little later (group commit, retries), so a session may show up slightly "in the past".
pub(crate) const WATERMARK_MARGIN: chrono::Duration = chrono::Duration::minutes(10);

/// Later than any stored start time (and within MySQL's DATETIME range).
pub(crate) fn far_future() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid date")
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct RollupOutcome {
    /// Days whose summaries were recomputed.
    pub rolled_up: Vec<NaiveDate>,
    /// Days asked for that had no raw sessions (left as they were) or were past retention.
    pub skipped: Vec<NaiveDate>,
}

impl Reports {
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
            None => {
                self.store
                    .days_before(DaysBefore::WithSessions, far_future())
                    .await?
            }
        };
        days.extend(touched);
        let outcome = self.rollup_days(days).await?;
        self.store.set_rollup_mark(now).await?;
        Ok(outcome)
    }
}

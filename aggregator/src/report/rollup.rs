//! The daily rollup: which days to recompute (days with sessions touched since the last run,
//! every kept day the first time), so that a periodic run costs what changed, not the size of
//! the kept history; the store recomputes each day's summaries from one read of its sessions.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate, NaiveDateTime};

use super::Reports;
use crate::domain::report::journey::steps::Funnel;
use crate::store::{DaysBefore, Store, StoreError};

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
            if day >= first_kept && rollup_day(&self.store, day, now, &self.funnel).await? {
                outcome.rolled_up.push(day);
            } else {
                outcome.skipped.push(day);
            }
        }
        Ok(outcome)
    }

    /// The periodic rollup: every day with a session that received a batch since the last run
    /// (today's sessions as they go on, and late events of any kept day), plus the days of the
    /// trailing window (`rollup_window_days`) that hold sessions without a last-seen time (the
    /// old tracker's, during a switch-over), whose changes nothing records. The first run ever
    /// rolls up every kept day. An idle system's run reads two index ranges and rolls up nothing.
    ///
    /// Nothing else changes a day's figures without touching a session: the idle sweep sets
    /// `end_time` and `end_offset_ms` only, which no figure reads (durations come from the
    /// batches); the purge only deletes days whose summaries are final; rewriting stored
    /// addresses (`anonymize-stored-ips`) rolls up its days itself.
    pub async fn rollup_due(&self) -> Result<RollupOutcome, StoreError> {
        let now = self.clock.now().naive_utc();
        let days: BTreeSet<NaiveDate> = match self.store.rollup_mark().await? {
            Some(mark) => {
                let mut days = self
                    .store
                    .days_touched_since(mark - WATERMARK_MARGIN)
                    .await?;
                let window = window_start(now.date(), self.settings.rollup_window_days);
                days.extend(self.store.days_untracked_since(window).await?);
                days.into_iter().collect()
            }
            None => self
                .store
                .days_before(DaysBefore::WithSessions, far_future())
                .await?
                .into_iter()
                .collect(),
        };
        let outcome = self.rollup_days(days).await?;
        self.store.set_rollup_mark(now).await?;
        Ok(outcome)
    }
}

/// Recomputes one day's summaries (`Rollups::rollup_day`) in a span, so that a slow rollup shows
/// which day took its time.
#[tracing::instrument(name = "rollup.day", level = "debug", skip_all,
    fields(day = %day, rolled_up = tracing::field::Empty))]
pub(super) async fn rollup_day(
    store: &Store,
    day: NaiveDate,
    now: NaiveDateTime,
    funnel: &Funnel,
) -> Result<bool, StoreError> {
    let rolled_up = store.rollup_day(day, now, funnel).await?;
    tracing::Span::current().record("rolled_up", rolled_up);
    Ok(rolled_up)
}

/// Midnight of the first day of the trailing window: today and the `window_days - 1` days
/// before it.
fn window_start(today: NaiveDate, window_days: u32) -> NaiveDateTime {
    let back = u64::from(window_days.saturating_sub(1));
    today
        .checked_sub_days(Days::new(back))
        .unwrap_or(NaiveDate::MIN)
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_starts_at_midnight_of_its_first_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let midnight = |d| {
            NaiveDate::from_ymd_opt(2026, 11, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
        };
        assert_eq!(window_start(today, 3), midnight(26));
        assert_eq!(window_start(today, 1), midnight(28), "today only");
        assert_eq!(window_start(today, 0), midnight(28));
    }
}

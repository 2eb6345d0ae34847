//! The daily rollup: which days to recompute (days with sessions touched since the last run,
//! every kept day the first time and after a change of the report zone), so that a periodic run
//! costs what changed, not the size of the kept history; the store recomputes each day's
//! summaries from one read of its sessions. Days are local days of `report_timezone`: the store
//! answers UTC start times per UTC day, [`ReportZone`] turns them into local days and each local
//! day into its UTC bounds.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate, NaiveDateTime};

use super::Reports;
use crate::domain::report::journey::steps::Funnel;
use crate::domain::zone::ReportZone;
use crate::store::{StartSpan, Store, StoreError};

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
        let zone = self.settings.zone;
        let mut outcome = RollupOutcome::default();
        for day in days {
            let now = self.clock.now().naive_utc();
            if day >= first_kept && rollup_day(&self.store, zone, day, now, &self.funnel).await? {
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
    /// rolls up every kept day, and so does the first run after `report_timezone` changed (a
    /// kept day after the first was rolled up in another zone, V16): the kept raw rows are
    /// re-rolled on their new local days, and a day that no longer has sessions loses its old
    /// summaries. An idle system's run reads three index ranges and rolls up nothing.
    ///
    /// Nothing else changes a day's figures without touching a session: the idle sweep sets
    /// `end_time` and `end_offset_ms` only, which no figure reads (durations come from the
    /// batches); the purge only deletes days whose summaries are final; rewriting stored
    /// addresses (`anonymize-stored-ips`) rolls up its days itself.
    pub async fn rollup_due(&self) -> Result<RollupOutcome, StoreError> {
        let now = self.clock.now().naive_utc();
        let zone = self.settings.zone;
        // The first kept day may have lost the rows of its first hours to a purge made in the
        // old zone, so only the days after it are checked (it is purged itself tomorrow).
        let after_first_kept = self.first_kept_day() + Days::new(1);
        let other_zones = self
            .store
            .days_of_other_zones(after_first_kept, zone.name())
            .await?;
        let mark = self.store.rollup_mark().await?;
        let mut days: BTreeSet<NaiveDate> = match mark {
            Some(mark) if other_zones.is_empty() => {
                let mut spans = self
                    .store
                    .days_touched_since(mark - WATERMARK_MARGIN)
                    .await?;
                let window = window_start(zone, self.today(), self.settings.rollup_window_days);
                spans.extend(self.store.days_untracked_since(window).await?);
                local_days(zone, &spans)
            }
            _ => {
                let spans = self.store.days_with_sessions_before(far_future()).await?;
                local_days(zone, &spans)
            }
        };
        days.extend(other_zones.iter().copied());
        let outcome = self.rollup_days(days).await?;
        for day in other_zones {
            if day >= after_first_kept && outcome.skipped.contains(&day) {
                // Rolled up in the old zone, no sessions in the new one.
                self.store.forget_day(day).await?;
            }
        }
        self.store.set_rollup_mark(now).await?;
        Ok(outcome)
    }
}

/// The local days of `zone` that sessions starting within `spans` fall on.
pub(super) fn local_days(zone: ReportZone, spans: &[StartSpan]) -> BTreeSet<NaiveDate> {
    spans
        .iter()
        .flat_map(|&(first, last)| zone.days_between(first, last))
        .collect()
}

/// Recomputes one day's summaries (`Rollups::rollup_day`) in a span, so that a slow rollup shows
/// which day took its time.
#[tracing::instrument(name = "rollup.day", level = "debug", skip_all,
    fields(day = %day, rolled_up = tracing::field::Empty))]
pub(super) async fn rollup_day(
    store: &Store,
    zone: ReportZone,
    day: NaiveDate,
    now: NaiveDateTime,
    funnel: &Funnel,
) -> Result<bool, StoreError> {
    let rolled_up = store.rollup_day(zone.day(day), now, funnel).await?;
    tracing::Span::current().record("rolled_up", rolled_up);
    Ok(rolled_up)
}

/// The start (UTC) of the first local day of the trailing window: today and the
/// `window_days - 1` days before it.
fn window_start(zone: ReportZone, today: NaiveDate, window_days: u32) -> NaiveDateTime {
    let back = u64::from(window_days.saturating_sub(1));
    zone.start_of(
        today
            .checked_sub_days(Days::new(back))
            .unwrap_or(NaiveDate::MIN),
    )
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
        let utc = ReportZone::UTC;
        assert_eq!(window_start(utc, today, 3), midnight(26));
        assert_eq!(window_start(utc, today, 1), midnight(28), "today only");
        assert_eq!(window_start(utc, today, 0), midnight(28));
        let la: ReportZone = "America/Los_Angeles".parse().unwrap();
        assert_eq!(
            window_start(la, today, 1),
            midnight(28) + chrono::Duration::hours(8)
        );
    }

    #[test]
    fn spans_become_the_local_days_they_cover() {
        let at = |d, h| {
            NaiveDate::from_ymd_opt(2026, 11, d)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
        };
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let spans = [(at(27, 1), at(27, 23)), (at(28, 9), at(28, 9))];
        let utc: Vec<_> = local_days(ReportZone::UTC, &spans).into_iter().collect();
        assert_eq!(utc, [day(27), day(28)]);
        let la = "America/Los_Angeles".parse().unwrap();
        let local: Vec<_> = local_days(la, &spans).into_iter().collect();
        assert_eq!(local, [day(26), day(27), day(28)]);
    }
}

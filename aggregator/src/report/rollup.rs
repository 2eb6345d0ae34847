//! The daily rollup: which days to recompute (days with sessions touched since the last run,
//! every kept day the first time and after a change of the report zone, a site's kept days
//! after a change of its zone), so that a periodic run costs what changed, not the size of the
//! kept history; the store recomputes each day's summaries from one read of its sessions. Days
//! are local days of `report_timezone`, and a site with an override (`site_timezones`) has its
//! rows written by its zone's pass over that zone's local days: the store answers UTC start
//! times per UTC day, [`ReportZone`] turns them into local days and each local day into its UTC
//! bounds.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use chrono::{Days, NaiveDate, NaiveDateTime};

use super::Reports;
use crate::domain::report::journey::steps::Funnel;
use crate::domain::report::site::Site;
use crate::domain::site_zones::{SiteScope, ZonePass};
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
    /// Recomputes the given days, each in every zone's pass (`Zones::passes`: the report
    /// zone's local day for the all-sites rows and its sites, each override zone's for its
    /// sites). Days before the retention boundary are skipped: their summaries are final, and
    /// their raw rows may be partly purged already.
    pub async fn rollup_days(
        &self,
        days: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<RollupOutcome, StoreError> {
        self.rollup_days_from(days, self.first_kept_day()).await
    }

    /// As [`Reports::rollup_days`], skipping the days before `first`.
    pub(super) async fn rollup_days_from(
        &self,
        days: impl IntoIterator<Item = NaiveDate>,
        first: NaiveDate,
    ) -> Result<RollupOutcome, StoreError> {
        let passes = self.settings.zones().passes();
        let all: Vec<usize> = (0..passes.len()).collect();
        let plan = days.into_iter().map(|d| (d, all.clone())).collect();
        Ok(self.roll_up(&passes, plan, first).await?.0)
    }

    /// Runs `plan` (per day, the passes due): a day is rolled up if any of its passes was.
    /// Also answers the days the report zone's pass rolled up.
    async fn roll_up(
        &self,
        passes: &[ZonePass],
        plan: BTreeMap<NaiveDate, Vec<usize>>,
        first_kept: NaiveDate,
    ) -> Result<(RollupOutcome, BTreeSet<NaiveDate>), StoreError> {
        let mut outcome = RollupOutcome::default();
        let mut report_zone_days = BTreeSet::new();
        for (day, due) in plan {
            let mut rolled_up = false;
            for pass in due.into_iter().filter(|_| day >= first_kept) {
                let now = self.clock.now().naive_utc();
                let rolled = rollup_day(&self.store, &passes[pass], day, now, &self.funnel).await?;
                if rolled && pass == 0 {
                    report_zone_days.insert(day);
                }
                rolled_up |= rolled;
            }
            match rolled_up {
                true => outcome.rolled_up.push(day),
                false => outcome.skipped.push(day),
            }
        }
        Ok((outcome, report_zone_days))
    }

    /// The periodic rollup: every day with a session that received a batch since the last run
    /// (today's sessions as they go on, and late events of any kept day), plus the days of the
    /// trailing window (`rollup_window_days`) that hold sessions without a last-seen time (the
    /// old tracker's, during a switch-over), whose changes nothing records. The first run ever
    /// rolls up every kept day, and so does the first run after `report_timezone` changed (a
    /// kept day after the first was rolled up in another zone, V16): the kept raw rows are
    /// re-rolled on their new local days, and a day that no longer has sessions loses its old
    /// summaries. Likewise a site's kept day rolled up in another zone than the site's now
    /// (`site_timezones` changed, V18) is re-rolled in its zone's pass, and loses its old rows
    /// if it has no sessions there (looked for at the first run of the process only: a site's
    /// zone changes with a restart). An idle system's run reads three index ranges and rolls up
    /// nothing.
    ///
    /// Each zone's pass (`Zones::passes`) rolls up the local days of its own zone that the
    /// touched sessions fall on ([`days_due`]).
    ///
    /// Nothing else changes a day's figures without touching a session: the idle sweep sets
    /// `end_time` and `end_offset_ms` only, which no figure reads (durations come from the
    /// batches); the purge only deletes days whose summaries are final; rewriting stored
    /// addresses (`anonymize-stored-ips`) rolls up its days itself.
    pub async fn rollup_due(&self) -> Result<RollupOutcome, StoreError> {
        let now = self.clock.now().naive_utc();
        let zones = self.settings.zones();
        let passes = zones.passes();
        // The first kept day may have lost the rows of its first hours to a purge made in the
        // old zone, so only the days after it are checked (it is purged itself tomorrow).
        let after_first_kept = self.first_kept_day() + Days::new(1);
        let other_zones = self
            .store
            .days_of_other_zones(after_first_kept, zones.report.name())
            .await?;
        let check_sites = !self.site_zones_checked.load(Ordering::Relaxed);
        let stale_sites = match check_sites {
            true => {
                self.store
                    .site_days_of_other_zones(after_first_kept, &zones)
                    .await?
            }
            false => Vec::new(),
        };
        let mark = self.store.rollup_mark().await?;
        // A change of zone re-rolls every kept day: the days of the new zone are not those
        // that have rows now.
        let spans = match mark {
            Some(mark) if other_zones.is_empty() && stale_sites.is_empty() => {
                let mut spans = self
                    .store
                    .days_touched_since(mark - WATERMARK_MARGIN)
                    .await?;
                let window = passes
                    .iter()
                    .map(|p| {
                        let today = p.zone.today(self.clock.now());
                        window_start(p.zone, today, self.settings.rollup_window_days)
                    })
                    .min()
                    .unwrap_or(now);
                spans.extend(self.store.days_untracked_since(window).await?);
                spans
            }
            _ => self.store.days_with_sessions_before(far_future()).await?,
        };
        let plan = days_due(&passes, &spans, &other_zones, &stale_sites);
        let first_kept = self.first_kept_day();
        let (outcome, report_zone_days) = self.roll_up(&passes, plan, first_kept).await?;
        for day in other_zones {
            if day >= after_first_kept && !report_zone_days.contains(&day) {
                // Rolled up in the old zone, no sessions in the new one.
                self.store.forget_day(day, &passes[0].scope).await?;
            }
        }
        if !stale_sites.is_empty() {
            // What is still of another zone had no sessions in its site's zone now.
            let left = self
                .store
                .site_days_of_other_zones(after_first_kept, &zones)
                .await?;
            for (day, site) in left {
                if let Some(site) = Site::from_stored(&site) {
                    let only = SiteScope::Only(vec![site]);
                    self.store.forget_day(day, &only).await?;
                }
            }
        }
        self.store.set_rollup_mark(now).await?;
        self.site_zones_checked.store(true, Ordering::Relaxed);
        Ok(outcome)
    }
}

/// Per local day, the passes (indexes into `passes`, the report zone's first) that roll it up:
/// each pass the local days of its zone that `spans` cover; the report zone's pass also the
/// days rolled up in another report zone (`other_zones`); and each pass the days of its sites
/// rolled up in another zone than theirs (`stale_sites`).
pub(super) fn days_due(
    passes: &[ZonePass],
    spans: &[StartSpan],
    other_zones: &[NaiveDate],
    stale_sites: &[(NaiveDate, String)],
) -> BTreeMap<NaiveDate, Vec<usize>> {
    let mut plan: BTreeMap<NaiveDate, BTreeSet<usize>> = BTreeMap::new();
    for (i, pass) in passes.iter().enumerate() {
        let mut days = local_days(pass.zone, spans);
        if i == 0 {
            days.extend(other_zones.iter().copied());
        }
        days.extend(
            stale_sites
                .iter()
                .filter(|(_, site)| pass.scope.has(site))
                .map(|(day, _)| *day),
        );
        for day in days {
            plan.entry(day).or_default().insert(i);
        }
    }
    plan.into_iter()
        .map(|(day, due)| (day, due.into_iter().collect()))
        .collect()
}

/// The local days of `zone` that sessions starting within `spans` fall on.
pub(super) fn local_days(zone: ReportZone, spans: &[StartSpan]) -> BTreeSet<NaiveDate> {
    spans
        .iter()
        .flat_map(|&(first, last)| zone.days_between(first, last))
        .collect()
}

/// Recomputes one day's summaries of one zone's pass (`Rollups::rollup_day`) in a span, so that
/// a slow rollup shows which day took its time.
#[tracing::instrument(name = "rollup.day", level = "debug", skip_all,
    fields(day = %day, zone = pass.zone.name(), rolled_up = tracing::field::Empty))]
pub(super) async fn rollup_day(
    store: &Store,
    pass: &ZonePass,
    day: NaiveDate,
    now: NaiveDateTime,
    funnel: &Funnel,
) -> Result<bool, StoreError> {
    let rolled_up = store
        .rollup_day(pass.zone.day(day), &pass.scope, now, funnel)
        .await?;
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

    /// The `d`th of November 2026 at `h` o'clock (UTC, as start times are stored).
    fn at(d: u32, h: u32) -> NaiveDateTime {
        day(d).and_hms_opt(h, 0, 0).unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn spans_become_the_local_days_they_cover() {
        let spans = [(at(27, 1), at(27, 23)), (at(28, 9), at(28, 9))];
        let utc: Vec<_> = local_days(ReportZone::UTC, &spans).into_iter().collect();
        assert_eq!(utc, [day(27), day(28)]);
        let la = "America/Los_Angeles".parse().unwrap();
        let local: Vec<_> = local_days(la, &spans).into_iter().collect();
        assert_eq!(local, [day(26), day(27), day(28)]);
    }

    #[test]
    fn each_zone_rolls_up_its_own_local_days() {
        use crate::domain::site_zones::Zones;
        let zones = Zones {
            report: ReportZone::UTC,
            sites: "ide=America/Los_Angeles,jp=Asia/Tokyo".parse().unwrap(),
        };
        let passes = zones.passes();
        // Sessions of the 28th from 01:00 to 09:00 UTC: the 27th and 28th in Los Angeles, the
        // 28th in Tokyo and UTC.
        let spans = [(at(28, 1), at(28, 9))];
        let plan = days_due(&passes, &spans, &[], &[]);
        let plan: Vec<_> = plan.into_iter().collect();
        assert_eq!(plan, [(day(27), vec![1]), (day(28), vec![0, 1, 2])]);
        // Days of another report zone go to the report zone's pass; a site's days of another
        // zone to its zone's pass (docs has none: the report zone's).
        let stale = [(day(20), "jp".to_string()), (day(21), "docs".to_string())];
        let plan = days_due(&passes, &[], &[day(19)], &stale);
        let plan: Vec<_> = plan.into_iter().collect();
        assert_eq!(
            plan,
            [(day(19), vec![0]), (day(20), vec![2]), (day(21), vec![0])]
        );
    }
}

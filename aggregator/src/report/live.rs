//! Figures that do not wait for the rollup: the days of a range the rollup has not seen since
//! their sessions last changed (today, above all) are computed from the raw rows now, by the same
//! reader and arithmetic as the rollup (`report::summary`), and replace their stored summaries.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::rollup::{far_future, WATERMARK_MARGIN};
use crate::domain::report::dates::DateRange;
use crate::domain::report::freshness;
use crate::domain::report::model::{Clients, ClientsOther, DailyRow, FeatureCount};
use crate::domain::report::shape;
use crate::domain::report::site::Site;
use crate::domain::report::summary::DaySummary;
use crate::domain::report::top::{self, Other};
use crate::store::{DaysBefore, Store, StoreError};

/// The days of `range` whose stored summaries may be behind their raw rows: among the days with
/// a session touched since the last rollup run (less the watermark's margin), those seen again
/// since their own rollup (`domain::report::freshness`); before any rollup ever ran, every day
/// with sessions.
pub async fn stale_days(store: &Store, range: &DateRange) -> Result<Vec<NaiveDate>, StoreError> {
    let days = match store.rollup_mark().await? {
        Some(mark) => {
            let seen = store.days_seen_since(mark - WATERMARK_MARGIN).await?;
            let rolled: BTreeMap<NaiveDate, _> = store
                .rolled_up_at(range.from, range.to)
                .await?
                .into_iter()
                .collect();
            freshness::stale_days(&seen, &rolled, WATERMARK_MARGIN)
        }
        None => {
            store
                .days_before(DaysBefore::WithSessions, far_future())
                .await?
        }
    };
    Ok(days
        .into_iter()
        .filter(|d| (range.from..=range.to).contains(d))
        .collect())
}

/// What the range's reports read: the stored summaries of the days that are current, the live
/// summaries of the others.
#[derive(Debug, Clone, Default)]
pub struct Fresh {
    /// Days answered from the raw rows (those with sessions), in order.
    pub live_days: Vec<NaiveDate>,
    live: Vec<DaySummary>,
    /// Days left out of the stored reads, because they are computed live.
    stale: Vec<NaiveDate>,
    /// One site's reports, or all sites'.
    site: Option<Site>,
}

impl Fresh {
    pub async fn read(
        store: &Store,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Fresh, StoreError> {
        let stale = stale_days(store, range).await?;
        let live = store.live_days(stale.clone(), site.cloned()).await?;
        Ok(Fresh {
            live_days: live.iter().map(|d| d.row.date).collect(),
            live,
            stale,
            site: site.cloned(),
        })
    }

    /// The range's daily rows.
    pub async fn daily_rows(
        &self,
        store: &Store,
        range: &DateRange,
    ) -> Result<Vec<DailyRow>, StoreError> {
        Ok(merge_rows(
            store.daily_rows(range, self.site.as_ref()).await?,
            &self.stale,
            &self.live,
        ))
    }

    /// Feature counts of the range: the most used (at most [`top::MAX_FEATURES`] ×
    /// [`top::READ_MARGIN`] of the stored days, and the live days' capped lists), "(other)" rows
    /// included; [`Fresh::features_top`] ranks them.
    pub async fn feature_counts(
        &self,
        store: &Store,
        range: &DateRange,
    ) -> Result<Vec<FeatureCount>, StoreError> {
        Ok(self.features_read(store, range).await?.0)
    }

    /// The `limit` most used features of the range, and what the list leaves out (uses).
    pub async fn features_top(
        &self,
        store: &Store,
        range: &DateRange,
        limit: usize,
    ) -> Result<(Vec<FeatureCount>, Other), StoreError> {
        let (counts, total) = self.features_read(store, range).await?;
        let mut listed: Vec<FeatureCount> = shape::features(counts)
            .into_iter()
            .filter(|f| f.name != top::OTHER)
            .collect();
        listed.truncate(limit);
        let shown = listed.iter().map(|f| f.uses).sum();
        Ok((listed, Other::of(total, shown)))
    }

    async fn features_read(
        &self,
        store: &Store,
        range: &DateRange,
    ) -> Result<(Vec<FeatureCount>, u64), StoreError> {
        let limit = top::MAX_FEATURES as usize * top::READ_MARGIN;
        let (stored, stored_uses) = store
            .feature_counts(range, &self.stale, self.site.as_ref(), limit)
            .await?;
        let live_uses: u64 = self.live.iter().map(|d| d.row.feature_uses).sum();
        Ok((merge_features(stored, &self.live), stored_uses + live_uses))
    }

    /// (dimension, value, sessions) of the range: per dimension the largest values of the
    /// stored days and the live days' capped lists, "(other)" rows included.
    pub async fn client_counts(
        &self,
        store: &Store,
        range: &DateRange,
    ) -> Result<Vec<(String, String, u64)>, StoreError> {
        Ok(self.clients_read(store, range).await?.0)
    }

    /// The breakdowns of the range, at most [`top::CLIENT_VALUES`] per dimension, shares of all
    /// sessions, and what each leaves out.
    pub async fn clients_top(
        &self,
        store: &Store,
        range: &DateRange,
    ) -> Result<(Clients, ClientsOther), StoreError> {
        let (rows, totals) = self.clients_read(store, range).await?;
        Ok(shape::clients_top(rows, &totals, top::CLIENT_VALUES))
    }

    async fn clients_read(
        &self,
        store: &Store,
        range: &DateRange,
    ) -> Result<(Vec<(String, String, u64)>, Vec<(String, u64)>), StoreError> {
        let limit = top::CLIENT_VALUES * top::READ_MARGIN;
        let (stored, mut totals) = store
            .client_counts(range, &self.stale, self.site.as_ref(), limit)
            .await?;
        for (dimension, _, sessions) in self.live.iter().flat_map(|d| d.clients.iter()) {
            match totals.iter_mut().find(|(d, _)| d == dimension) {
                Some((_, total)) => *total += sessions,
                None => totals.push((dimension.clone(), *sessions)),
            }
        }
        Ok((merge_clients(stored, &self.live), totals))
    }
}

/// Stored rows of the days not in `stale`, plus the live rows, by date.
pub fn merge_rows(
    stored: Vec<DailyRow>,
    stale: &[NaiveDate],
    live: &[DaySummary],
) -> Vec<DailyRow> {
    let mut by_day: BTreeMap<NaiveDate, DailyRow> = stored
        .into_iter()
        .filter(|r| !stale.contains(&r.date))
        .map(|r| (r.date, r))
        .collect();
    for day in live {
        by_day.insert(day.row.date, day.row.clone());
    }
    by_day.into_values().collect()
}

/// Feature counts summed over the stored days (read without the stale ones) and the live days.
pub fn merge_features(stored: Vec<FeatureCount>, live: &[DaySummary]) -> Vec<FeatureCount> {
    let mut by_name: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for f in stored
        .into_iter()
        .chain(live.iter().flat_map(|d| d.features.clone()))
    {
        let entry = by_name.entry(f.name).or_default();
        entry.0 += f.uses;
        entry.1 += f.sessions;
    }
    by_name
        .into_iter()
        .map(|(name, (uses, sessions))| FeatureCount {
            name,
            uses,
            sessions,
        })
        .collect()
}

/// (dimension, value, sessions) summed over the stored days and the live days.
pub fn merge_clients(
    stored: Vec<(String, String, u64)>,
    live: &[DaySummary],
) -> Vec<(String, String, u64)> {
    let mut by_key: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (dimension, value, sessions) in stored
        .into_iter()
        .chain(live.iter().flat_map(|d| d.clients.clone()))
    {
        *by_key.entry((dimension, value)).or_default() += sessions;
    }
    by_key
        .into_iter()
        .map(|((dimension, value), sessions)| (dimension, value, sessions))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn row(d: u32, sessions: u64) -> DailyRow {
        DailyRow {
            date: day(d),
            sessions,
            ..DailyRow::default()
        }
    }

    fn live(d: u32, sessions: u64, feature: (&str, u64, u64)) -> DaySummary {
        DaySummary {
            row: row(d, sessions),
            features: vec![FeatureCount {
                name: feature.0.into(),
                uses: feature.1,
                sessions: feature.2,
            }],
            clients: vec![("browser".into(), "Firefox".into(), sessions)],
        }
    }

    #[test]
    fn live_days_replace_their_stored_rows() {
        let stored = vec![row(26, 5), row(27, 1)];
        let merged = merge_rows(
            stored,
            &[day(27), day(28)],
            &[live(27, 3, ("a", 1, 1)), live(28, 2, ("a", 1, 1))],
        );
        assert_eq!(merged, vec![row(26, 5), row(27, 3), row(28, 2)]);
    }

    #[test]
    fn a_stale_day_that_lost_its_sessions_keeps_no_row() {
        assert_eq!(merge_rows(vec![row(27, 1)], &[day(27)], &[]), vec![]);
    }

    #[test]
    fn features_and_clients_add_up_over_stored_and_live_days() {
        let stored = vec![FeatureCount {
            name: "debugger".into(),
            uses: 4,
            sessions: 2,
        }];
        let live = [
            live(28, 2, ("debugger", 3, 1)),
            live(29, 1, ("share", 1, 1)),
        ];
        let merged = merge_features(stored, &live);
        assert_eq!(
            merged
                .iter()
                .map(|f| (f.name.as_str(), f.uses, f.sessions))
                .collect::<Vec<_>>(),
            vec![("debugger", 7, 3), ("share", 1, 1)]
        );
        let clients = merge_clients(vec![("browser".into(), "Firefox".into(), 5)], &live);
        assert_eq!(clients, vec![("browser".into(), "Firefox".into(), 8)]);
    }
}

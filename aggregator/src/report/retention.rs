//! Retention: raw rows of sessions that started before the boundary are deleted, after any such
//! day without a rollup is rolled up, so its figures outlive its rows; the free text of older
//! summaries (error examples, feature data) expires into `(expired)` rows that keep the counts.

use chrono::{Days, NaiveDate, NaiveDateTime};

use super::{ReportSettings, Reports};
use crate::store::StoreError;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    pub days_rolled_up_first: u64,
    pub sessions: u64,
    pub program_executions: u64,
    pub feature_usage: u64,
    /// Summary rows whose free text expired (replaced by `(expired)` rows with their counts).
    pub summary_texts: u64,
}

impl PurgeOutcome {
    /// Nothing was rolled up or deleted (the integration tests check a second purge is a no-op).
    pub fn is_empty(&self) -> bool {
        *self == PurgeOutcome::default()
    }
}

/// `days` days before `today`: the first day kept.
fn days_before(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_sub_days(Days::new(days.into()))
        .unwrap_or(NaiveDate::MIN)
}

impl ReportSettings {
    /// The first day whose raw rows are kept on `today`.
    pub fn first_kept_day(&self, today: NaiveDate) -> NaiveDate {
        days_before(today, self.retention_days)
    }

    /// The first day whose summaries keep their free text on `today`.
    pub fn first_day_with_texts(&self, today: NaiveDate) -> NaiveDate {
        days_before(today, self.summary_text_retention_days)
    }
}

impl Reports {
    /// The first day whose raw rows are kept; sessions that started before it are purged.
    pub fn first_kept_day(&self) -> NaiveDate {
        self.settings.first_kept_day(self.today())
    }

    /// The first day whose summaries keep their free text (`summary_text_retention_days`).
    pub fn first_day_with_texts(&self) -> NaiveDate {
        self.settings.first_day_with_texts(self.today())
    }

    /// Deletes raw rows of sessions that started before the retention boundary, after rolling up
    /// any such day that has no rollup yet, so its figures outlive its rows; then expires the
    /// summary texts of days before the text boundary.
    pub async fn purge(&self) -> Result<PurgeOutcome, StoreError> {
        let zone = self.settings.zone;
        let first_kept = self.first_kept_day();
        // The earliest start of the first kept day in any zone in use, so that no site's first
        // kept day loses its first hours (a zone east of the report zone starts it earlier).
        let cutoff = self
            .settings
            .zones()
            .passes()
            .iter()
            .map(|p| p.zone.start_of(first_kept))
            .fold(zone.start_of(first_kept), NaiveDateTime::min);
        let mut outcome = PurgeOutcome::default();
        let mut unsummarized =
            super::rollup::local_days(zone, &self.store.days_with_sessions_before(cutoff).await?);
        for day in self.store.days_summarized_before(first_kept).await? {
            unsummarized.remove(&day);
        }
        // Every day asked: these are before the first kept day, and not rolled up yet.
        let rolled = self.rollup_days_from(unsummarized, NaiveDate::MIN).await?;
        outcome.days_rolled_up_first += rolled.rolled_up.len() as u64;
        // Children first: a session row is deleted only once nothing refers to it.
        outcome.program_executions = self.store.purge_program_executions(cutoff).await?;
        outcome.feature_usage = self.store.purge_feature_usage(cutoff).await?;
        outcome.sessions = self.store.purge_sessions(cutoff).await?;
        // After the rollups above: a day rolled up from raw rows older than the text boundary
        // (a long `retention_days`) is folded in this same purge.
        outcome.summary_texts = self
            .store
            .expire_summary_texts(self.first_day_with_texts())
            .await?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_count_back_from_today_and_stop_at_the_first_date() {
        let settings = ReportSettings {
            rollup_window_days: 3,
            retention_days: 395,
            summary_text_retention_days: 750,
            zone: Default::default(),
            site_zones: Default::default(),
        };
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert_eq!(
            settings.first_kept_day(today),
            NaiveDate::from_ymd_opt(2025, 11, 6).unwrap()
        );
        assert_eq!(
            settings.first_day_with_texts(today),
            NaiveDate::from_ymd_opt(2024, 11, 16).unwrap()
        );
        assert_eq!(
            settings.first_kept_day(NaiveDate::MIN),
            NaiveDate::MIN,
            "no panic"
        );
    }
}

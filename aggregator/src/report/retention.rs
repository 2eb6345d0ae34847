//! Retention: raw rows of sessions that started before the boundary are deleted, after any such
//! day without a rollup is rolled up, so its figures outlive its rows.

use chrono::{Days, NaiveDate};

use super::Reports;
use crate::store::{DaysBefore, StoreError};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    pub days_rolled_up_first: u64,
    pub sessions: u64,
    pub program_executions: u64,
    pub feature_usage: u64,
}

impl PurgeOutcome {
    /// Nothing was rolled up or deleted (the integration tests check a second purge is a no-op).
    pub fn is_empty(&self) -> bool {
        *self == PurgeOutcome::default()
    }
}

impl Reports {
    /// The first day whose raw rows are kept; sessions that started before it are purged.
    pub fn first_kept_day(&self) -> NaiveDate {
        self.today()
            .checked_sub_days(Days::new(self.settings.retention_days.into()))
            .unwrap_or(NaiveDate::MIN)
    }

    /// Deletes raw rows of sessions that started before the retention boundary, after rolling up
    /// any such day that has no rollup yet, so its figures outlive its rows.
    pub async fn purge(&self) -> Result<PurgeOutcome, StoreError> {
        let cutoff = self
            .first_kept_day()
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists");
        let mut outcome = PurgeOutcome::default();
        for day in self
            .store
            .days_before(DaysBefore::Unsummarized, cutoff)
            .await?
        {
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

//! The reads of the daily, features and clients reports: the stored summaries only, never the
//! raw rows, so that a read costs the same however busy the day. The summaries of today (and of
//! any day changed since its rollup) are brought up to date by `serve`'s summary refresh
//! (`jobs.rs`, every `summary_refresh_secs`); an answer gives the time of its last pass as
//! `summaries_as_of` ([`summaries_as_of`]).

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::report::dates::DateRange;
use crate::domain::report::model::{Clients, ClientsOther, DailyRow, FeatureCount};
use crate::domain::report::shape;
use crate::domain::report::site::Site;
use crate::domain::report::top::{self, Other};
use crate::store::{Store, StoreError};

/// When the summaries were last brought up to date (the start of the last refresh or rollup
/// pass, UTC): every session seen before it, less the commit lag of a batch in flight, is in
/// the figures. `None` before the first pass.
pub async fn summaries_as_of(store: &Store) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(store.rollup_mark().await?.map(|at| at.and_utc()))
}

/// What the range's reports read: the stored summaries of one site or of all sites.
#[derive(Debug, Clone, Default)]
pub struct Fresh {
    /// Days answered from the raw rows: none any more (every figure is a stored summary, see
    /// [`summaries_as_of`]); kept for the answers' `live_days` field.
    pub live_days: Vec<NaiveDate>,
    /// One site's reports, or all sites'.
    site: Option<Site>,
}

impl Fresh {
    pub async fn read(
        _store: &Store,
        _range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Fresh, StoreError> {
        Ok(Fresh {
            live_days: Vec::new(),
            site: site.cloned(),
        })
    }

    /// The range's daily rows.
    pub async fn daily_rows(
        &self,
        store: &Store,
        range: &DateRange,
    ) -> Result<Vec<DailyRow>, StoreError> {
        store.daily_rows(range, self.site.as_ref()).await
    }

    /// Feature counts of the range: the most used (at most [`top::MAX_FEATURES`] ×
    /// [`top::READ_MARGIN`]), "(other)" rows included; [`Fresh::features_top`] ranks them.
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
        store.feature_counts(range, self.site.as_ref(), limit).await
    }

    /// (dimension, value, sessions) of the range: per dimension the largest values, "(other)"
    /// rows included.
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
        store.client_counts(range, self.site.as_ref(), limit).await
    }
}

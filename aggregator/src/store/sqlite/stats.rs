//! The stats reads on SQLite: running one of their statements (the store's `stats.rs` writes
//! them once for both stores; `select` runs them) and a day's summaries computed now, the rollup's
//! way.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::select::select_on;
use super::summary::read_day;
use super::SqliteStore;
use crate::domain::report::site::Site;
use crate::domain::report::summary::DaySummary;
use crate::store::StoreError;
use crate::store::{Cell, Kind, Param, Reads};

#[async_trait]
impl Reads for SqliteStore {
    async fn select(
        &self,
        sql: String,
        params: Vec<Param>,
        columns: &'static [Kind],
    ) -> Result<Vec<Vec<Cell>>, StoreError> {
        self.other
            .run(move |conn| select_on(conn, &sql, &params, columns))
            .await
    }

    fn start_hint(&self) -> &'static str {
        ""
    }

    async fn live_days(
        &self,
        days: Vec<NaiveDate>,
        site: Option<Site>,
    ) -> Result<Vec<DaySummary>, StoreError> {
        self.other
            .run(move |conn| {
                let mut summaries = Vec::new();
                for day in days {
                    summaries.extend(read_day(conn, day, site.as_ref())?);
                }
                Ok(summaries)
            })
            .await
    }
}

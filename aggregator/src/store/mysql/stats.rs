//! SQL of the stats API and the CLI: reads of the daily summaries (which outlive retention) and
//! of the raw rows for what summaries cannot answer (recent sessions, run-time distribution).

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime};
use mysql_async::prelude::Queryable;
use mysql_async::Row;

use super::summary::read_day;
use super::MySqlStore;
use crate::domain::session::minute_of;
use crate::report::dates::DateRange;
use crate::report::model::{
    DailyRow, ErrorRuns, FeatureCount, LiveSite, ProgramTotals, RecentSession,
};
use crate::report::now;
use crate::report::site::Site;
use crate::report::summary::DaySummary;
use crate::store::{sql, Stats, StoreError};

/// `[from 00:00, day after to 00:00)`.
fn span(range: &DateRange) -> (NaiveDateTime, NaiveDateTime) {
    let start = range.from.and_hms_opt(0, 0, 0).expect("midnight exists");
    let end = range.to.and_hms_opt(0, 0, 0).expect("midnight exists") + chrono::Duration::days(1);
    (start, end)
}

fn get<T: mysql_async::prelude::FromValue>(row: &mut Row, index: usize) -> Result<T, StoreError> {
    row.take_opt(index)
        .ok_or_else(|| StoreError::Decode(format!("column {index} missing from a stats row")))?
        .map_err(|e| StoreError::Decode(format!("unexpected value in a stats row: {e}")))
}

#[async_trait]
impl Stats for MySqlStore {
    async fn daily_rows(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Vec<DailyRow>, StoreError> {
        let (summary, _, _, only_site) = sql::summary_tables(site);
        let mut conn = self.pool().get_conn().await?;
        let rows: Vec<Row> = conn
            .exec(sql::daily_rows(summary, &only_site), (range.from, range.to))
            .await?;
        rows.into_iter()
            .map(|mut r| {
                Ok(DailyRow {
                    date: get(&mut r, 0)?,
                    unique_visitors: get(&mut r, 1)?,
                    sessions: get(&mut r, 2)?,
                    programs_run: get(&mut r, 3)?,
                    lines_executed: get(&mut r, 4)?,
                    avg_duration_seconds: get(&mut r, 5)?,
                    avg_active_seconds: get(&mut r, 6)?,
                    total_duration_seconds: get(&mut r, 7)?,
                    total_active_seconds: get(&mut r, 8)?,
                    program_errors: get(&mut r, 9)?,
                    feature_uses: get(&mut r, 10)?,
                })
            })
            .collect()
    }

    async fn last_rollup(&self) -> Result<Option<NaiveDateTime>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let latest: Option<Option<NaiveDateTime>> = conn.query_first(sql::LAST_ROLLUP).await?;
        Ok(latest.flatten())
    }

    async fn recent_sessions(
        &self,
        limit: u32,
        site: Option<&Site>,
    ) -> Result<Vec<RecentSession>, StoreError> {
        let select_sql = sql::recent_sessions(site);
        let mut conn = self.pool().get_conn().await?;
        let rows: Vec<Row> = conn.exec(select_sql, (limit,)).await?;
        rows.into_iter()
            .map(|mut r| {
                let started: NaiveDateTime = get(&mut r, 0)?;
                Ok(RecentSession {
                    started: started.and_utc(),
                    ended: get::<i64>(&mut r, 1)? != 0,
                    duration_seconds: get(&mut r, 2)?,
                    active_seconds: get(&mut r, 3)?,
                    programs_run: get(&mut r, 4)?,
                    lines_executed: get(&mut r, 5)?,
                    errors: get(&mut r, 6)?,
                    browser: get(&mut r, 7)?,
                    os: get(&mut r, 8)?,
                    device: get(&mut r, 9)?,
                })
            })
            .collect()
    }

    async fn feature_counts(
        &self,
        range: &DateRange,
        except: &[NaiveDate],
        site: Option<&Site>,
    ) -> Result<Vec<FeatureCount>, StoreError> {
        let (_, features, _, only_site) = sql::summary_tables(site);
        let mut conn = self.pool().get_conn().await?;
        let rows: Vec<(String, u64, u64)> = conn
            .exec(
                format!(
                    "SELECT feature_name, CAST(SUM(uses) AS UNSIGNED), CAST(SUM(sessions) AS UNSIGNED) \
                     FROM {features} WHERE date BETWEEN ? AND ?{}{only_site} GROUP BY feature_name",
                    sql::except_dates(except)
                ),
                (range.from, range.to),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(name, uses, sessions)| FeatureCount {
                name,
                uses,
                sessions,
            })
            .collect())
    }

    async fn client_counts(
        &self,
        range: &DateRange,
        except: &[NaiveDate],
        site: Option<&Site>,
    ) -> Result<Vec<(String, String, u64)>, StoreError> {
        let (_, _, clients, only_site) = sql::summary_tables(site);
        let mut conn = self.pool().get_conn().await?;
        Ok(conn
            .exec(
                format!(
                    "SELECT dimension, value, CAST(SUM(sessions) AS UNSIGNED) FROM {clients} \
                     WHERE date BETWEEN ? AND ?{}{only_site} GROUP BY dimension, value",
                    sql::except_dates(except)
                ),
                (range.from, range.to),
            )
            .await?)
    }

    async fn live_days(
        &self,
        days: Vec<NaiveDate>,
        site: Option<Site>,
    ) -> Result<Vec<DaySummary>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let mut summaries = Vec::new();
        for day in days {
            summaries.extend(read_day(&mut conn, day, site.as_ref()).await?);
        }
        Ok(summaries)
    }

    async fn live_sites(
        &self,
        seen_since: NaiveDateTime,
        runs_5m: NaiveDateTime,
        runs_30m: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Vec<LiveSite>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let sessions: Vec<(String, u64)> = conn
            .exec(
                sql::LIVE_SESSIONS,
                (minute_of(seen_since.and_utc()), seen_since, now),
            )
            .await?;
        let rows: Vec<(String, u64, u64, u64, u64)> = conn
            .exec(sql::LIVE_RUNS, (runs_5m, runs_5m, runs_30m, now))
            .await?;
        let runs = rows
            .into_iter()
            .map(
                |(site, runs_5m, errors_5m, runs_30m, errors_30m)| LiveSite {
                    site,
                    sessions: 0,
                    runs_5m,
                    errors_5m,
                    runs_30m,
                    errors_30m,
                },
            )
            .collect();
        Ok(now::merge_sites(sessions, runs))
    }

    async fn feature_data(
        &self,
        name: &str,
        range: &DateRange,
        site: Option<&Site>,
        limit: u32,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let (start, end) = span(range);
        let mut conn = self.pool().get_conn().await?;
        Ok(conn
            .exec(sql::feature_data(site), (name, start, end, limit))
            .await?)
    }

    async fn error_runs(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Vec<ErrorRuns>, StoreError> {
        let (start, end) = span(range);
        let mut conn = self.pool().get_conn().await?;
        let rows: Vec<(String, String, u64, NaiveDateTime)> =
            conn.exec(sql::error_runs(site), (start, end)).await?;
        Ok(rows
            .into_iter()
            .map(|(message, session_id, runs, last)| ErrorRuns {
                message,
                session_id,
                runs,
                last_seen: last.and_utc(),
            })
            .collect())
    }

    async fn program_totals(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<ProgramTotals, StoreError> {
        let from_runs = sql::runs_of_sessions(site);
        let (start, end) = span(range);
        let mut conn = self.pool().get_conn().await?;
        let totals: Option<(u64, u64, u64, u64, u64, u64)> = conn
            .exec_first(
                format!(
                    "SELECT COUNT(*), CAST(COALESCE(SUM(p.success = 0), 0) AS UNSIGNED), \
                     CAST(COALESCE(SUM(p.success IS NULL), 0) AS UNSIGNED), CAST(COALESCE(SUM(p.lines_executed), 0) AS UNSIGNED), \
                     CAST(COALESCE(SUM(p.execution_time_ms), 0) AS UNSIGNED), CAST(COALESCE(MAX(p.execution_time_ms), 0) AS UNSIGNED) {from_runs}"
                ),
                (start, end),
            )
            .await?;
        let (runs, failed, unknown, lines_executed, execution_ms_total, execution_ms_max) =
            totals.unwrap_or_default();
        // Power-of-two buckets: a fixed, small result whatever the number of runs.
        let buckets: Vec<(u32, u64)> = conn
            .exec(
                format!(
                    "SELECT CAST(FLOOR(LOG2(GREATEST(COALESCE(p.execution_time_ms, 0), 1))) AS UNSIGNED) AS b, COUNT(*) \
                     {from_runs} GROUP BY b"
                ),
                (start, end),
            )
            .await?;
        Ok(ProgramTotals {
            runs,
            failed,
            unknown,
            lines_executed,
            execution_ms_total,
            execution_ms_max,
            buckets,
        })
    }
}

//! SQL of the stats API and the CLI on SQLite: the same reads as MySQL's.

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime};

use super::summary::{feature_count, read_day};
use super::time::{date_text, day_span, parse_date, parse_time, time_text};
use super::SqliteStore;
use crate::domain::session::minute_of;
use crate::report::dates::DateRange;
use crate::report::model::{
    DailyRow, ErrorRuns, FeatureCount, LiveSite, ProgramTotals, RecentSession,
};
use crate::report::now;
use crate::report::site::Site;
use crate::report::summary::DaySummary;
use crate::store::{sql, Stats, StoreError};

#[async_trait]
impl Stats for SqliteStore {
    async fn daily_rows(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Vec<DailyRow>, StoreError> {
        let (summary, _, _, only_site) = sql::summary_tables(site);
        let (from, to) = (date_text(range.from), date_text(range.to));
        self.other
            .run(move |conn| {
                let mut select = conn.prepare_cached(&sql::daily_rows(summary, &only_site))?;
                let rows = select
                    .query_map((&from, &to), |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            DailyRow {
                                date: chrono::NaiveDate::MIN,
                                unique_visitors: r.get(1)?,
                                sessions: r.get(2)?,
                                programs_run: r.get(3)?,
                                lines_executed: r.get(4)?,
                                avg_duration_seconds: r.get(5)?,
                                avg_active_seconds: r.get(6)?,
                                total_duration_seconds: r.get(7)?,
                                total_active_seconds: r.get(8)?,
                                program_errors: r.get(9)?,
                                feature_uses: r.get(10)?,
                            },
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                rows.into_iter()
                    .map(|(date, row)| {
                        Ok(DailyRow {
                            date: parse_date(&date)?,
                            ..row
                        })
                    })
                    .collect()
            })
            .await
    }

    async fn last_rollup(&self) -> Result<Option<NaiveDateTime>, StoreError> {
        self.other
            .run(|conn| {
                let latest: Option<String> = conn.query_row(sql::LAST_ROLLUP, [], |r| r.get(0))?;
                latest.as_deref().map(parse_time).transpose()
            })
            .await
    }

    async fn recent_sessions(
        &self,
        limit: u32,
        site: Option<&Site>,
    ) -> Result<Vec<RecentSession>, StoreError> {
        let select_sql = sql::recent_sessions(site);
        self.other
            .run(move |conn| {
                let mut select = conn.prepare_cached(&select_sql)?;
                let rows = select
                    .query_map([limit], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            RecentSession {
                                started: chrono::DateTime::UNIX_EPOCH,
                                ended: r.get(1)?,
                                duration_seconds: r.get(2)?,
                                active_seconds: r.get(3)?,
                                programs_run: r.get(4)?,
                                lines_executed: r.get(5)?,
                                errors: r.get(6)?,
                                browser: r.get(7)?,
                                os: r.get(8)?,
                                device: r.get(9)?,
                            },
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                rows.into_iter()
                    .map(|(started, row)| {
                        Ok(RecentSession {
                            started: parse_time(&started)?.and_utc(),
                            ..row
                        })
                    })
                    .collect()
            })
            .await
    }

    async fn feature_counts(
        &self,
        range: &DateRange,
        except: &[NaiveDate],
        site: Option<&Site>,
    ) -> Result<Vec<FeatureCount>, StoreError> {
        let (_, features, _, only_site) = sql::summary_tables(site);
        let (from, to) = (date_text(range.from), date_text(range.to));
        let sql = format!(
            "SELECT feature_name, SUM(uses), SUM(sessions) FROM {features} \
             WHERE date BETWEEN ? AND ?{}{only_site} GROUP BY feature_name",
            sql::except_dates(except)
        );
        self.other
            .run(move |conn| {
                let mut select = conn.prepare_cached(&sql)?;
                let counts = select
                    .query_map((&from, &to), feature_count)?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(counts)
            })
            .await
    }

    async fn client_counts(
        &self,
        range: &DateRange,
        except: &[NaiveDate],
        site: Option<&Site>,
    ) -> Result<Vec<(String, String, u64)>, StoreError> {
        let (_, _, clients, only_site) = sql::summary_tables(site);
        let (from, to) = (date_text(range.from), date_text(range.to));
        let sql = format!(
            "SELECT dimension, value, SUM(sessions) FROM {clients} \
             WHERE date BETWEEN ? AND ?{}{only_site} GROUP BY dimension, value",
            sql::except_dates(except)
        );
        self.other
            .run(move |conn| {
                let mut select = conn.prepare_cached(&sql)?;
                let counts = select
                    .query_map((&from, &to), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(counts)
            })
            .await
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

    async fn live_sites(
        &self,
        seen_since: NaiveDateTime,
        runs_5m: NaiveDateTime,
        runs_30m: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Vec<LiveSite>, StoreError> {
        self.other
            .run(move |conn| {
                let now = time_text(now);
                let sessions = conn
                    .prepare_cached(sql::LIVE_SESSIONS)?
                    .query_map(
                        (minute_of(seen_since.and_utc()), time_text(seen_since), &now),
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?
                    .collect::<Result<Vec<(String, u64)>, _>>()?;
                let five = time_text(runs_5m);
                let runs = conn
                    .prepare_cached(sql::LIVE_RUNS)?
                    .query_map((&five, &five, time_text(runs_30m), &now), |r| {
                        Ok(LiveSite {
                            site: r.get(0)?,
                            sessions: 0,
                            runs_5m: r.get(1)?,
                            errors_5m: r.get(2)?,
                            runs_30m: r.get(3)?,
                            errors_30m: r.get(4)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(now::merge_sites(sessions, runs))
            })
            .await
    }

    async fn feature_data(
        &self,
        name: &str,
        range: &DateRange,
        site: Option<&Site>,
        limit: u32,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let (start, end) = day_span(range.from, range.to);
        let (sql, name) = (sql::feature_data(site), name.to_string());
        self.other
            .run(move |conn| {
                let rows = conn
                    .prepare_cached(&sql)?
                    .query_map((&name, &start, &end, limit), |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn error_runs(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Vec<ErrorRuns>, StoreError> {
        let (start, end) = day_span(range.from, range.to);
        let sql = sql::error_runs(site);
        self.other
            .run(move |conn| {
                let rows = conn
                    .prepare_cached(&sql)?
                    .query_map((&start, &end), |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
                    })?
                    .collect::<Result<Vec<(String, String, u64, String)>, _>>()?;
                rows.into_iter()
                    .map(|(message, session_id, runs, last)| {
                        Ok(ErrorRuns {
                            message,
                            session_id,
                            runs,
                            last_seen: parse_time(&last)?.and_utc(),
                        })
                    })
                    .collect()
            })
            .await
    }

    async fn program_totals(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<ProgramTotals, StoreError> {
        let from_runs = sql::runs_of_sessions(site);
        let (start, end) = day_span(range.from, range.to);
        self.other
            .run(move |conn| {
                let totals = conn.query_row(
                    &format!(
                        "SELECT COUNT(*), COALESCE(SUM(p.success = 0), 0), COALESCE(SUM(p.success IS NULL), 0), \
                         COALESCE(SUM(p.lines_executed), 0), COALESCE(SUM(p.execution_time_ms), 0), \
                         COALESCE(MAX(p.execution_time_ms), 0) {from_runs}"
                    ),
                    (&start, &end),
                    |r| {
                        Ok(ProgramTotals {
                            runs: r.get(0)?,
                            failed: r.get(1)?,
                            unknown: r.get(2)?,
                            lines_executed: r.get(3)?,
                            execution_ms_total: r.get(4)?,
                            execution_ms_max: r.get(5)?,
                            buckets: Vec::new(),
                        })
                    },
                )?;
                // Power-of-two buckets, as on MySQL; SQLite has no LOG2 without its math
                // extension, so the distinct run times are bucketed here.
                let mut select = conn.prepare(&format!(
                    "SELECT COALESCE(p.execution_time_ms, 0), COUNT(*) {from_runs} GROUP BY 1"
                ))?;
                let times = select
                    .query_map((&start, &end), |r| Ok((r.get::<_, u64>(0)?, r.get::<_, u64>(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(ProgramTotals {
                    buckets: buckets(&times),
                    ..totals
                })
            })
            .await
    }
}

/// (floor(log2(max(ms, 1))), runs) per bucket, in bucket order.
fn buckets(times: &[(u64, u64)]) -> Vec<(u32, u64)> {
    let mut by_bucket = std::collections::BTreeMap::new();
    for &(ms, runs) in times {
        *by_bucket.entry(ms.max(1).ilog2()).or_insert(0) += runs;
    }
    by_bucket.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::buckets;

    #[test]
    fn run_times_fall_in_power_of_two_buckets() {
        // 0 and 1 ms share bucket 0; 2-3 ms bucket 1; 1000 ms bucket 9 (512..1023).
        let times = [(0, 2), (1, 1), (3, 4), (2, 1), (1000, 5)];
        assert_eq!(buckets(&times), vec![(0, 3), (1, 5), (9, 5)]);
    }
}

//! The reads of the stats API and the CLI, written once for both stores: which statement
//! ([`super::sql`]), with which parameters, and how its rows become report rows. A store only
//! runs a statement, handing its columns back as the reader says they are, and computes a day's
//! summaries the rollup's way ([`super::Reads`], in `reads.rs`).

use chrono::{NaiveDate, NaiveDateTime};

use super::reads::{Cells, Kind, Param};
use super::sql::events::DayRead;
use super::{sql, Store, StoreError};
use crate::domain::report::dates::DateRange;
use crate::domain::report::errors::ErrorTally;
use crate::domain::report::model::{
    DailyRow, FeatureCount, LiveSite, ProgramTotals, RecentSession,
};
use crate::domain::report::site::Site;
use crate::domain::report::summary::day_events::DayEvents;
use crate::domain::session::minute_of;

fn days(range: &DateRange) -> Vec<Param> {
    vec![Param::Date(range.from), Param::Date(range.to)]
}

/// Reads of the stats API and the CLI: the daily summaries (which outlive retention), and the raw
/// rows for what summaries cannot answer (recent sessions, live figures, days not rolled up). Each reads
/// its row's columns in the statement's order (a struct's fields are evaluated as written).
impl Store {
    /// Runs a statement and makes each row a `T` by `each`.
    async fn read<T>(
        &self,
        sql: String,
        params: Vec<Param>,
        columns: &'static [Kind],
        each: impl Fn(&mut Cells) -> Result<T, StoreError> + Send,
    ) -> Result<Vec<T>, StoreError> {
        let rows = self.select(sql, params, columns).await?;
        rows.into_iter()
            .map(|row| each(&mut Cells(row.into_iter())))
            .collect()
    }

    /// The stored summaries of the range, of all sites or of one (`daily_site_usage`).
    pub async fn daily_rows(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Vec<DailyRow>, StoreError> {
        use Kind::{Date, U64};
        let (summary, _, _, only_site) = sql::summary_tables(site);
        let columns = &[Date, U64, U64, U64, U64, U64, U64, U64, U64, U64, U64];
        self.read(
            sql::daily_rows(summary, &only_site),
            days(range),
            columns,
            |r| {
                Ok(DailyRow {
                    date: r.date()?,
                    unique_visitors: r.u64()?,
                    sessions: r.u64()?,
                    programs_run: r.u64()?,
                    lines_executed: r.u64()?,
                    avg_duration_seconds: r.u64()?,
                    avg_active_seconds: r.u64()?,
                    total_duration_seconds: r.u64()?,
                    total_active_seconds: r.u64()?,
                    program_errors: r.u64()?,
                    feature_uses: r.u64()?,
                })
            },
        )
        .await
    }

    /// When the rollup last recomputed any day (UTC): how fresh the summaries are.
    pub async fn last_rollup(&self) -> Result<Option<NaiveDateTime>, StoreError> {
        let latest = self
            .read(
                sql::LAST_ROLLUP.into(),
                vec![],
                &[Kind::OptTime],
                Cells::opt_time,
            )
            .await?;
        Ok(latest.into_iter().next().flatten())
    }

    /// The latest sessions by start, newest first.
    pub async fn recent_sessions(
        &self,
        limit: u32,
        site: Option<&Site>,
    ) -> Result<Vec<RecentSession>, StoreError> {
        use Kind::{Bool, OptText, OptU64, Time, U64};
        let columns = &[
            Time, Bool, OptU64, OptU64, U64, U64, U64, OptText, OptText, OptText,
        ];
        let limit = vec![Param::Int(limit.into())];
        self.read(sql::recent_sessions(site), limit, columns, |r| {
            Ok(RecentSession {
                started: r.time()?.and_utc(),
                ended: r.bool()?,
                duration_seconds: r.opt_u64()?,
                active_seconds: r.opt_u64()?,
                programs_run: r.u64()?,
                lines_executed: r.u64()?,
                errors: r.u64()?,
                browser: r.opt_text()?,
                os: r.opt_text()?,
                device: r.opt_text()?,
            })
        })
        .await
    }

    /// Feature counts over the stored summaries of the range's days, except `except`.
    pub async fn feature_counts(
        &self,
        range: &DateRange,
        except: &[NaiveDate],
        site: Option<&Site>,
    ) -> Result<Vec<FeatureCount>, StoreError> {
        let statement = sql::feature_counts(site, except);
        let columns = &[Kind::Text, Kind::U64, Kind::U64];
        self.read(statement, days(range), columns, |r| {
            Ok(FeatureCount {
                name: r.text()?,
                uses: r.u64()?,
                sessions: r.u64()?,
            })
        })
        .await
    }

    /// (dimension, value, sessions) over the stored summaries of the range's days, except
    /// `except`.
    pub async fn client_counts(
        &self,
        range: &DateRange,
        except: &[NaiveDate],
        site: Option<&Site>,
    ) -> Result<Vec<(String, String, u64)>, StoreError> {
        let statement = sql::client_counts(site, except);
        let columns = &[Kind::Text, Kind::Text, Kind::U64];
        self.read(statement, days(range), columns, |r| {
            Ok((r.text()?, r.text()?, r.u64()?))
        })
        .await
    }

    /// Per site: open sessions seen from `seen_since` to `now`, program runs and failed runs from
    /// `runs_5m` and from `runs_30m` to `now` (raw rows, recent times: indexed reads). Rows stamped
    /// after `now` (another replica's clock ahead of this one's) are not counted.
    pub async fn live_sites(
        &self,
        seen_since: NaiveDateTime,
        runs_5m: NaiveDateTime,
        runs_30m: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<Vec<LiveSite>, StoreError> {
        use Kind::{Text, U64};
        let seen = vec![
            Param::Int(minute_of(seen_since.and_utc())),
            Param::Time(seen_since),
            Param::Time(now),
        ];
        let sessions = self
            .read(sql::LIVE_SESSIONS.into(), seen, &[Text, U64], |r| {
                Ok((r.text()?, r.u64()?))
            })
            .await?;
        let cutoffs = [runs_5m, runs_5m, runs_30m, now].map(Param::Time).to_vec();
        let runs = self
            .read(
                sql::LIVE_RUNS.into(),
                cutoffs,
                &[Text, U64, U64, U64, U64],
                |r| {
                    Ok(LiveSite {
                        site: r.text()?,
                        sessions: 0,
                        runs_5m: r.u64()?,
                        errors_5m: r.u64()?,
                        runs_30m: r.u64()?,
                        errors_30m: r.u64()?,
                    })
                },
            )
            .await?;
        Ok(LiveSite::merge(sessions, runs))
    }

    /// The day summaries (V8) of one `read` of each of `days`, computed from the raw rows now with
    /// the rollup's reads ([`sql::events`]).
    pub async fn day_events(
        &self,
        days: &[NaiveDate],
        site: Option<&Site>,
        read: DayRead<'_>,
    ) -> Result<Vec<DayEvents>, StoreError> {
        let statement = read.read(site, self.start_hint());
        let mut out = Vec::with_capacity(days.len());
        for &day in days {
            let rows = self
                .select(statement.sql.clone(), read.params(day), statement.columns)
                .await?;
            let mut events = DayEvents::default();
            read.add_to(&mut events, rows)?;
            out.push(events);
        }
        Ok(out)
    }

    /// Program runs over the stored summaries of the range's days, except `except`.
    pub async fn stored_programs(
        &self,
        range: &DateRange,
        except: &[NaiveDate],
        site: Option<&Site>,
    ) -> Result<ProgramTotals, StoreError> {
        use Kind::U64;
        let statement = sql::events::stored_programs(except, site);
        let totals = self
            .read(statement, days(range), &[U64; 6], |r| {
                Ok(ProgramTotals {
                    runs: r.u64()?,
                    failed: r.u64()?,
                    unknown: r.u64()?,
                    lines_executed: r.u64()?,
                    execution_ms_total: r.u64()?,
                    execution_ms_max: r.u64()?,
                    buckets: Vec::new(),
                })
            })
            .await?
            .pop()
            .unwrap_or_default();
        let statement = sql::events::stored_run_times(except, site);
        let buckets = self
            .read(statement, days(range), &[U64, U64], |r| {
                Ok((u32::try_from(r.u64()?).unwrap_or(u32::MAX), r.u64()?))
            })
            .await?;
        Ok(ProgramTotals { buckets, ..totals })
    }

    /// Error tallies stored for the range's days, except `except` (one per day, site and group).
    pub async fn stored_errors(
        &self,
        range: &DateRange,
        except: &[NaiveDate],
        site: Option<&Site>,
    ) -> Result<Vec<ErrorTally>, StoreError> {
        use Kind::{Text, Time, U64};
        let statement = sql::events::stored_errors(except, site);
        let columns = &[Text, U64, U64, Time, Text];
        self.read(statement, days(range), columns, sql::events::error_tally)
            .await
    }

    /// One feature's (data text, events) over the stored summaries of the range's days, except
    /// `except`, one row per distinct text.
    pub async fn stored_feature_data(
        &self,
        name: &str,
        range: &DateRange,
        except: &[NaiveDate],
        site: Option<&Site>,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let statement = sql::events::stored_feature_data(except, site);
        let mut params = vec![Param::Text(name.into())];
        params.extend(days(range));
        self.read(statement, params, &[Kind::Text, Kind::U64], |r| {
            Ok((r.text()?, r.u64()?))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Cell;

    #[test]
    fn cells_are_read_in_order_and_by_kind() {
        let at = NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_milli_opt(12, 0, 5, 123)
            .unwrap();
        let mut r = Cells(vec![Cell::Time(at), Cell::OptTime(None), Cell::U64(7)].into_iter());
        assert_eq!(r.time().unwrap(), at);
        assert_eq!(r.opt_time().unwrap(), None);
        assert!(r.text().is_err(), "a number is no text");
        assert!(r.u64().is_err(), "past the last column");
    }
}

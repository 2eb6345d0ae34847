//! The reads of the stats API and the CLI, written once for both stores: which statement
//! ([`super::sql`]), with which parameters, and how its rows become report rows. A store only
//! runs a statement, handing its columns back as the reader says they are ([`super::Reads`], in
//! `reads.rs`). Range reports read the stored summaries only (see `report::live`).

use chrono::{NaiveDate, NaiveDateTime};

use super::reads::{Cells, Kind, Param};
use super::{sql, Store, StoreError};
use crate::domain::report::dates::DateRange;
use crate::domain::report::errors::ErrorTally;
use crate::domain::report::hourly::HourRow;
use crate::domain::report::model::{DailyRow, FeatureCount, ProgramTotals, RecentSession};
use crate::domain::report::site::Site;

fn days(range: &DateRange) -> Vec<Param> {
    vec![Param::Date(range.from), Param::Date(range.to)]
}

/// Reads of the stats API and the CLI: the daily summaries (which outlive retention), and the raw
/// rows for what summaries cannot answer (recent sessions, live figures), bounded. Each reads
/// its row's columns in the statement's order (a struct's fields are evaluated as written).
impl Store {
    /// Runs a statement and makes each row a `T` by `each`.
    pub(super) async fn read<T>(
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

    /// The stored hourly summaries of the range, per site (of one site, or every site's).
    pub async fn hour_rows(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Vec<HourRow>, StoreError> {
        use Kind::{Date, U64};
        let columns = &[Date, U64, U64, U64, U64, U64, U64, U64, U64];
        self.read(sql::hour_rows(site), days(range), columns, |r| {
            Ok(HourRow {
                date: r.date()?,
                hour: u8::try_from(r.u64()?).unwrap_or(u8::MAX),
                sessions: r.u64()?,
                unique_visitors: r.u64()?,
                programs_run: r.u64()?,
                program_errors: r.u64()?,
                lines_executed: r.u64()?,
                total_duration_seconds: r.u64()?,
                total_active_seconds: r.u64()?,
            })
        })
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

    /// The `limit` most used features over the stored summaries of the range's days (the
    /// "(other)" rows left out), and the stored uses of every feature.
    pub async fn feature_counts(
        &self,
        range: &DateRange,
        site: Option<&Site>,
        limit: usize,
    ) -> Result<(Vec<FeatureCount>, u64), StoreError> {
        let statement = sql::bounded::feature_counts_top(site);
        let columns = &[Kind::Text, Kind::U64, Kind::U64, Kind::U64];
        let mut params = days(range);
        params.push(Param::Int(limit as i64));
        let rows = self
            .read(statement, params, columns, |r| {
                let count = FeatureCount {
                    name: r.text()?,
                    uses: r.u64()?,
                    sessions: r.u64()?,
                };
                Ok((count, r.u64()?))
            })
            .await?;
        let total = sql::bounded::feature_uses_total(site);
        self.listed_and_total(rows, total, days(range)).await
    }

    /// Per dimension, its `limit` largest (dimension, value, sessions) over the stored summaries
    /// of the range's days, and per dimension its stored sessions.
    pub async fn client_counts(
        &self,
        range: &DateRange,
        site: Option<&Site>,
        limit: usize,
    ) -> Result<(Vec<(String, String, u64)>, Vec<(String, u64)>), StoreError> {
        let statement = sql::bounded::client_counts_top(site, limit);
        let columns = &[Kind::Text, Kind::Text, Kind::U64, Kind::U64];
        let rows = self
            .read(statement, days(range), columns, |r| {
                Ok((r.text()?, r.text()?, r.u64()?, r.u64()?))
            })
            .await?;
        let mut totals: Vec<(String, u64)> = Vec::new();
        for (dimension, _, _, total) in &rows {
            if !totals.iter().any(|(d, _)| d == dimension) {
                totals.push((dimension.clone(), *total));
            }
        }
        let top = rows.into_iter().map(|(d, v, n, _)| (d, v, n)).collect();
        Ok((top, totals))
    }

    /// The site ids the summaries know and those of sessions started since `day`.
    pub async fn known_sites(&self, day: NaiveDate) -> Result<Vec<String>, StoreError> {
        let since = vec![Param::Time(
            day.and_hms_opt(0, 0, 0).expect("midnight exists"),
        )];
        self.read(sql::KNOWN_SITES.into(), since, &[Kind::Text], Cells::text)
            .await
    }

    /// The single number a statement reads (a total).
    pub(super) async fn one_number(
        &self,
        sql: String,
        params: Vec<Param>,
    ) -> Result<u64, StoreError> {
        let rows = self.read(sql, params, &[Kind::U64], Cells::u64).await?;
        Ok(rows.into_iter().next().unwrap_or(0))
    }

    /// Program runs over the stored summaries of the range's days.
    pub async fn stored_programs(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<ProgramTotals, StoreError> {
        use Kind::U64;
        let statement = sql::events::stored_programs(site);
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
        let statement = sql::events::stored_run_times(site);
        let buckets = self
            .read(statement, days(range), &[U64, U64], |r| {
                Ok((u32::try_from(r.u64()?).unwrap_or(u32::MAX), r.u64()?))
            })
            .await?;
        Ok(ProgramTotals { buckets, ..totals })
    }

    /// The `limit` most frequent error groups stored for the range's days, added up over days
    /// and sites, and the stored failed runs of every group.
    pub async fn stored_errors(
        &self,
        range: &DateRange,
        site: Option<&Site>,
        limit: usize,
    ) -> Result<(Vec<ErrorTally>, u64), StoreError> {
        use Kind::{Text, Time, U64};
        let from = self.ranked_from(range, "daily_site_errors", "idx_errors_rank");
        let statement = sql::bounded::stored_errors_top(site, &from);
        let columns = &[Text, U64, U64, Time, Text, U64];
        let mut params = [days(range), days(range), days(range)].concat();
        params.push(Param::Int(limit as i64));
        let rows = self
            .read(statement, params, columns, |r| {
                Ok((sql::events::error_tally(r)?, r.u64()?))
            })
            .await?;
        let total = sql::bounded::stored_failed_runs(site);
        self.listed_and_total(rows, total, days(range)).await
    }

    /// One feature's `limit` most frequent (data text, events) over the stored summaries of the
    /// range's days, and the feature's stored events with data.
    pub async fn stored_feature_data(
        &self,
        name: &str,
        range: &DateRange,
        site: Option<&Site>,
        limit: usize,
    ) -> Result<(Vec<(String, u64)>, u64), StoreError> {
        use Kind::{Text, U64};
        let mut params = vec![Param::Text(name.into())];
        params.extend(days(range));
        let total_params = params.clone();
        params.push(Param::Int(limit as i64));
        let from = self.ranked_from(range, "daily_site_feature_data", "idx_feature_data_rank");
        let statement = sql::bounded::feature_data_top(site, &from);
        let rows = self
            .read(statement, params, &[Text, U64, U64], |r| {
                Ok(((r.text()?, r.u64()?), r.u64()?))
            })
            .await?;
        let total = sql::bounded::feature_data_total(site);
        self.listed_and_total(rows, total, total_params).await
    }

    /// A ranking read's rows, each carrying the range's total last (`sql::bounded`), as the
    /// listed items and that total; a read that lists nothing carries none, so `total_sql`
    /// (with `total_params`) reads it.
    async fn listed_and_total<T>(
        &self,
        rows: Vec<(T, u64)>,
        total_sql: String,
        total_params: Vec<Param>,
    ) -> Result<(Vec<T>, u64), StoreError> {
        let total = match rows.first() {
            Some((_, total)) => *total,
            None => self.one_number(total_sql, total_params).await?,
        };
        Ok((rows.into_iter().map(|(item, _)| item).collect(), total))
    }

    /// `table` as a ranking read over `range` names it: through the covering `index` (keyed by
    /// what the read groups on) for ranges of more than [`RANKED_BY_KEY_DAYS`] days, where a
    /// year read by day cost 3-6 times as much (see `sql::bounded::feature_data_top`); plain for
    /// shorter ones, so that a week's read stays a range of its days (the index, keyed by group,
    /// would be read whole: every day ever kept).
    fn ranked_from(&self, range: &DateRange, table: &str, index: &str) -> String {
        if range.len() > RANKED_BY_KEY_DAYS {
            self.indexed(table, index)
        } else {
            table.to_string()
        }
    }
}

/// Ranges longer than this are ranked through their covering index ([`Store::ranked_from`]).
const RANKED_BY_KEY_DAYS: u64 = 31;

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

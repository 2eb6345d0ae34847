//! The SQL of the V8 summaries, written once for both stores: a day's three grouped reads of its
//! runs, failed runs and feature data per site (the rollup runs them in its transaction, the
//! stats routes for the days the rollup has not seen yet), how their rows become a
//! [`DayEvents`], the rows the rollup writes, and the routes' reads of the stored rows.

use chrono::NaiveDate;

use super::bounded::key_of;
use super::rollup::{Cell, TableRows};
use crate::domain::report::errors::ErrorTally;
use crate::domain::report::site::Site;
use crate::domain::report::summary::day_events::{DayEvents, RunTimeRow};
use crate::domain::report::top::{self, OTHER_KEY};
use crate::domain::zone::ReportDay;
use crate::store::reads::{Cells, Kind, Param};
use crate::store::StoreError;

/// The V8 tables, all of whose rows of a day a rollup replaces.
pub const EVENT_TABLES: [&str; 4] = [
    "daily_site_programs",
    "daily_site_run_times",
    "daily_site_errors",
    "daily_site_feature_data",
];

/// One statement and the kinds of its columns.
#[derive(Debug, Clone)]
pub struct Read {
    pub sql: String,
    pub columns: &'static [Kind],
}

/// Which of a day's reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRead<'a> {
    Runs,
    Errors,
    /// Of every feature, or of one.
    FeatureData(Option<&'a str>),
}

/// The join of a day's events with their sessions (`[?, ?)` of session start), of the sites
/// `sites` (a clause on `s.site_id`, or nothing for all) narrows to; `hint` follows the
/// sessions' table name (`rollup::MYSQL_BY_START` or nothing).
fn of_sessions(events: &str, sites: &str, hint: &str) -> String {
    format!(
        "FROM {events} JOIN ide_sessions s{hint} ON s.session_id = e.session_id \
         WHERE s.start_time >= ? AND s.start_time < ?{sites}"
    )
}

impl DayRead<'_> {
    /// The statement, of one site or all; parameters: `[start, end)` of the day
    /// ([`DayRead::params`]).
    pub fn read(self, site: Option<&Site>, hint: &str) -> Read {
        self.read_in(&Site::clause(site, "s.site_id"), hint)
    }

    /// As [`DayRead::read`], of the sites `sites` (a clause on `s.site_id`: a rollup pass's
    /// `SiteScope::read_clause`) narrows to.
    pub fn read_in(self, sites: &str, hint: &str) -> Read {
        use Kind::{Text, Time, U64};
        match self {
            // Grouped by run time, not bucket: SQLite has no LOG2 without its math extension,
            // and a day's distinct run times are few (milliseconds of BASIC programs).
            DayRead::Runs => Read {
                sql: format!(
                    "SELECT s.site_id, COALESCE(e.execution_time_ms, 0), COUNT(*), \
                     CAST(COALESCE(SUM(e.success = 0), 0) AS UNSIGNED), \
                     CAST(COALESCE(SUM(e.success IS NULL), 0) AS UNSIGNED), \
                     CAST(COALESCE(SUM(e.lines_executed), 0) AS UNSIGNED) {} \
                     GROUP BY s.site_id, COALESCE(e.execution_time_ms, 0)",
                    of_sessions("program_executions e", sites, hint)
                ),
                columns: &[Text, U64, U64, U64, U64, U64],
            },
            DayRead::Errors => Read {
                sql: super::bounded::day_errors(
                    &of_sessions("program_executions e", sites, hint),
                    !hint.is_empty(),
                ),
                columns: &[Text, U64, Text, U64, U64, Time, Text],
            },
            // Per site and feature, its most frequent texts and one remainder row.
            DayRead::FeatureData(name) => Read {
                sql: format!(
                    "WITH t AS (SELECT s.site_id AS site, e.feature_name AS name, \
                     CAST(e.feature_data AS CHAR) AS txt, COUNT(*) AS events {}{} \
                     AND e.feature_data IS NOT NULL \
                     GROUP BY s.site_id, e.feature_name, CAST(e.feature_data AS CHAR)), \
                     r AS (SELECT site, name, txt, events, ROW_NUMBER() OVER \
                     (PARTITION BY site, name ORDER BY events DESC, txt) AS n FROM t) \
                     SELECT site, name, txt, events FROM r WHERE n <= {cap} \
                     UNION ALL SELECT site, name, '{other}', CAST(SUM(events) AS UNSIGNED) \
                     FROM r WHERE n > {cap} GROUP BY site, name",
                    of_sessions("feature_usage e", sites, hint),
                    if name.is_some() {
                        " AND e.feature_name = ?"
                    } else {
                        ""
                    },
                    cap = top::DATA_TEXTS_PER_DAY,
                    other = top::OTHER,
                ),
                columns: &[Text, Text, Text, U64],
            },
        }
    }

    /// `[start, end)` of `day` (its UTC bounds), and the feature's name if one.
    pub fn params(self, day: &ReportDay) -> Vec<Param> {
        let mut params = vec![Param::Time(day.start), Param::Time(day.end)];
        if let DayRead::FeatureData(Some(name)) = self {
            params.push(Param::Text(name.to_string()));
        }
        params
    }

    /// Adds the read's rows to `day`.
    pub fn add_to(
        self,
        day: &mut DayEvents,
        rows: Vec<Vec<crate::store::Cell>>,
    ) -> Result<(), StoreError> {
        for row in rows {
            let r = &mut Cells(row.into_iter());
            match self {
                DayRead::Runs => {
                    let site = r.text()?;
                    let row = RunTimeRow {
                        execution_ms: r.u64()?,
                        runs: r.u64()?,
                        failed: r.u64()?,
                        unknown: r.u64()?,
                        lines_executed: r.u64()?,
                    };
                    day.add_runs(&site, row);
                }
                DayRead::Errors => {
                    let site = r.text()?;
                    let remainder = r.u64()? == 1;
                    let tally = error_tally_of_day(r)?;
                    day.add_error_tally(&site, tally, remainder);
                }
                DayRead::FeatureData(_) => {
                    day.add_feature_data(&r.text()?, r.text()?, r.text()?, r.u64()?)
                }
            }
        }
        day.cap();
        Ok(())
    }
}

/// The reads of a rolled-up day: all of them, of every feature.
pub const ROLLUP_READS: [DayRead<'static>; 3] =
    [DayRead::Runs, DayRead::Errors, DayRead::FeatureData(None)];

/// The columns of `daily_site_errors`, its key first (date, site, group key).
pub const ERROR_COLUMNS: &[&str] = &[
    "date",
    "site_id",
    "group_key",
    "error_group",
    "runs",
    "sessions",
    "last_seen",
    "example",
];

/// The columns of `daily_site_feature_data`, its key first (date, site, name, data key).
pub const FEATURE_DATA_COLUMNS: &[&str] = &[
    "date",
    "site_id",
    "feature_name",
    "data_key",
    "feature_data",
    "events",
];

/// The rows of the V8 tables for one day, in [`EVENT_TABLES`] order. Nothing for a day without
/// runs or events: the rollup's delete of the day's rows before leaves none.
pub fn event_rows(date: NaiveDate, day: &DayEvents) -> Vec<TableRows> {
    let key = |site: &str| vec![Cell::Date(date), Cell::Text(site.to_string())];
    let mut programs = Vec::new();
    let mut run_times = Vec::new();
    for (site, t) in &day.programs {
        let mut row = key(site);
        row.extend(
            [
                t.runs,
                t.failed,
                t.unknown,
                t.lines_executed,
                t.execution_ms_total,
                t.execution_ms_max,
            ]
            .map(Cell::Number),
        );
        programs.push(row);
        for &(bucket, runs) in &t.buckets {
            let mut row = key(site);
            row.extend([Cell::Number(bucket.into()), Cell::Number(runs)]);
            run_times.push(row);
        }
    }
    let mut errors = Vec::new();
    let remainders = day
        .errors_other
        .iter()
        .map(|(site, t)| (site, t, OTHER_KEY.to_string()));
    let tallies = day
        .errors
        .iter()
        .flat_map(|(site, ts)| ts.iter().map(move |t| (site, t, key_of(&t.group))));
    for (site, t, group_key) in tallies.chain(remainders) {
        {
            let mut row = key(site);
            row.extend([
                Cell::Text(group_key),
                Cell::Text(t.group.clone()),
                Cell::Number(t.runs),
                Cell::Number(t.sessions),
                Cell::Time(t.last_seen.naive_utc()),
                Cell::Text(t.example.clone()),
            ]);
            errors.push(row);
        }
    }
    let mut data = Vec::new();
    for ((site, name), texts) in &day.feature_data {
        for (text, events) in texts {
            let mut row = key(site);
            row.extend([
                Cell::Text(name.clone()),
                Cell::Text(key_of(text)),
                Cell::Text(text.clone()),
                Cell::Number(*events),
            ]);
            data.push(row);
        }
    }
    let table = |i: usize, columns, key, rows| TableRows::new(EVENT_TABLES[i], columns, key, rows);
    vec![
        table(
            0,
            &[
                "date",
                "site_id",
                "runs",
                "failed",
                "unknown",
                "lines_executed",
                "execution_ms_total",
                "execution_ms_max",
            ],
            2,
            programs,
        ),
        table(1, &["date", "site_id", "bucket", "runs"], 3, run_times),
        table(2, ERROR_COLUMNS, 3, errors),
        table(3, FEATURE_DATA_COLUMNS, 4, data),
    ]
}

/// The stored runs of a range of days (`BETWEEN ? AND ?`), of one site or all:
/// runs, failed, unknown, lines, run time total and longest. (The casts turn MySQL's DECIMAL sums
/// into integers.)
pub fn stored_programs(site: Option<&Site>) -> String {
    format!(
        "SELECT CAST(COALESCE(SUM(runs), 0) AS UNSIGNED), CAST(COALESCE(SUM(failed), 0) AS UNSIGNED), \
         CAST(COALESCE(SUM(unknown), 0) AS UNSIGNED), CAST(COALESCE(SUM(lines_executed), 0) AS UNSIGNED), \
         CAST(COALESCE(SUM(execution_ms_total), 0) AS UNSIGNED), COALESCE(MAX(execution_ms_max), 0) \
         FROM daily_site_programs WHERE {}",
        super::bounded::stored(site)
    )
}

/// As [`stored_programs`]: runs per bucket, in bucket order.
pub fn stored_run_times(site: Option<&Site>) -> String {
    format!(
        "SELECT bucket, CAST(SUM(runs) AS UNSIGNED) FROM daily_site_run_times WHERE {} \
         GROUP BY bucket ORDER BY bucket",
        super::bounded::stored(site)
    )
}

/// An error tally as the day's read gives it (after its site and remainder flag): the example
/// cut to [`EXAMPLE_CHARS`](crate::domain::report::errors::EXAMPLE_CHARS) here, where Rust counts
/// characters the same way on both stores.
fn error_tally_of_day(r: &mut Cells) -> Result<ErrorTally, StoreError> {
    let mut t = error_tally(r)?;
    t.example = t
        .example
        .chars()
        .take(crate::domain::report::errors::EXAMPLE_CHARS)
        .collect();
    Ok(t)
}

/// An error tally as the stored errors' read (`bounded::stored_errors_top`) gives it.
pub fn error_tally(r: &mut Cells) -> Result<ErrorTally, StoreError> {
    Ok(ErrorTally {
        group: r.text()?,
        runs: r.u64()?,
        sessions: r.u64()?,
        last_seen: r.time()?.and_utc(),
        example: r.text()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::model::ErrorRuns;
    use chrono::NaiveDateTime;

    fn at(date: NaiveDate) -> NaiveDateTime {
        date.and_hms_opt(12, 0, 0).expect("valid")
    }

    #[test]
    fn a_day_fills_each_table_with_its_key_first_and_long_texts_keyed_by_hash() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let mut day = DayEvents::default();
        day.add_runs(
            "ide",
            RunTimeRow {
                execution_ms: 5,
                runs: 2,
                ..RunTimeRow::default()
            },
        );
        day.set_errors(vec![(
            "ide".into(),
            ErrorRuns {
                message: "?OUT OF DATA IN 10".into(),
                session_id: "s".into(),
                runs: 2,
                last_seen: at(date).and_utc(),
            },
        )]);
        day.add_feature_data("ide", "save".into(), "x".repeat(5000), 1);
        let tables = event_rows(date, &day);
        let shape: Vec<(&str, usize, usize)> = tables
            .iter()
            .map(|t| (t.table, t.key, t.rows.len()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("daily_site_programs", 2, 1),
                ("daily_site_run_times", 3, 1),
                ("daily_site_errors", 3, 1),
                ("daily_site_feature_data", 4, 1),
            ]
        );
        assert!(tables
            .iter()
            .all(|t| t.rows.iter().all(|r| r.len() == t.columns.len())));
        assert_eq!(tables[1].rows[0][2], Cell::Number(2), "bucket of 5 ms");
        assert!(matches!(&tables[3].rows[0][3], Cell::Text(k) if k.len() == 64));
        assert!(event_rows(date, &DayEvents::default())
            .iter()
            .all(|t| t.rows.is_empty()));
    }

    #[test]
    fn a_named_feature_read_takes_its_name_after_the_day() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let read = DayRead::FeatureData(Some("save"));
        assert!(read.read(None, "").sql.contains("AND e.feature_name = ?"));
        let day = crate::domain::zone::ReportZone::UTC.day(day);
        assert_eq!(read.params(&day)[2], Param::Text("save".into()));
        assert_eq!(DayRead::Runs.params(&day).len(), 2);
    }
}

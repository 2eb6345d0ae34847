//! One day's summaries on SQLite: the aggregates read from the raw rows (the rollup and the live
//! answer for days not rolled up yet share this reader) and their replacement in the report
//! tables. The arithmetic is `report::summary`'s.

use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::Connection;

use super::time::{date_text, day_span, time_text};
use crate::report::model::FeatureCount;
use crate::report::summary::{self, ClientGroup, DaySummary, DayTally};
use crate::store::{sql, StoreError};

/// The summaries of `day` computed from its sessions now; `None` for a day without sessions.
pub fn read_day(conn: &Connection, day: NaiveDate) -> Result<Option<DaySummary>, StoreError> {
    let (start, end) = day_span(day, day);
    let tally = conn.prepare_cached(
        "SELECT COUNT(*), COUNT(DISTINCT visitor_hash), COALESCE(SUM(visitor_hash IS NULL), 0), \
         COALESCE(SUM(programs_run), 0), COALESCE(SUM(lines_executed), 0), \
         COALESCE(SUM(duration_seconds), 0), COUNT(duration_seconds), \
         COALESCE(SUM(active_seconds), 0), COUNT(active_seconds), COALESCE(SUM(errors_encountered), 0) \
         FROM ide_sessions WHERE start_time >= ? AND start_time < ?",
    )?
    .query_row((&start, &end), |r| {
        Ok(DayTally {
            sessions: r.get(0)?,
            distinct_hashes: r.get(1)?,
            sessions_without_hash: r.get(2)?,
            programs_run: r.get(3)?,
            lines_executed: r.get(4)?,
            duration_sum: r.get(5)?,
            durations_known: r.get(6)?,
            active_sum: r.get(7)?,
            actives_known: r.get(8)?,
            program_errors: r.get(9)?,
        })
    })?;
    if tally.sessions == 0 {
        return Ok(None);
    }
    let features = conn
        .prepare_cached(sql::DAY_FEATURES)?
        .query_map((&start, &end), |r| {
            Ok(FeatureCount {
                name: r.get(0)?,
                uses: r.get(1)?,
                sessions: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let groups = conn
        .prepare_cached(sql::DAY_CLIENT_GROUPS)?
        .query_map((&start, &end), |r| {
            Ok(ClientGroup {
                browser: r.get(0)?,
                os: r.get(1)?,
                device: r.get(2)?,
                sessions: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(summary::summarize(day, &tally, features, &groups))
}

/// Replaces every stored summary of the summary's day (inside the caller's transaction).
pub fn write_day(
    conn: &Connection,
    day: &DaySummary,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let date = date_text(day.row.date);
    for table in [
        "daily_feature_usage",
        "daily_client_usage",
        "daily_usage_summary",
    ] {
        conn.execute(&format!("DELETE FROM {table} WHERE date = ?"), [&date])?;
    }
    let mut feature = conn.prepare_cached(
        "INSERT INTO daily_feature_usage (date, feature_name, uses, sessions) VALUES (?, ?, ?, ?)",
    )?;
    for f in &day.features {
        feature.execute((&date, &f.name, f.uses, f.sessions))?;
    }
    let mut client = conn.prepare_cached(
        "INSERT INTO daily_client_usage (date, dimension, value, sessions) VALUES (?, ?, ?, ?)",
    )?;
    for (dimension, value, sessions) in &day.clients {
        client.execute((&date, dimension, value, sessions))?;
    }
    let r = &day.row;
    conn.execute(
        "INSERT INTO daily_usage_summary (date, unique_visitors, ide_sessions, programs_run, total_lines_executed, \
         avg_session_duration_seconds, total_duration_seconds, total_active_seconds, avg_active_seconds, \
         program_errors, feature_uses, rolled_up_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rusqlite::params![
            date,
            r.unique_visitors,
            r.sessions,
            r.programs_run,
            r.lines_executed,
            r.avg_duration_seconds,
            r.total_duration_seconds,
            r.total_active_seconds,
            r.avg_active_seconds,
            r.program_errors,
            r.feature_uses,
            time_text(now)
        ],
    )?;
    Ok(())
}

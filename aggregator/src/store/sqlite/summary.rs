//! One day's summaries on SQLite: the aggregates read from the raw rows (the rollup and the live
//! answer for days not rolled up yet share this reader) and their replacement in the report
//! tables. The arithmetic is `report::summary`'s.

use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::Connection;

use super::time::{date_text, day_span, time_text};
use crate::domain::report::model::FeatureCount;
use crate::domain::report::site::Site;
use crate::domain::report::summary::{self, ClientGroup, DaySummary, DayTally};
use crate::store::{sql, StoreError};

/// Recomputes every summary of `day`, all sites and each site, in the caller's transaction;
/// `false` (and nothing written) for a day without sessions.
pub fn roll_up_day(
    conn: &Connection,
    day: NaiveDate,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let Some(total) = read_day(conn, day, None)? else {
        return Ok(false);
    };
    write_day(conn, &total, now, None)?;
    let date = date_text(day);
    for table in [
        "daily_site_feature_usage",
        "daily_site_client_usage",
        "daily_site_usage",
    ] {
        conn.execute(&format!("DELETE FROM {table} WHERE date = ?"), [&date])?;
    }
    let (start, end) = day_span(day, day);
    let sites = conn
        .prepare_cached(sql::DAY_SITES)?
        .query_map((&start, &end), |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    for site in sites.iter().filter_map(|s| Site::from_stored(s)) {
        if let Some(summary) = read_day(conn, day, Some(&site))? {
            write_day(conn, &summary, now, Some(&site))?;
        }
    }
    Ok(true)
}

/// The summaries of `day` (of one site, or of all) computed from its sessions now; `None` for a
/// day without sessions.
pub fn read_day(
    conn: &Connection,
    day: NaiveDate,
    site: Option<&Site>,
) -> Result<Option<DaySummary>, StoreError> {
    let (start, end) = day_span(day, day);
    let tally = conn.prepare_cached(&format!(
        "SELECT COUNT(*), COUNT(DISTINCT visitor_hash), COALESCE(SUM(visitor_hash IS NULL), 0), \
         COALESCE(SUM(programs_run), 0), COALESCE(SUM(lines_executed), 0), \
         COALESCE(SUM(duration_seconds), 0), COUNT(duration_seconds), \
         COALESCE(SUM(active_seconds), 0), COUNT(active_seconds), COALESCE(SUM(errors_encountered), 0) \
         FROM ide_sessions WHERE start_time >= ? AND start_time < ?{}",
        Site::clause(site, "site_id")
    ))?
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
        .prepare_cached(&sql::day_features(site))?
        .query_map((&start, &end), feature_count)?
        .collect::<Result<Vec<_>, _>>()?;
    let groups = conn
        .prepare_cached(&sql::day_client_groups(site))?
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

/// A `(feature_name, uses, sessions)` row.
pub(super) fn feature_count(r: &rusqlite::Row) -> rusqlite::Result<FeatureCount> {
    Ok(FeatureCount {
        name: r.get(0)?,
        uses: r.get(1)?,
        sessions: r.get(2)?,
    })
}

/// Writes the summaries of one site (whose rows of the day the caller deleted) or replaces those
/// of all sites.
fn write_day(
    conn: &Connection,
    day: &DaySummary,
    now: NaiveDateTime,
    site: Option<&Site>,
) -> Result<(), StoreError> {
    let date = date_text(day.row.date);
    let (summary, features, clients, _) = sql::summary_tables(site);
    let (site_column, site_value) = match site {
        Some(site) => (", site_id", format!(", '{}'", site.as_str())),
        None => ("", String::new()),
    };
    if site.is_none() {
        for table in [features, clients, summary] {
            conn.execute(&format!("DELETE FROM {table} WHERE date = ?"), [&date])?;
        }
    }
    let mut feature = conn.prepare_cached(&format!(
        "INSERT INTO {features} (date{site_column}, feature_name, uses, sessions) VALUES (?{site_value}, ?, ?, ?)"
    ))?;
    for f in &day.features {
        feature.execute((&date, &f.name, f.uses, f.sessions))?;
    }
    let mut client = conn.prepare_cached(&format!(
        "INSERT INTO {clients} (date{site_column}, dimension, value, sessions) VALUES (?{site_value}, ?, ?, ?)"
    ))?;
    for (dimension, value, sessions) in &day.clients {
        client.execute((&date, dimension, value, sessions))?;
    }
    let r = &day.row;
    conn.execute(
        &format!(
            "INSERT INTO {summary} (date{site_column}, unique_visitors, ide_sessions, programs_run, total_lines_executed, \
             avg_session_duration_seconds, total_duration_seconds, total_active_seconds, avg_active_seconds, \
             program_errors, feature_uses, rolled_up_at) VALUES (?{site_value}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
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

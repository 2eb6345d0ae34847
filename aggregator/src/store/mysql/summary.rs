//! One day's summaries on MySQL: the aggregates read from the raw rows (the rollup and the live
//! answer for days not rolled up yet share this reader) and their replacement in the report
//! tables. The arithmetic is `report::summary`'s.

use chrono::{NaiveDate, NaiveDateTime};
use mysql_async::prelude::Queryable;

use crate::domain::report::model::FeatureCount;
use crate::domain::report::site::Site;
use crate::domain::report::summary::{self, ClientGroup, DaySummary, DayTally};
use crate::store::{sql, StoreError};

/// `[start, end)` of a UTC day, as the DATETIME values sessions are stored with.
pub fn bounds(day: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let start = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    (start, start + chrono::Duration::days(1))
}

/// The day's tally. Distinct hashes are counted through a GROUP BY on the day's index range,
/// which the bench measured three to four times faster than COUNT(DISTINCT) on MariaDB.
fn tally(site: Option<&Site>) -> String {
    let site = Site::clause(site, "site_id");
    format!(
        "SELECT COUNT(*), \
         (SELECT COUNT(*) FROM (SELECT visitor_hash FROM ide_sessions WHERE start_time >= ? AND start_time < ?{site} \
          AND visitor_hash IS NOT NULL GROUP BY visitor_hash) v), \
         CAST(COALESCE(SUM(visitor_hash IS NULL), 0) AS UNSIGNED), CAST(COALESCE(SUM(programs_run), 0) AS UNSIGNED), \
         CAST(COALESCE(SUM(lines_executed), 0) AS UNSIGNED), CAST(COALESCE(SUM(duration_seconds), 0) AS UNSIGNED), \
         COUNT(duration_seconds), CAST(COALESCE(SUM(active_seconds), 0) AS UNSIGNED), COUNT(active_seconds), \
         CAST(COALESCE(SUM(errors_encountered), 0) AS UNSIGNED) \
         FROM ide_sessions WHERE start_time >= ? AND start_time < ?{site}"
    )
}

type TallyRow = (u64, u64, u64, u64, u64, u64, u64, u64, u64, u64);

/// Recomputes every summary of `day`, all sites and each site, in the caller's transaction;
/// `false` (and nothing written) for a day without sessions.
pub async fn roll_up_day<Q: Queryable>(
    conn: &mut Q,
    day: NaiveDate,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let Some(total) = read_day(conn, day, None).await? else {
        return Ok(false);
    };
    write_day(conn, &total, now, None).await?;
    for table in [
        "daily_site_feature_usage",
        "daily_site_client_usage",
        "daily_site_usage",
    ] {
        conn.exec_drop(format!("DELETE FROM {table} WHERE date = ?"), (day,))
            .await?;
    }
    let (start, end) = bounds(day);
    let sites: Vec<String> = conn.exec(sql::DAY_SITES, (start, end)).await?;
    for site in sites.iter().filter_map(|s| Site::from_stored(s)) {
        if let Some(summary) = read_day(conn, day, Some(&site)).await? {
            write_day(conn, &summary, now, Some(&site)).await?;
        }
    }
    Ok(true)
}

/// The summaries of `day` (of one site, or of all) computed from its sessions now; `None` for a
/// day without sessions.
pub async fn read_day<Q: Queryable>(
    conn: &mut Q,
    day: NaiveDate,
    site: Option<&Site>,
) -> Result<Option<DaySummary>, StoreError> {
    let (start, end) = bounds(day);
    let tally: Option<TallyRow> = conn
        .exec_first(tally(site), (start, end, start, end))
        .await?;
    let Some((sessions, hashes, unhashed, runs, lines, dur, dur_n, act, act_n, errors)) = tally
    else {
        return Ok(None);
    };
    if sessions == 0 {
        return Ok(None);
    }
    let tally = DayTally {
        sessions,
        distinct_hashes: hashes,
        sessions_without_hash: unhashed,
        programs_run: runs,
        lines_executed: lines,
        duration_sum: dur,
        durations_known: dur_n,
        active_sum: act,
        actives_known: act_n,
        program_errors: errors,
    };
    let features: Vec<(String, u64, u64)> =
        conn.exec(sql::day_features(site), (start, end)).await?;
    let features = features
        .into_iter()
        .map(|(name, uses, sessions)| FeatureCount {
            name,
            uses,
            sessions,
        })
        .collect();
    type Group = (Option<String>, Option<String>, Option<String>, u64);
    let groups: Vec<Group> = conn
        .exec(sql::day_client_groups(site), (start, end))
        .await?;
    let groups: Vec<ClientGroup> = groups
        .into_iter()
        .map(|(browser, os, device, sessions)| ClientGroup {
            browser,
            os,
            device,
            sessions,
        })
        .collect();
    Ok(summary::summarize(day, &tally, features, &groups))
}

/// Writes the summaries of one site (whose rows of the day the caller deleted) or replaces those
/// of all sites, inside the caller's transaction. Upserts after the deletes: two replicas
/// rolling up the same day cannot collide.
async fn write_day<Q: Queryable>(
    conn: &mut Q,
    day: &DaySummary,
    now: NaiveDateTime,
    site: Option<&Site>,
) -> Result<(), StoreError> {
    let date = day.row.date;
    let (summary, features, clients, _) = sql::summary_tables(site);
    let (site_column, site_value) = match site {
        Some(site) => (", site_id", format!(", '{}'", site.as_str())),
        None => ("", String::new()),
    };
    if site.is_none() {
        for table in [features, clients] {
            conn.exec_drop(format!("DELETE FROM {table} WHERE date = ?"), (date,))
                .await?;
        }
    }
    conn.exec_batch(
        format!(
            "INSERT INTO {features} (date{site_column}, feature_name, uses, sessions) VALUES (?{site_value}, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE uses = VALUES(uses), sessions = VALUES(sessions)"
        ),
        day.features.iter().map(|f| (date, &f.name, f.uses, f.sessions)),
    )
    .await?;
    conn.exec_batch(
        format!(
            "INSERT INTO {clients} (date{site_column}, dimension, value, sessions) VALUES (?{site_value}, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE sessions = VALUES(sessions)"
        ),
        day.clients.iter().map(|(d, v, n)| (date, d, v, n)),
    )
    .await?;
    let r = &day.row;
    conn.exec_drop(
        format!("INSERT INTO {summary} (date{site_column}, unique_visitors, ide_sessions, programs_run, total_lines_executed, \
         avg_session_duration_seconds, total_duration_seconds, total_active_seconds, avg_active_seconds, \
         program_errors, feature_uses, rolled_up_at) VALUES (?{site_value}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON DUPLICATE KEY UPDATE unique_visitors = VALUES(unique_visitors), ide_sessions = VALUES(ide_sessions), \
         programs_run = VALUES(programs_run), total_lines_executed = VALUES(total_lines_executed), \
         avg_session_duration_seconds = VALUES(avg_session_duration_seconds), \
         total_duration_seconds = VALUES(total_duration_seconds), total_active_seconds = VALUES(total_active_seconds), \
         avg_active_seconds = VALUES(avg_active_seconds), program_errors = VALUES(program_errors), \
         feature_uses = VALUES(feature_uses), rolled_up_at = VALUES(rolled_up_at)"),
        mysql_async::Params::Positional(vec![
            date.into(),
            r.unique_visitors.into(),
            r.sessions.into(),
            r.programs_run.into(),
            r.lines_executed.into(),
            r.avg_duration_seconds.into(),
            r.total_duration_seconds.into(),
            r.total_active_seconds.into(),
            r.avg_active_seconds.into(),
            r.program_errors.into(),
            r.feature_uses.into(),
            now.into(),
        ]),
    )
    .await?;
    Ok(())
}

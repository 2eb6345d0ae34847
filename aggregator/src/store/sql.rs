//! SQL text both dialects take as it is, written once; each store keeps only what differs.

pub mod events;
pub mod expire;
pub mod rollup;

use super::DaysBefore;
use crate::domain::report::site::Site;

/// UTC days of the sessions that received a batch at or after the second `?`, whose minute
/// ([`crate::domain::session::minute_of`]) is the first: the index on the coarse `last_seen_minute`
/// (V5) narrows to the sessions seen since that minute, the precise time decides.
pub const DAYS_TOUCHED_SINCE: &str = "SELECT DISTINCT DATE(start_time) FROM ide_sessions \
     WHERE last_seen_minute >= ? AND last_seen_at >= ? ORDER BY 1";

/// As [`DAYS_TOUCHED_SINCE`], with the latest last-seen time of each day's touched sessions:
/// what the stale-day rule compares with the time the day was rolled up.
pub const DAYS_SEEN_SINCE: &str = "SELECT DATE(start_time), MAX(last_seen_at) FROM ide_sessions \
     WHERE last_seen_minute >= ? AND last_seen_at >= ? GROUP BY DATE(start_time) ORDER BY 1";

/// When each rolled-up day from `?` to `?` was last rolled up.
pub const ROLLED_UP_AT: &str = "SELECT date, rolled_up_at FROM daily_usage_summary \
     WHERE date >= ? AND date <= ? AND rolled_up_at IS NOT NULL";

/// UTC days, from the day of `?` on, of sessions that have no last-seen minute: rows the old
/// tracker writes beside the aggregator during a switch-over, which no watermark can see change.
/// The index on `last_seen_minute` finds them at its NULL end (V5 gave every older row a minute).
pub const DAYS_UNTRACKED_SINCE: &str = "SELECT DISTINCT DATE(start_time) FROM ide_sessions \
     WHERE last_seen_minute IS NULL AND start_time >= ? ORDER BY 1";

/// The stored salt of the day `?` ([`super::salt_bytes`] reads it).
pub const SALT_OF_DAY: &str = "SELECT salt FROM visitor_salts WHERE day = ?";

/// Deletes the salts of the days before `?`.
pub const DELETE_SALTS_BEFORE: &str = "DELETE FROM visitor_salts WHERE day < ?";

/// Gives up a lease (`?` its name, `?` its holder) if that holder holds it.
pub const RELEASE_LEASE: &str = "DELETE FROM maintenance_leases WHERE name = ? AND holder = ?";

/// UTC days that still have raw sessions starting before `?`.
pub const DAYS_WITH_SESSIONS_BEFORE: &str =
    "SELECT DISTINCT DATE(start_time) FROM ide_sessions WHERE start_time < ? ORDER BY 1";

/// UTC days before `?` with raw sessions but no rollup of ours yet.
pub const DAYS_UNSUMMARIZED_BEFORE: &str =
    "SELECT DISTINCT DATE(s.start_time) FROM ide_sessions s \
     LEFT JOIN daily_usage_summary d ON d.date = DATE(s.start_time) \
     WHERE s.start_time < ? AND d.rolled_up_at IS NULL ORDER BY 1";

/// The query of [`DaysBefore`]'s days (parameter: the cutoff).
pub fn days_before(which: DaysBefore) -> &'static str {
    match which {
        DaysBefore::WithSessions => DAYS_WITH_SESSIONS_BEFORE,
        DaysBefore::Unsummarized => DAYS_UNSUMMARIZED_BEFORE,
    }
}

/// The report tables (summary, features, clients) of all sites or of one site, and the
/// ` AND site_id = ...` a read of the per-site tables needs.
pub fn summary_tables(site: Option<&Site>) -> (&'static str, &'static str, &'static str, String) {
    match site {
        None => (
            "daily_usage_summary",
            "daily_feature_usage",
            "daily_client_usage",
            String::new(),
        ),
        Some(_) => (
            "daily_site_usage",
            "daily_site_feature_usage",
            "daily_site_client_usage",
            Site::clause(site, "site_id"),
        ),
    }
}

/// ` AND date NOT IN ('YYYY-MM-DD', ...)` for the days a stored read leaves out, or nothing.
/// Dates are formatted by chrono (digits and dashes only), so they are safe as literals.
pub fn except_dates(days: &[chrono::NaiveDate]) -> String {
    if days.is_empty() {
        return String::new();
    }
    let list: Vec<String> = days
        .iter()
        .map(|d| format!("'{}'", d.format("%Y-%m-%d")))
        .collect();
    format!(" AND date NOT IN ({})", list.join(", "))
}

/// Open sessions per site with a batch from the second `?` to the third (now), whose minute is
/// at least the first: `idx_open_sessions_minute` (end_time, last_seen_minute) narrows, the
/// precise time decides.
pub const LIVE_SESSIONS: &str = "SELECT site_id, COUNT(*) FROM ide_sessions \
     WHERE end_time IS NULL AND last_seen_minute >= ? AND last_seen_at >= ? AND last_seen_at <= ? \
     GROUP BY site_id";

/// Program runs per site from the third `?` (30 minutes ago) to the fourth (now): those since
/// the first (5 minutes), their failures, all, all failures. Parameters: 5-minute cutoff twice,
/// then the 30-minute cutoff and now.
pub const LIVE_RUNS: &str = "SELECT s.site_id, COUNT(CASE WHEN p.timestamp >= ? THEN 1 END), \
     COUNT(CASE WHEN p.timestamp >= ? AND p.success = 0 THEN 1 END), COUNT(*), \
     COUNT(CASE WHEN p.success = 0 THEN 1 END) \
     FROM program_executions p JOIN ide_sessions s ON s.session_id = p.session_id \
     WHERE p.timestamp >= ? AND p.timestamp <= ? GROUP BY s.site_id";

/// A range of days (`BETWEEN ? AND ?`) of a summary table (`daily_usage_summary` or
/// `daily_site_usage`), with the ` AND site_id = ...` of a site read, in date order.
pub fn daily_rows(summary: &str, only_site: &str) -> String {
    format!(
        "SELECT date, unique_visitors, ide_sessions, programs_run, total_lines_executed, \
         avg_session_duration_seconds, avg_active_seconds, total_duration_seconds, total_active_seconds, \
         program_errors, feature_uses FROM {summary} WHERE date BETWEEN ? AND ?{only_site} ORDER BY date"
    )
}

/// The time of the latest rollup.
pub const LAST_ROLLUP: &str = "SELECT MAX(rolled_up_at) FROM daily_usage_summary";

/// The latest `?` sessions, of one site or all: start, ended, durations, counts, client.
pub fn recent_sessions(site: Option<&Site>) -> String {
    let only_site = Site::clause(site, "site_id").replacen(" AND", " WHERE", 1);
    format!(
        "SELECT start_time, end_time IS NOT NULL, duration_seconds, active_seconds, programs_run, \
         lines_executed, errors_encountered, browser, os, device FROM ide_sessions{only_site} \
         ORDER BY start_time DESC LIMIT ?"
    )
}

/// Feature uses and sessions over the stored summaries of a range of days (`BETWEEN ? AND ?`),
/// except `except`, of one site or all: name, uses, sessions. (The casts turn MySQL's DECIMAL
/// sums into integers; SQLite's sums are integers already.)
pub fn feature_counts(site: Option<&Site>, except: &[chrono::NaiveDate]) -> String {
    let (_, features, _, only_site) = summary_tables(site);
    format!(
        "SELECT feature_name, CAST(SUM(uses) AS UNSIGNED), CAST(SUM(sessions) AS UNSIGNED) \
         FROM {features} WHERE date BETWEEN ? AND ?{}{only_site} GROUP BY feature_name",
        except_dates(except)
    )
}

/// Sessions per client (dimension, value) over the stored summaries of a range of days, except
/// `except`, of one site or all.
pub fn client_counts(site: Option<&Site>, except: &[chrono::NaiveDate]) -> String {
    let (_, _, clients, only_site) = summary_tables(site);
    format!(
        "SELECT dimension, value, CAST(SUM(sessions) AS UNSIGNED) FROM {clients} \
         WHERE date BETWEEN ? AND ?{}{only_site} GROUP BY dimension, value",
        except_dates(except)
    )
}

/// Whether any session started before `?`: an index lookup (`idx_start_time`) that tells the
/// retention whether its delete of events by session has anything to do.
pub const ANY_SESSION_BEFORE: &str = "SELECT 1 FROM ide_sessions WHERE start_time < ? LIMIT 1";

//! SQL text both dialects take as it is, written once; each store keeps only what differs.

pub mod bounded;
pub mod events;
pub mod expire;
pub mod journey;
pub mod rollup;
pub mod zoned;

use crate::domain::report::site::Site;

/// The first and last start time of the sessions, per UTC day, that received a batch at or after
/// the second `?`, whose minute ([`crate::domain::session::minute_of`]) is the first: the index
/// on the coarse `last_seen_minute` (V5) narrows to the sessions seen since that minute, the
/// precise time decides. The report zone turns each span into the local days it covers
/// (`ReportZone::days_between`): one, or two where the UTC day straddles a local midnight.
pub const DAYS_TOUCHED_SINCE: &str = "SELECT MIN(start_time), MAX(start_time) FROM ide_sessions \
     WHERE last_seen_minute >= ? AND last_seen_at >= ? GROUP BY DATE(start_time)";

/// As [`DAYS_TOUCHED_SINCE`], from `?` on, of sessions that have no last-seen minute: rows the
/// old tracker writes beside the aggregator during a switch-over, which no watermark can see
/// change. The index on `last_seen_minute` finds them at its NULL end (V5 gave every older row a
/// minute).
pub const DAYS_UNTRACKED_SINCE: &str = "SELECT MIN(start_time), MAX(start_time) FROM ide_sessions \
     WHERE last_seen_minute IS NULL AND start_time >= ? GROUP BY DATE(start_time)";

/// The stored salt of the day `?` ([`super::salt_bytes`] reads it).
pub const SALT_OF_DAY: &str = "SELECT salt FROM visitor_salts WHERE day = ?";

/// Deletes the salts of the days before `?`.
pub const DELETE_SALTS_BEFORE: &str = "DELETE FROM visitor_salts WHERE day < ?";

/// Gives up a lease (`?` its name, `?` its holder) if that holder holds it.
pub const RELEASE_LEASE: &str = "DELETE FROM maintenance_leases WHERE name = ? AND holder = ?";

/// As [`DAYS_TOUCHED_SINCE`], of the raw sessions starting before `?`.
pub const DAYS_WITH_SESSIONS_BEFORE: &str = "SELECT MIN(start_time), MAX(start_time) \
     FROM ide_sessions WHERE start_time < ? GROUP BY DATE(start_time)";

/// Days before `?` that have a rollup (of any zone).
pub const DAYS_SUMMARIZED_BEFORE: &str =
    "SELECT date FROM daily_usage_summary WHERE date < ? AND rolled_up_at IS NOT NULL";

/// Days from `?` on whose rollup was made in a zone other than `?` (V16; NULL is the previous
/// release's, which knew UTC only).
pub const DAYS_OF_OTHER_ZONES: &str = "SELECT date FROM daily_usage_summary \
     WHERE date >= ? AND COALESCE(time_zone, 'UTC') <> ?";

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

/// The hourly summaries (`daily_site_hours`, V11) of the days `[?, ?]`, per site: date, hour,
/// sessions, visitors, runs, errors, lines, duration and active seconds; of one site or all (the
/// report adds the sites up).
pub fn hour_rows(site: Option<&Site>) -> String {
    format!(
        "SELECT date, hour, sessions, unique_visitors, programs_run, program_errors, \
         lines_executed, total_duration_seconds, total_active_seconds FROM daily_site_hours \
         WHERE date >= ? AND date <= ?{}",
        Site::clause(site, "site_id")
    )
}

/// The time report's stored sums (`daily_site_time`, V15) of the days `[?, ?]`, per site, each
/// with the run time of the same day and site (`daily_site_programs`, V8; 0 without runs):
/// date, sessions, visible ms, active ms, sessions without input, running ms; of one site or all
/// (the report adds the sites up after clamping each one's idle time).
pub fn time_rows(site: Option<&Site>) -> String {
    format!(
        "SELECT t.date, t.sessions, t.visible_ms, t.active_ms, t.no_input_sessions, \
         COALESCE(p.execution_ms_total, 0) FROM daily_site_time t \
         LEFT JOIN daily_site_programs p ON p.date = t.date AND p.site_id = t.site_id \
         WHERE t.date >= ? AND t.date <= ?{}",
        Site::clause(site, "t.site_id")
    )
}

/// Where the live sessions are: open, with a batch from the second `?` to the third (now),
/// whose minute is at least the first: `idx_open_sessions_minute` (end_time, last_seen_minute)
/// narrows, the precise time decides.
const LIVE_SESSIONS_WHERE: &str = "FROM ide_sessions \
     WHERE end_time IS NULL AND last_seen_minute >= ? AND last_seen_at >= ? AND last_seen_at <= ?";

/// Open sessions per site (see [`LIVE_SESSIONS_WHERE`]), the sites with the most first, at most
/// `limit`; of one site, or all.
pub fn live_sessions(limit: usize, site: Option<&Site>) -> String {
    format!(
        "SELECT site_id, COUNT(*) {LIVE_SESSIONS_WHERE}{} GROUP BY site_id ORDER BY 2 DESC, 1 \
         LIMIT {limit}",
        Site::clause(site, "site_id")
    )
}

/// Open sessions of every site (see [`LIVE_SESSIONS_WHERE`]).
pub fn live_sessions_total() -> String {
    format!("SELECT COUNT(*) {LIVE_SESSIONS_WHERE}")
}

/// Program runs from the third `?` (30 minutes ago) to the fourth (now): those since the first
/// (5 minutes), their failures, all, all failures. Parameters: 5-minute cutoff twice, then the
/// 30-minute cutoff and now.
const LIVE_RUNS_COUNTS: &str = "COUNT(CASE WHEN p.timestamp >= ? THEN 1 END), \
     COUNT(CASE WHEN p.timestamp >= ? AND p.success = 0 THEN 1 END), COUNT(*), \
     COUNT(CASE WHEN p.success = 0 THEN 1 END) \
     FROM program_executions p JOIN ide_sessions s ON s.session_id = p.session_id \
     WHERE p.timestamp >= ? AND p.timestamp <= ?";

/// Program runs per site ([`LIVE_RUNS_COUNTS`]), the sites with the most runs in 30 minutes
/// first, at most `limit`; of one site, or all.
pub fn live_runs(limit: usize, site: Option<&Site>) -> String {
    format!(
        "SELECT s.site_id, {LIVE_RUNS_COUNTS}{} GROUP BY s.site_id ORDER BY 4 DESC, 1 LIMIT {limit}",
        Site::clause(site, "s.site_id")
    )
}

/// Program runs of every site ([`LIVE_RUNS_COUNTS`]), under the site id ''.
pub fn live_runs_total() -> String {
    format!("SELECT '', {LIVE_RUNS_COUNTS}")
}

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

/// The site ids the summaries know, and those of the sessions that started from `?` on (not
/// rolled up yet): what the gate on new sites (`http::sites`) starts from.
pub const KNOWN_SITES: &str = "SELECT site_id FROM daily_site_usage GROUP BY site_id \
     UNION SELECT site_id FROM ide_sessions WHERE start_time >= ? GROUP BY site_id";

/// Whether any session started before `?`: an index lookup (`idx_start_time`) that tells the
/// retention whether its delete of events by session has anything to do.
pub const ANY_SESSION_BEFORE: &str = "SELECT 1 FROM ide_sessions WHERE start_time < ? LIMIT 1";

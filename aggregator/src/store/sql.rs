//! SQL text both dialects take as it is, written once; each store keeps only what differs.

/// UTC days of the sessions that received a batch at or after `?`.
pub const DAYS_TOUCHED_SINCE: &str =
    "SELECT DISTINCT DATE(start_time) FROM ide_sessions WHERE last_seen_at >= ? ORDER BY 1";

/// UTC days that still have raw sessions starting before `?`.
pub const DAYS_WITH_SESSIONS_BEFORE: &str =
    "SELECT DISTINCT DATE(start_time) FROM ide_sessions WHERE start_time < ? ORDER BY 1";

/// UTC days before `?` with raw sessions but no rollup of ours yet.
pub const DAYS_UNSUMMARIZED_BEFORE: &str =
    "SELECT DISTINCT DATE(s.start_time) FROM ide_sessions s \
     LEFT JOIN daily_usage_summary d ON d.date = DATE(s.start_time) \
     WHERE s.start_time < ? AND d.rolled_up_at IS NULL ORDER BY 1";

/// A day's feature uses (`[start, end)` of session start): name, uses, sessions using it.
pub const DAY_FEATURES: &str = "SELECT f.feature_name, COUNT(*), COUNT(DISTINCT f.session_id) \
     FROM feature_usage f JOIN ide_sessions s ON s.session_id = f.session_id \
     WHERE s.start_time >= ? AND s.start_time < ? GROUP BY f.feature_name";

/// A day's sessions per (browser, os, device) combination (`[start, end)` of session start).
pub const DAY_CLIENT_GROUPS: &str = "SELECT browser, os, device, COUNT(*) FROM ide_sessions \
     WHERE start_time >= ? AND start_time < ? GROUP BY browser, os, device";

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

/// Open sessions per site with a batch at or after `?`.
pub const LIVE_SESSIONS: &str = "SELECT site_id, COUNT(*) FROM ide_sessions \
     WHERE last_seen_at >= ? AND end_time IS NULL GROUP BY site_id";

/// Program runs per site since the third `?` (30 minutes): those since the first (5 minutes),
/// their failures, all, all failures. Parameters: 5-minute cutoff twice, then the 30-minute cutoff.
pub const LIVE_RUNS: &str = "SELECT s.site_id, COUNT(CASE WHEN p.timestamp >= ? THEN 1 END), \
     COUNT(CASE WHEN p.timestamp >= ? AND p.success = 0 THEN 1 END), COUNT(*), \
     COUNT(CASE WHEN p.success = 0 THEN 1 END) \
     FROM program_executions p JOIN ide_sessions s ON s.session_id = p.session_id \
     WHERE p.timestamp >= ? GROUP BY s.site_id";

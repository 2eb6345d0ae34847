//! SQL text both dialects take as it is, written once; each store keeps only what differs.

/// UTC days of the sessions that received a batch at or after the second `?`, whose minute
/// ([`crate::domain::session::minute_of`]) is the first: the index on the coarse `last_seen_minute`
/// (V5) narrows to the sessions seen since that minute, the precise time decides.
pub const DAYS_TOUCHED_SINCE: &str = "SELECT DISTINCT DATE(start_time) FROM ide_sessions \
     WHERE last_seen_minute >= ? AND last_seen_at >= ? ORDER BY 1";

/// UTC days that still have raw sessions starting before `?`.
pub const DAYS_WITH_SESSIONS_BEFORE: &str =
    "SELECT DISTINCT DATE(start_time) FROM ide_sessions WHERE start_time < ? ORDER BY 1";

/// UTC days before `?` with raw sessions but no rollup of ours yet.
pub const DAYS_UNSUMMARIZED_BEFORE: &str =
    "SELECT DISTINCT DATE(s.start_time) FROM ide_sessions s \
     LEFT JOIN daily_usage_summary d ON d.date = DATE(s.start_time) \
     WHERE s.start_time < ? AND d.rolled_up_at IS NULL ORDER BY 1";

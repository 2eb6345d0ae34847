//! The bounded reads, written once for both stores: grouping, ordering and limits happen in SQL,
//! so a report request never reads more rows than its answer's top N (plus a margin) and its
//! totals (`domain::report::top`). Window functions (`ROW_NUMBER`, `FIRST_VALUE`) are in both
//! MariaDB (10.2+) and SQLite (3.25+).

use sha2::{Digest, Sha256};

use crate::domain::report::site::Site;
use crate::domain::report::top::{ERROR_GROUPS_PER_DAY, OTHER, OTHER_KEY};

/// The SHA-256 (hex) of a text: the key of a summary's text (an error group, a feature-data
/// text), which may be too long for a primary key.
pub(super) fn key_of(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The error group of `msg` in SQL: `domain::report::errors::group_of` (whitespace runs to one
/// space, trimmed, digit runs to `#`, cut to 200 characters, `(no message)` when empty). SQLite
/// calls the Rust function itself (registered on every connection); MariaDB spells it with
/// `REGEXP_REPLACE`, compared byte by byte as the Rust one does (its `[[:space:]]` is ASCII
/// whitespace only, where Rust's also counts Unicode spaces: the only difference).
pub fn error_group(msg: &str, mysql: bool) -> String {
    if mysql {
        format!(
            "COALESCE(NULLIF(LEFT(REGEXP_REPLACE(TRIM(REGEXP_REPLACE({msg}, '[[:space:]]+', ' ')), \
             '[0-9]+', '#'), 200), ''), '(no message)') COLLATE utf8mb4_bin"
        )
    } else {
        format!("error_group({msg})")
    }
}

/// A day's failed runs grouped per site and error group, the [`ERROR_GROUPS_PER_DAY`] most
/// frequent of each site (by runs, sessions, group), then one remainder row per site: site, is
/// remainder (0/1), group, runs, sessions, last seen, example (the latest run's message; on a
/// tie, the first in text order). `from` is the join of the day's events with their sessions
/// (`FROM ... WHERE ...`).
pub fn day_errors(from: &str, mysql: bool) -> String {
    let cap = ERROR_GROUPS_PER_DAY;
    format!(
        "WITH f AS (SELECT s.site_id AS site, {grp} AS grp, COALESCE(e.error_message, '') AS msg, \
         e.session_id AS sid, e.timestamp AS ts {from} AND e.success = 0), \
         x AS (SELECT site, grp, sid, ts, \
         FIRST_VALUE(msg) OVER (PARTITION BY site, grp ORDER BY ts DESC, msg) AS example FROM f), \
         g AS (SELECT site, grp, COUNT(*) AS runs, COUNT(DISTINCT sid) AS sessions, \
         MAX(ts) AS last_seen, MIN(example) AS example FROM x GROUP BY site, grp), \
         r AS (SELECT site, grp, runs, sessions, last_seen, example, \
         ROW_NUMBER() OVER (PARTITION BY site ORDER BY runs DESC, sessions DESC, grp) AS n FROM g) \
         SELECT site, 0, grp, runs, sessions, last_seen, example FROM r WHERE n <= {cap} \
         UNION ALL SELECT site, 1, '', CAST(SUM(runs) AS UNSIGNED), CAST(SUM(sessions) AS UNSIGNED), \
         MAX(last_seen), '' FROM r WHERE n > {cap} GROUP BY site",
        grp = error_group("COALESCE(e.error_message, '')", mysql),
    )
}

/// `WHERE` of a stored read: the range (`BETWEEN ? AND ?`), of one site or all.
pub(super) fn stored(site: Option<&Site>) -> String {
    stored_in(site, "")
}

/// [`stored`] of the table named by `prefix` (`"e."`) in a join.
fn stored_in(site: Option<&Site>, prefix: &str) -> String {
    format!(
        "{prefix}date BETWEEN ? AND ?{}",
        Site::clause(site, &format!("{prefix}site_id"))
    )
}

/// The `?` most frequent stored error groups of a range (parameters: the range twice, then once
/// more and the limit), the remainder rows left out: group, runs, sessions, last seen, example
/// of the latest (of the rows with the latest `last_seen`, the first in text order), and on
/// every row the failed runs of the whole range (remainders included). `from` is
/// `daily_site_errors`, or the table read through `idx_errors_rank` (V17: group key, last seen,
/// day, site, runs, sessions; `Reads::indexed`).
///
/// The groups are ranked on their key and numbers alone and their texts read only for the listed
/// ones: on MariaDB a grouping or a derived table that carries a TEXT column goes through an
/// on-disk temporary table, which made a year's read take 175 ms p99 (bench k) with the texts in
/// the grouping and 100 ms with them in a derived table. The texts then came from a join of the
/// listed groups with the table, which MariaDB drove from the table: every row of the range, TEXT
/// columns and all, into a temporary table (45-58 ms p99 for k's year), and the total was a third
/// statement. Now the ranking is summed from the covering index in key order (4 ms of server
/// time on k's year), the total is a window over the same groups (one statement), and each listed
/// group's texts are two lookups by (key, last seen) in that index. (At the `LIMIT` boundary,
/// equal groups are cut by key, not by text: the limit is twice what is shown.)
pub fn stored_errors_top(site: Option<&Site>, from: &str) -> String {
    let range = stored(site);
    let text = |column: &str| {
        format!(
            "(SELECT MIN(e.{column}) FROM daily_site_errors e WHERE e.group_key = t.group_key \
             AND e.last_seen = t.last_seen AND {})",
            stored_in(site, "e.")
        )
    };
    format!(
        "SELECT {group}, t.runs, t.sessions, t.last_seen, {example}, t.total \
         FROM (SELECT group_key, runs, sessions, last_seen, total FROM \
         (SELECT group_key, CAST(SUM(runs) AS UNSIGNED) AS runs, \
         CAST(SUM(sessions) AS UNSIGNED) AS sessions, MAX(last_seen) AS last_seen, \
         CAST(SUM(SUM(runs)) OVER () AS UNSIGNED) AS total \
         FROM {from} WHERE {range} GROUP BY group_key) g \
         WHERE group_key <> '{OTHER_KEY}' ORDER BY runs DESC, sessions DESC, group_key LIMIT ?) t \
         ORDER BY 2 DESC, 3 DESC, 1",
        group = text("error_group"),
        example = text("example"),
    )
}

/// The stored failed runs of a range, every group and remainder included: for a range whose
/// [`stored_errors_top`] lists nothing (and so carries no total).
pub fn stored_failed_runs(site: Option<&Site>) -> String {
    format!(
        "SELECT CAST(COALESCE(SUM(runs), 0) AS UNSIGNED) FROM daily_site_errors WHERE {}",
        stored(site)
    )
}

/// The `?` most used stored features of a range (parameters: the range, then the limit), the
/// remainder rows left out: name, uses, sessions, and on every row the uses of the whole range
/// (remainders included: a window over the same groups, so one statement reads the range once).
pub fn feature_counts_top(site: Option<&Site>) -> String {
    let (_, features, _, only_site) = super::summary_tables(site);
    format!(
        "SELECT feature_name, uses, sessions, total FROM (SELECT feature_name, \
         CAST(SUM(uses) AS UNSIGNED) AS uses, CAST(SUM(sessions) AS UNSIGNED) AS sessions, \
         CAST(SUM(SUM(uses)) OVER () AS UNSIGNED) AS total \
         FROM {features} WHERE date BETWEEN ? AND ?{only_site} GROUP BY feature_name) g \
         WHERE feature_name <> '{OTHER}' ORDER BY uses DESC, feature_name LIMIT ?"
    )
}

/// The stored feature uses of a range, the remainder rows included: for a range whose
/// [`feature_counts_top`] lists nothing (and so carries no total).
pub fn feature_uses_total(site: Option<&Site>) -> String {
    let (_, features, _, only_site) = super::summary_tables(site);
    format!(
        "SELECT CAST(COALESCE(SUM(uses), 0) AS UNSIGNED) FROM {features} \
         WHERE date BETWEEN ? AND ?{only_site}"
    )
}

/// Per client dimension, its `limit` largest values over the stored days of a range and the
/// dimension's total: dimension, value, sessions, total (the remainder rows rank like any
/// value; the caller leaves them out of what it lists).
pub fn client_counts_top(site: Option<&Site>, limit: usize) -> String {
    let (_, _, clients, only_site) = super::summary_tables(site);
    format!(
        "SELECT dimension, value, n, total FROM (SELECT dimension, value, \
         CAST(SUM(sessions) AS UNSIGNED) AS n, \
         CAST(SUM(SUM(sessions)) OVER (PARTITION BY dimension) AS UNSIGNED) AS total, \
         ROW_NUMBER() OVER (PARTITION BY dimension ORDER BY SUM(sessions) DESC, value) AS r \
         FROM {clients} WHERE date BETWEEN ? AND ?{only_site} GROUP BY dimension, value) t \
         WHERE r <= {limit}"
    )
}

/// One feature's `?` most frequent stored data texts (parameters: name, the range, the limit),
/// the remainder rows left out, in no order (the caller ranks them), and on every row the
/// feature's events of the whole range (remainders included). `from` is
/// `daily_site_feature_data`, or the table read through `idx_feature_data_rank` (V12: feature,
/// key, day, site, events; `Reads::indexed`).
///
/// Ranked on the texts' keys (SHA-256) and counts alone, from that covering index in key order,
/// without reading a row per day and text; each listed text is then read from one row of its
/// latest day through the same index. Grouping with the LONGTEXT column went through an on-disk
/// temporary table on MariaDB (276 ms p99 for a year, bench k); ranking from the rows took
/// 168 ms, from a (feature, day, ...) index 45 ms of the server's time, from this one 12 ms. Yet
/// the route still read 73 ms p50, 78 ms p99: its total, a separate statement, went through
/// the (feature, day) index (MariaDB and SQLite both chose it: it narrows by day) and so read each of
/// the year's 18,615 rows, LONGTEXT and all, from the table (56,000 pages, 55-90 ms on a busy
/// test server). Now the total is a window over the ranking's own groups (one scan of the
/// index, one round trip), and the index is named, because MariaDB also chose the narrower
/// index for the ranking itself when its statistics said so (130 ms instead of 30). The
/// remainder row is left out by its key (of the text `(other)`). (At the `LIMIT` boundary,
/// equal texts are cut by key, not by text.)
pub fn feature_data_top(site: Option<&Site>, from: &str) -> String {
    format!(
        "SELECT (SELECT f.feature_data FROM daily_site_feature_data f WHERE f.feature_name = t.name \
         AND f.date = t.latest_day AND f.data_key = t.data_key LIMIT 1), t.events, t.total \
         FROM (SELECT name, data_key, latest_day, events, total FROM \
         (SELECT MIN(feature_name) AS name, data_key, MAX(date) AS latest_day, \
         CAST(SUM(events) AS UNSIGNED) AS events, \
         CAST(SUM(SUM(events)) OVER () AS UNSIGNED) AS total FROM {from} \
         WHERE feature_name = ? AND {} GROUP BY data_key) g \
         WHERE data_key <> '{}' ORDER BY events DESC, data_key LIMIT ?) t",
        stored(site),
        key_of(OTHER)
    )
}

/// One feature's stored data events of a range (parameters: name, the range), all texts: for a
/// range whose [`feature_data_top`] lists nothing (and so carries no total).
pub fn feature_data_total(site: Option<&Site>) -> String {
    format!(
        "SELECT CAST(COALESCE(SUM(events), 0) AS UNSIGNED) FROM daily_site_feature_data \
         WHERE feature_name = ? AND {}",
        stored(site)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_read_caps_each_site_and_adds_one_remainder_row() {
        let sql = day_errors("FROM program_executions e WHERE 1 = 1", false);
        assert!(sql.contains(&format!("WHERE n <= {ERROR_GROUPS_PER_DAY}")));
        assert!(sql.contains("error_group(COALESCE(e.error_message, ''))"));
        assert!(day_errors("FROM x e WHERE 1 = 1", true).contains("REGEXP_REPLACE"));
    }

    #[test]
    fn stored_tops_leave_the_remainder_rows_out_and_end_in_a_limit() {
        // Error groups and features name their remainder `(other)`; feature data by the key of
        // that text.
        let other_text_key = format!("data_key <> '{}'", super::key_of(OTHER));
        for (sql, remainder) in [
            (stored_errors_top(None, "t"), "'(other)'".to_string()),
            (feature_counts_top(None), "'(other)'".to_string()),
            (feature_data_top(None, "t"), other_text_key),
        ] {
            assert!(sql.contains(&remainder), "{sql}");
            assert!(sql.contains("LIMIT ?"), "{sql}");
        }
        assert!(!stored_failed_runs(None).contains("(other)"));
    }
}

//! The rollup's SQL both stores share: the one read of a day's sessions, the day's feature uses
//! grouped per site, and the rows of the report tables laid out once (each table's columns, key
//! first, and its rows as plain cells), written as multi-row INSERTs.

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::report::site::Site;
use crate::domain::report::summary::day_pass::DayRollup;
use crate::domain::report::summary::DaySummary;
use crate::domain::zone::ReportZone;

/// Every session starting in `[?, ?)`, of the sites `sites` narrows to (a clause on `site_id`,
/// `SiteScope::read_clause`, or nothing for all), with what [`SessionRow`] needs; `hint`
/// follows the table name ([`MYSQL_BY_START`] or nothing).
///
/// One range scan per day, aggregated in Rust, replaced seven scans per day and two per site
/// (the all-sites and each site's tally with its distinct count through `GROUP BY visitor_hash`,
/// the client `GROUP BY`, the list of sites). Measured with the mariadb client on one day of
/// 100,000 sessions among 1,000,000 (MariaDB 10.11, load average 10, 3 runs each, wall time
/// with the rows sent to the client): this read 2.4 to 3.5 s; the old tally 3.1 to 3.9 s, its
/// client `GROUP BY` 2.0 to 3.2 s, its list of sites 1.7 s (then again per site); the best
/// grouped alternative, sums `GROUP BY site_id, browser, os, device` plus `GROUP BY site_id,
/// visitor_hash` for the distinct counts, 3.1 to 4.3 s plus 3.0 to 4.0 s; one `GROUP BY site_id,
/// visitor_hash, browser, os, device` 19 to 25 s (its temporary table). See BENCHMARKS.md, f.
///
/// [`SessionRow`]: crate::domain::report::summary::day_pass::SessionRow
///
/// The last column says the session has no visitor: no browser batch ever reached it, only a
/// server's (a row this aggregator wrote, `first_seen_at`, without a browser's `device`; an
/// adopted row of the old tracker without one is a hashless visitor as before). After the start
/// time come the visible and active milliseconds of the time report (V2 columns, 0 by default).
pub fn day_sessions(sites: &str, hint: &str) -> String {
    format!(
        "SELECT site_id, visitor_hash, browser, os, device, programs_run, lines_executed, \
         duration_seconds, active_seconds, errors_encountered, \
         device IS NULL AND first_seen_at IS NOT NULL, start_time, visible_ms, active_ms \
         FROM ide_sessions{hint} \
         WHERE start_time >= ? AND start_time < ?{sites}"
    )
}

/// MariaDB's planner takes a full scan of `ide_sessions` for a day that is a tenth of the table
/// (`EXPLAIN`: type ALL over 1,000,000 rows), twice as slow as the range on `idx_start_time`
/// (0.8 to 0.9 s against 1.9 to 2.3 s for a day's `COUNT(*)`, same minutes), and a full scan per
/// day would make a one-day rollup cost the whole table. Every schema this aggregator runs on has
/// that index (V1, and the old deployment's own).
pub const MYSQL_BY_START: &str = " FORCE INDEX (idx_start_time)";

/// A day's feature uses per site (`[start, end)` of session start), of the sites `sites` (a
/// clause on `s.site_id`) narrows to: site, name, uses, sessions using it; `hint` as in
/// [`day_sessions`].
pub fn day_site_features(sites: &str, hint: &str) -> String {
    format!(
        "SELECT s.site_id, f.feature_name, COUNT(*), COUNT(DISTINCT f.session_id) \
         FROM feature_usage f JOIN ide_sessions s{hint} ON s.session_id = f.session_id \
         WHERE s.start_time >= ? AND s.start_time < ?{sites} GROUP BY s.site_id, f.feature_name"
    )
}

/// The report tables of a day, all of whose rows a rollup replaces.
pub const DAY_TABLES: [&str; 8] = [
    "daily_usage_summary",
    "daily_feature_usage",
    "daily_client_usage",
    "daily_site_usage",
    "daily_site_feature_usage",
    "daily_site_client_usage",
    "daily_site_hours",
    "daily_site_time",
];

/// The columns of `daily_site_hours` (V11), key first.
const HOUR_COLUMNS: [&str; 10] = [
    "date",
    "hour",
    "site_id",
    "sessions",
    "unique_visitors",
    "programs_run",
    "program_errors",
    "lines_executed",
    "total_duration_seconds",
    "total_active_seconds",
];

/// Rows per INSERT: well under both stores' limits on parameters per statement.
pub const ROWS_PER_INSERT: usize = 500;

/// One value of a report row; each store binds it in its own types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Date(NaiveDate),
    Time(NaiveDateTime),
    Text(String),
    Number(u64),
}

/// Rows of one report table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    /// The first `key` columns are the primary key.
    pub key: usize,
    pub rows: Vec<Vec<Cell>>,
}

impl TableRows {
    /// The rows of `table`, whose first `key` of `columns` are its primary key.
    pub fn new(
        table: &'static str,
        columns: &'static [&'static str],
        key: usize,
        rows: Vec<Vec<Cell>>,
    ) -> TableRows {
        TableRows {
            table,
            columns,
            key,
            rows,
        }
    }

    /// `INSERT INTO table (columns) VALUES (?, ...), ...` of `rows` rows, then `tail`.
    pub fn insert(&self, rows: usize, tail: &str) -> String {
        let one = format!("({})", vec!["?"; self.columns.len()].join(", "));
        format!(
            "INSERT INTO {} ({}) VALUES {}{tail}",
            self.table,
            self.columns.join(", "),
            vec![one; rows].join(", ")
        )
    }

    /// ` ON DUPLICATE KEY UPDATE` of every column but the key (MySQL).
    pub fn upsert_tail(&self) -> String {
        let set: Vec<String> = self.columns[self.key..]
            .iter()
            .map(|c| format!("{c} = VALUES({c})"))
            .collect();
        format!(" ON DUPLICATE KEY UPDATE {}", set.join(", "))
    }
}

/// The columns of an all-sites summary row.
const SUMMARY_COLUMNS: [&str; 12] = [
    "date",
    "unique_visitors",
    "ide_sessions",
    "programs_run",
    "total_lines_executed",
    "avg_session_duration_seconds",
    "total_duration_seconds",
    "total_active_seconds",
    "avg_active_seconds",
    "program_errors",
    "feature_uses",
    "rolled_up_at",
];
/// The all-sites row also records the zone its day was rolled up in (V16), so that a change of
/// `report_timezone` is seen and the kept days re-rolled (`report::rollup`).
static SUMMARY: [&str; 13] = with_last(SUMMARY_COLUMNS, "time_zone");
/// A site's: the same with `site_id` after the date, and the zone its day was rolled up in
/// (V18), so that a change of its zone (`site_timezones`) is seen and its days re-rolled.
static SITE_SUMMARY: [&str; 14] = with_site(SUMMARY_COLUMNS);

const fn with_last(columns: [&'static str; 12], last: &'static str) -> [&'static str; 13] {
    let mut out = [last; 13];
    let mut i = 0;
    while i < 12 {
        out[i] = columns[i];
        i += 1;
    }
    out
}

const fn with_site(columns: [&'static str; 12]) -> [&'static str; 14] {
    let mut out = ["time_zone"; 14];
    out[0] = columns[0];
    out[1] = "site_id";
    let mut i = 1;
    while i < 12 {
        out[i + 1] = columns[i];
        i += 1;
    }
    out
}

/// The rows of every report table for one rolled-up day (of `zone`), in [`DAY_TABLES`] order;
/// the summary rows name `zone`.
pub fn day_rows(day: &DayRollup, zone: ReportZone, now: NaiveDateTime) -> Vec<TableRows> {
    let [mut summary, features, clients] = rows_of(&[(None, &day.total)], now);
    let sites: Vec<_> = day.sites.iter().map(|(s, d)| (Some(s), d)).collect();
    let [mut site_summary, site_features, site_clients] = rows_of(&sites, now);
    for row in summary.iter_mut().chain(&mut site_summary) {
        row.push(Cell::Text(zone.name().to_string()));
    }
    vec![
        TableRows::new(DAY_TABLES[0], &SUMMARY[..], 1, summary),
        TableRows::new(
            DAY_TABLES[1],
            &["date", "feature_name", "uses", "sessions"],
            2,
            features,
        ),
        TableRows::new(
            DAY_TABLES[2],
            &["date", "dimension", "value", "sessions"],
            3,
            clients,
        ),
        TableRows::new(DAY_TABLES[3], &SITE_SUMMARY[..], 2, site_summary),
        TableRows::new(
            DAY_TABLES[4],
            &["date", "site_id", "feature_name", "uses", "sessions"],
            3,
            site_features,
        ),
        TableRows::new(
            DAY_TABLES[5],
            &["date", "site_id", "dimension", "value", "sessions"],
            4,
            site_clients,
        ),
        TableRows::new(DAY_TABLES[6], &HOUR_COLUMNS, 3, hour_rows(day)),
        TableRows::new(DAY_TABLES[7], &TIME_COLUMNS, 2, time_rows(day)),
    ]
}

/// The columns of `daily_site_time` (V15), key first.
const TIME_COLUMNS: [&str; 6] = [
    "date",
    "site_id",
    "sessions",
    "visible_ms",
    "active_ms",
    "no_input_sessions",
];

/// The rows of `daily_site_time`: each site's measured time, if it had any.
fn time_rows(day: &DayRollup) -> Vec<Vec<Cell>> {
    day.time
        .iter()
        .map(|(site, t)| {
            let mut row = vec![Cell::Date(day.total.row.date), Cell::Text(site.clone())];
            row.extend(
                [t.sessions, t.visible_ms, t.active_ms, t.no_input_sessions].map(Cell::Number),
            );
            row
        })
        .collect()
}

/// The rows of `daily_site_hours`: each site's hours with sessions.
fn hour_rows(day: &DayRollup) -> Vec<Vec<Cell>> {
    day.hours
        .iter()
        .map(|(site, h)| {
            let mut row = vec![
                Cell::Date(h.date),
                Cell::Number(h.hour.into()),
                Cell::Text(site.clone()),
            ];
            row.extend(
                [
                    h.sessions,
                    h.unique_visitors,
                    h.programs_run,
                    h.program_errors,
                    h.lines_executed,
                    h.total_duration_seconds,
                    h.total_active_seconds,
                ]
                .map(Cell::Number),
            );
            row
        })
        .collect()
}

/// The summary, feature and client rows of the given summaries, each keyed by date and, for a
/// site's, its id.
fn rows_of(group: &[(Option<&Site>, &DaySummary)], now: NaiveDateTime) -> [Vec<Vec<Cell>>; 3] {
    let mut rows: [Vec<Vec<Cell>>; 3] = Default::default();
    for &(site, day) in group {
        let key = || {
            let mut cells = vec![Cell::Date(day.row.date)];
            cells.extend(site.map(|s| Cell::Text(s.as_str().to_string())));
            cells
        };
        let r = &day.row;
        let mut summary = key();
        summary.extend(
            [
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
            ]
            .map(Cell::Number),
        );
        summary.push(Cell::Time(now));
        rows[0].push(summary);
        for f in &day.features {
            let mut row = key();
            row.extend([
                Cell::Text(f.name.clone()),
                Cell::Number(f.uses),
                Cell::Number(f.sessions),
            ]);
            rows[1].push(row);
        }
        for (dimension, value, sessions) in &day.clients {
            let mut row = key();
            row.extend([
                Cell::Text(dimension.clone()),
                Cell::Text(value.clone()),
                Cell::Number(*sessions),
            ]);
            rows[2].push(row);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::summary::day_pass::{DayPass, SessionRow};

    #[test]
    fn a_day_fills_every_table_with_its_key_first() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let mut pass = DayPass::default();
        for site in ["docs", "ide"] {
            pass.add_session(SessionRow {
                site: site.into(),
                visible_ms: u64::from(site == "ide") * 1000,
                ..SessionRow::default()
            });
        }
        let now = date.and_hms_opt(12, 0, 0).unwrap();
        let tables = day_rows(&pass.finish(date).unwrap(), ReportZone::UTC, now);
        let shape: Vec<(&str, usize, usize, usize)> = tables
            .iter()
            .map(|t| (t.table, t.key, t.rows.len(), t.columns.len()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("daily_usage_summary", 1, 1, 13),
                ("daily_feature_usage", 2, 0, 4),
                ("daily_client_usage", 3, 3, 4),
                ("daily_site_usage", 2, 2, 14),
                ("daily_site_feature_usage", 3, 0, 5),
                ("daily_site_client_usage", 4, 6, 5),
                ("daily_site_hours", 3, 2, 10),
                ("daily_site_time", 2, 1, 6),
            ],
            "three client rows (browser, os, device Unknown) per site; time of ide only"
        );
        assert!(tables
            .iter()
            .all(|t| t.rows.iter().all(|r| r.len() == t.columns.len())));
        assert_eq!(tables[3].rows[1][1], Cell::Text("ide".into()));
        assert_eq!(tables[0].rows[0][11], Cell::Time(now));
        assert_eq!(tables[0].rows[0][12], Cell::Text("UTC".into()));
        assert_eq!(tables[3].rows[0][13], Cell::Text("UTC".into()));
        let client = &tables[2];
        assert_eq!(
            client.insert(2, &client.upsert_tail()),
            "INSERT INTO daily_client_usage (date, dimension, value, sessions) VALUES (?, ?, ?, ?), \
             (?, ?, ?, ?) ON DUPLICATE KEY UPDATE sessions = VALUES(sessions)"
        );
    }
}

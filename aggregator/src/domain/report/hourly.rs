//! The hourly report (`/api/v1/stats/hourly`): for ranges of at most [`MAX_HOURLY_DAYS`] days, a
//! gap-free series of every hour of the range (24 per day) from the per-(date, hour, site)
//! summaries the rollup writes (`daily_site_hours`, V11); its CSV table is one row per hour.
//!
//! A session counts in the local hour it started ([`ReportZone::hour_of`]), as it counts on the
//! local day it started; visitors of an hour are the distinct visitor hashes among that hour's
//! sessions (plus one per session without a hash), so the hours of a day can add up to more than
//! its unique visitors. Every day has 24 points: on the day clocks fall back the repeated hour's
//! two passes add up in one point, on the day they spring forward the skipped hour is zeros.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table};
use super::dates::{BadRange, DateRange, Span};
use crate::domain::zone::ReportZone;

/// Longest range `/hourly` answers, in days (168 hours).
pub const MAX_HOURLY_DAYS: u64 = 7;

/// Refuses a range longer than [`MAX_HOURLY_DAYS`], naming `to`.
pub fn check_range(range: &DateRange) -> Result<(), BadRange> {
    if range.len() > MAX_HOURLY_DAYS {
        return Err(BadRange {
            field: "to",
            reason: format!(
                "the hourly report covers at most {MAX_HOURLY_DAYS} days; the range covers {}",
                range.len()
            ),
        });
    }
    Ok(())
}

/// One stored (or summed over sites) row of `daily_site_hours`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HourRow {
    pub date: NaiveDate,
    pub hour: u8,
    pub sessions: u64,
    pub unique_visitors: u64,
    pub programs_run: u64,
    pub program_errors: u64,
    pub lines_executed: u64,
    pub total_duration_seconds: u64,
    pub total_active_seconds: u64,
}

impl HourRow {
    fn add(&mut self, other: &HourRow) {
        self.sessions += other.sessions;
        self.unique_visitors += other.unique_visitors;
        self.programs_run += other.programs_run;
        self.program_errors += other.program_errors;
        self.lines_executed += other.lines_executed;
        self.total_duration_seconds += other.total_duration_seconds;
        self.total_active_seconds += other.total_active_seconds;
    }
}

/// One hour's sessions of one site being gathered by the rollup's pass over a day.
#[derive(Debug, Default)]
pub struct HourTally {
    row: HourRow,
    hashes: HashSet<String>,
}

impl HourTally {
    /// Adds a session that started in this hour: its hash (`None` with `no_visitor` false is a
    /// visitor of its own, with `no_visitor` true none), runs and times.
    pub fn add_session(&mut self, hash: Option<&str>, no_visitor: bool, figures: &HourRow) {
        match hash {
            Some(hash) => {
                self.hashes.insert(hash.to_string());
            }
            None if no_visitor => {}
            None => self.row.unique_visitors += 1,
        }
        self.row.add(&HourRow {
            unique_visitors: 0,
            ..figures.clone()
        });
        self.row.sessions += 1;
    }

    /// The hour's row of `date`.
    pub fn finish(self, date: NaiveDate, hour: u8) -> HourRow {
        HourRow {
            date,
            hour,
            unique_visitors: self.row.unique_visitors + self.hashes.len() as u64,
            ..self.row
        }
    }
}

/// One hour of the series.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HourPoint {
    pub date: NaiveDate,
    /// 0 to 23, local time in `time_zone` (the hour repeated when clocks fall back is one
    /// point holding both of its passes).
    pub hour: u8,
    /// Sessions that started in the hour.
    pub sessions: u64,
    /// Distinct visitors among those sessions (summed over sites; a hash is per site).
    pub unique_visitors: u64,
    pub programs_run: u64,
    pub program_errors: u64,
    pub lines_executed: u64,
    /// Sum of those sessions' durations and active times.
    pub duration_seconds: u64,
    pub active_seconds: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HourlyAnswer {
    /// With `time_zone`, the zone the days and hours are in.
    #[serde(flatten)]
    pub span: Span,
    /// Every hour of the range in order, 24 per day; hours without sessions are zeros.
    pub hours: Vec<HourPoint>,
}

impl HourlyAnswer {
    /// The gap-free series of `range` (local days of `zone`) from its stored rows (any order,
    /// several per hour when they are per site: they add up).
    pub fn of(range: &DateRange, rows: &[HourRow], zone: ReportZone) -> HourlyAnswer {
        let mut by_hour = BTreeMap::<(NaiveDate, u8), HourRow>::new();
        for row in rows {
            by_hour.entry((row.date, row.hour)).or_default().add(row);
        }
        let hours = range
            .days()
            .flat_map(|date| (0..24).map(move |hour| (date, hour)))
            .map(|(date, hour)| {
                let row = by_hour.remove(&(date, hour)).unwrap_or_default();
                HourPoint {
                    date,
                    hour,
                    sessions: row.sessions,
                    unique_visitors: row.unique_visitors,
                    programs_run: row.programs_run,
                    program_errors: row.program_errors,
                    lines_executed: row.lines_executed,
                    duration_seconds: row.total_duration_seconds,
                    active_seconds: row.total_active_seconds,
                }
            })
            .collect();
        HourlyAnswer {
            span: Span::of(range, zone),
            hours,
        }
    }
}

/// An hour of the CSV table.
#[derive(Serialize)]
struct Row {
    date: NaiveDate,
    hour: u8,
    sessions: u64,
    unique_visitors: u64,
    programs_run: u64,
    program_errors: u64,
    lines_executed: u64,
    duration_seconds: u64,
    active_seconds: u64,
}

const COLUMNS: [&str; 9] = [
    "date",
    "hour",
    "sessions",
    "unique_visitors",
    "programs_run",
    "program_errors",
    "lines_executed",
    "duration_seconds",
    "active_seconds",
];

impl Table for HourlyAnswer {
    fn file_name(&self) -> &str {
        "hourly"
    }

    fn span(&self) -> Option<&Span> {
        Some(&self.span)
    }

    fn csv(&self) -> String {
        csv::write(
            &COLUMNS,
            self.hours.iter().map(|h| Row {
                date: h.date,
                hour: h.hour,
                sessions: h.sessions,
                unique_visitors: h.unique_visitors,
                programs_run: h.programs_run,
                program_errors: h.program_errors,
                lines_executed: h.lines_executed,
                duration_seconds: h.duration_seconds,
                active_seconds: h.active_seconds,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn visitors_are_distinct_within_the_hour() {
        let mut tally = HourTally::default();
        let runs = HourRow {
            programs_run: 2,
            total_active_seconds: 30,
            ..HourRow::default()
        };
        tally.add_session(Some("a"), false, &runs);
        tally.add_session(Some("a"), false, &runs);
        tally.add_session(None, false, &runs);
        tally.add_session(None, true, &runs);
        let row = tally.finish(d("2026-11-27"), 5);
        assert_eq!(
            (row.sessions, row.unique_visitors, row.programs_run),
            (4, 2, 8)
        );
        assert_eq!((row.hour, row.total_active_seconds), (5, 120));
    }

    #[test]
    fn the_series_has_every_hour_and_adds_sites_up() {
        let range = DateRange {
            from: d("2026-11-27"),
            to: d("2026-11-28"),
        };
        let row = |date: &str, hour, sessions| HourRow {
            date: d(date),
            hour,
            sessions,
            unique_visitors: sessions,
            ..HourRow::default()
        };
        let rows = [
            row("2026-11-28", 0, 1),
            row("2026-11-27", 23, 2),
            row("2026-11-27", 23, 3),
        ];
        let answer = HourlyAnswer::of(&range, &rows, ReportZone::UTC);
        assert_eq!(answer.span.time_zone, "UTC");
        assert_eq!(answer.hours.len(), 48);
        assert_eq!(answer.hours[23].sessions, 5, "two sites of 23:00");
        assert_eq!(
            (answer.hours[24].date, answer.hours[24].hour),
            (d("2026-11-28"), 0)
        );
        assert_eq!(answer.hours[24].sessions, 1);
        assert_eq!(answer.hours.iter().map(|h| h.sessions).sum::<u64>(), 6);
        let csv = answer.csv();
        assert_eq!(csv.lines().count(), 49);
        assert!(csv.contains("2026-11-27,23,5,5,0,0,0,0,0\r\n"), "{csv}");
    }

    #[test]
    fn ranges_over_a_week_are_refused() {
        let week = DateRange {
            from: d("2026-11-22"),
            to: d("2026-11-28"),
        };
        assert!(check_range(&week).is_ok());
        let eight = DateRange {
            from: d("2026-11-21"),
            ..week
        };
        assert_eq!(check_range(&eight).unwrap_err().field, "to");
    }
}

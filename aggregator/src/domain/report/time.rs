//! The time report (`/api/v1/stats/time`): where a session's visible time goes, per day. From the
//! per-(date, site) sums the rollup writes (`daily_site_time`, V15) and the run time of the same
//! sessions (`daily_site_programs.execution_ms_total`, V8): the average visible, active
//! (editing), running and idle-but-visible time per session, and the share of sessions without
//! any input. Its CSV table is one row per day.
//!
//! Only sessions whose browser measured a visible time count ([`TimeTally::add_session`]): a
//! session only a server reported, or a row of the old tracker, has none, and no time to split.
//! Idle is `visible − active − running`, clamped at 0 per (date, site) sum ([`TimeRow::idle_ms`]):
//! the sums, not each session, since run time is stored per day and site only. docs/reports.md,
//! "Where the time goes", says what that definition can and cannot tell.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table};
use super::dates::{DateRange, Span};
use crate::domain::zone::ReportZone;

/// One (date, site) of the stored figures, with the site's run time that day; or their sum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeRow {
    pub date: NaiveDate,
    /// Sessions with a measured visible time.
    pub sessions: u64,
    pub visible_ms: u64,
    pub active_ms: u64,
    /// Of those, the sessions without any input (active time 0).
    pub no_input_sessions: u64,
    /// The run time of every program run of the site's sessions started that day.
    pub running_ms: u64,
}

impl TimeRow {
    /// Visible time that was neither input nor a program running, at least 0. Active and running
    /// time can overlap (keys typed while a program runs count as both), and runs of a hidden
    /// tab still count as running, so this is a lower bound of the idle time.
    pub fn idle_ms(&self) -> u64 {
        self.visible_ms
            .saturating_sub(self.active_ms)
            .saturating_sub(self.running_ms)
    }
}

/// One site's sessions of a day being gathered by the rollup's pass (`day_pass`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TimeTally {
    pub sessions: u64,
    pub visible_ms: u64,
    pub active_ms: u64,
    pub no_input_sessions: u64,
}

impl TimeTally {
    /// Adds a session's stored `visible_ms` and `active_ms`. A session with no visible time was
    /// never measured by a browser (a server's or the old tracker's row): it is left out. Active
    /// time never exceeds visible time (the ingest refuses it; clamped here all the same).
    pub fn add_session(&mut self, visible_ms: u64, active_ms: u64) {
        if visible_ms == 0 {
            return;
        }
        self.sessions += 1;
        self.visible_ms += visible_ms;
        self.active_ms += active_ms.min(visible_ms);
        if active_ms == 0 {
            self.no_input_sessions += 1;
        }
    }

    /// Whether any session counted: a day-site without one has no row.
    pub fn is_empty(&self) -> bool {
        self.sessions == 0
    }
}

/// A day's (or the range's) split of the time of an average session, in seconds (one decimal);
/// null where no session had a measured visible time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct TimeFigures {
    /// Sessions whose browser measured a visible time: what the averages divide by.
    pub sessions: u64,
    /// Time the page was visible.
    pub avg_visible_seconds: Option<f64>,
    /// Time with input (keys, pointer presses, wheel, touch): editing.
    pub avg_active_seconds: Option<f64>,
    /// Program run time (of every run of the day's sessions of the sites counted).
    pub avg_running_seconds: Option<f64>,
    /// Visible, neither active nor running (visible − active − running, at least 0 per day and
    /// site).
    pub avg_idle_seconds: Option<f64>,
    /// Sessions with a visible time but no input at all.
    pub no_input_sessions: u64,
    /// `no_input_sessions / sessions`, four decimals.
    pub no_input_share: Option<f64>,
}

/// Sums of rows: what [`TimeFigures`] are made from.
#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    sessions: u64,
    visible_ms: u64,
    active_ms: u64,
    running_ms: u64,
    idle_ms: u64,
    no_input_sessions: u64,
}

impl Sums {
    fn add(&mut self, row: &TimeRow) {
        self.sessions += row.sessions;
        self.visible_ms += row.visible_ms;
        self.active_ms += row.active_ms;
        self.running_ms += row.running_ms;
        self.idle_ms += row.idle_ms();
        self.no_input_sessions += row.no_input_sessions;
    }

    fn merge(&mut self, other: &Sums) {
        self.sessions += other.sessions;
        self.visible_ms += other.visible_ms;
        self.active_ms += other.active_ms;
        self.running_ms += other.running_ms;
        self.idle_ms += other.idle_ms;
        self.no_input_sessions += other.no_input_sessions;
    }

    fn figures(&self) -> TimeFigures {
        let n = self.sessions;
        let avg = |ms: u64| (n > 0).then(|| (ms as f64 / n as f64 / 100.0).round() / 10.0);
        TimeFigures {
            sessions: n,
            avg_visible_seconds: avg(self.visible_ms),
            avg_active_seconds: avg(self.active_ms),
            avg_running_seconds: avg(self.running_ms),
            avg_idle_seconds: avg(self.idle_ms),
            no_input_sessions: self.no_input_sessions,
            no_input_share: (n > 0)
                .then(|| (self.no_input_sessions as f64 / n as f64 * 10_000.0).round() / 10_000.0),
        }
    }
}

/// One day of the series.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimeDay {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub figures: TimeFigures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries were last brought up to date (UTC), as in every range answer.
    pub summaries_as_of: Option<DateTime<Utc>>,
    /// Every day of the range in order; a day without measured sessions has nulls.
    pub days: Vec<TimeDay>,
    /// The whole range (averages over all its measured sessions).
    pub totals: TimeFigures,
}

impl TimeAnswer {
    /// The gap-free series of `range` (local days of `zone`) from its stored rows (any order, one
    /// per date and site).
    pub fn of(
        range: &DateRange,
        rows: &[TimeRow],
        summaries_as_of: Option<DateTime<Utc>>,
        zone: ReportZone,
    ) -> TimeAnswer {
        let mut by_day = BTreeMap::<NaiveDate, Sums>::new();
        for row in rows {
            by_day.entry(row.date).or_default().add(row);
        }
        let mut total = Sums::default();
        let days = range
            .days()
            .map(|date| {
                let sums = by_day.remove(&date).unwrap_or_default();
                total.merge(&sums);
                TimeDay {
                    date,
                    figures: sums.figures(),
                }
            })
            .collect();
        TimeAnswer {
            span: Span::of(range, zone),
            summaries_as_of,
            days,
            totals: total.figures(),
        }
    }
}

/// A day of the CSV table.
#[derive(Serialize)]
struct Row {
    date: NaiveDate,
    sessions: u64,
    avg_visible_seconds: Option<f64>,
    avg_active_seconds: Option<f64>,
    avg_running_seconds: Option<f64>,
    avg_idle_seconds: Option<f64>,
    no_input_sessions: u64,
    no_input_share: Option<f64>,
}

const COLUMNS: [&str; 8] = [
    "date",
    "sessions",
    "avg_visible_seconds",
    "avg_active_seconds",
    "avg_running_seconds",
    "avg_idle_seconds",
    "no_input_sessions",
    "no_input_share",
];

impl Table for TimeAnswer {
    fn file_name(&self) -> &str {
        "time"
    }

    fn span(&self) -> Option<&Span> {
        Some(&self.span)
    }

    fn csv(&self) -> String {
        csv::write(
            &COLUMNS,
            self.days.iter().map(|d| {
                let f = &d.figures;
                Row {
                    date: d.date,
                    sessions: f.sessions,
                    avg_visible_seconds: f.avg_visible_seconds,
                    avg_active_seconds: f.avg_active_seconds,
                    avg_running_seconds: f.avg_running_seconds,
                    avg_idle_seconds: f.avg_idle_seconds,
                    no_input_sessions: f.no_input_sessions,
                    no_input_share: f.no_input_share,
                }
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
    fn a_session_without_visible_time_is_not_measured_and_one_without_input_counts() {
        let mut tally = TimeTally::default();
        tally.add_session(0, 0);
        tally.add_session(60_000, 0);
        tally.add_session(120_000, 30_000);
        tally.add_session(10_000, 20_000);
        assert_eq!(
            tally,
            TimeTally {
                sessions: 3,
                visible_ms: 190_000,
                active_ms: 40_000,
                no_input_sessions: 1,
            },
            "the server's session left out; active clamped at the 10 s visible"
        );
        assert!(TimeTally::default().is_empty());
    }

    #[test]
    fn idle_is_clamped_per_day_and_site_before_the_sites_add_up() {
        let range = DateRange {
            from: d("2026-11-27"),
            to: d("2026-11-28"),
        };
        let row = |sessions, visible_ms, active_ms, running_ms, no_input_sessions| TimeRow {
            date: d("2026-11-27"),
            sessions,
            visible_ms,
            active_ms,
            no_input_sessions,
            running_ms,
        };
        // ide: 2 sessions, 180 s visible, 30 s active, 10 s running: 140 s idle.
        // docs: 1 session, 5 s visible, 1 s active, 9 s running: idle 0, not -5 s.
        let rows = [
            row(2, 180_000, 30_000, 10_000, 1),
            row(1, 5_000, 1_000, 9_000, 0),
        ];
        let answer = TimeAnswer::of(&range, &rows, None, ReportZone::default());
        assert_eq!(answer.days.len(), 2, "gap-free");
        let day = &answer.days[0].figures;
        assert_eq!(day.sessions, 3);
        assert_eq!(day.avg_visible_seconds, Some(61.7), "185 s / 3");
        assert_eq!(day.avg_active_seconds, Some(10.3), "31 s / 3");
        assert_eq!(day.avg_running_seconds, Some(6.3), "19 s / 3");
        assert_eq!(day.avg_idle_seconds, Some(46.7), "140 s / 3");
        assert_eq!(
            (day.no_input_sessions, day.no_input_share),
            (1, Some(0.3333))
        );
        let empty = &answer.days[1].figures;
        assert_eq!((empty.sessions, empty.avg_idle_seconds), (0, None));
        assert_eq!(&answer.totals, day, "the other day had none");
        let csv = answer.csv();
        assert!(
            csv.starts_with("date,sessions,avg_visible_seconds,"),
            "{csv}"
        );
        assert!(
            csv.contains("2026-11-27,3,61.7,10.3,6.3,46.7,1,0.3333\r\n"),
            "{csv}"
        );
        assert!(csv.contains("2026-11-28,0,,,,,0,\r\n"), "{csv}");
    }
}

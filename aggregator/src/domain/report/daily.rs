//! The daily report (`/api/v1/stats/daily`, `usage-aggregator stats`): a gap-free series of the
//! range's days and its totals ([`super::shape::series`], [`super::shape::totals`]), with how
//! fresh the figures are; its CSV table (one row per day) and the CLI's text table ([`table`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table};
use super::dates::{DateRange, Span};
use super::filtered::FilteredTotals;
use super::model::{DailyPoint, DailyRow, Totals};
use super::shape;
use crate::domain::zone::ReportZone;

pub mod table;

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    /// One point per day of the range, in order; days without sessions are zeros.
    pub days: Vec<DailyPoint>,
    pub totals: Totals,
    /// When the rollup last recomputed any day; null before its first run.
    pub rolled_up_at: Option<DateTime<Utc>>,
    /// Days answered from the raw rows (not rolled up yet, or changed since their rollup).
    pub live_days: Vec<NaiveDate>,
    /// The retention in force (what the dashboard shows under its status line).
    pub retention: RetentionInForce,
    /// Sessions of the range filtered instead of stored, by reason (docs/reports.md, "Filtered
    /// traffic"): in none of the figures above.
    pub filtered: FilteredTotals,
    /// With `compare=previous` only: the totals of the period of the same length that ends the
    /// day before `from`, read by the same report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousTotals>,
}

/// The previous period's span and totals (`compare=previous`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PreviousTotals {
    #[serde(flatten)]
    pub span: Span,
    pub totals: Totals,
}

impl From<DailyAnswer> for PreviousTotals {
    fn from(answer: DailyAnswer) -> Self {
        PreviousTotals {
            span: answer.span,
            totals: answer.totals,
        }
    }
}

/// The retention in force (`retention_days`, `summary_text_retention_days`) and the first day
/// each keeps today: raw rows (sessions, sessions list) and summary free text (error examples,
/// feature data); counts are kept for every day.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct RetentionInForce {
    pub raw_rows_days: u32,
    pub raw_rows_from: NaiveDate,
    pub summary_text_days: u32,
    pub summary_text_from: NaiveDate,
}

impl DailyAnswer {
    /// The answer of the range's daily rows (stored and live, by date).
    pub fn of(
        range: &DateRange,
        rows: &[DailyRow],
        rolled_up_at: Option<DateTime<Utc>>,
        live_days: Vec<NaiveDate>,
        retention: RetentionInForce,
        filtered: FilteredTotals,
        zone: ReportZone,
    ) -> DailyAnswer {
        DailyAnswer {
            span: Span::of(range, zone),
            summaries_as_of: None,
            days: shape::series(range, rows),
            totals: shape::totals(rows),
            rolled_up_at,
            live_days,
            retention,
            filtered,
            previous: None,
        }
    }
}

impl DailyAnswer {
    /// Each day's sessions filtered instead of stored (`days[].filtered`), from the per-day
    /// counts of the range (any order; a day not listed had none).
    pub fn with_filtered_days(mut self, by_day: &[(NaiveDate, FilteredTotals)]) -> DailyAnswer {
        for point in &mut self.days {
            for (date, filtered) in by_day {
                if *date == point.date {
                    point.filtered.automation += filtered.automation;
                    point.filtered.crawler += filtered.crawler;
                }
            }
        }
        self
    }
}

/// A day of the CSV table (the columns in the order the export has always had, sorted by name).
#[derive(Serialize)]
struct Row {
    avg_active_seconds: u64,
    avg_duration_seconds: u64,
    date: NaiveDate,
    feature_uses: u64,
    #[serde(rename = "filtered.automation")]
    filtered_automation: u64,
    #[serde(rename = "filtered.crawler")]
    filtered_crawler: u64,
    lines_executed: u64,
    program_errors: u64,
    programs_run: u64,
    sessions: u64,
    success_rate: Option<f64>,
    unique_visitors: u64,
}

const COLUMNS: [&str; 12] = [
    "avg_active_seconds",
    "avg_duration_seconds",
    "date",
    "feature_uses",
    "filtered.automation",
    "filtered.crawler",
    "lines_executed",
    "program_errors",
    "programs_run",
    "sessions",
    "success_rate",
    "unique_visitors",
];

impl Table for DailyAnswer {
    fn file_name(&self) -> &str {
        "daily"
    }

    fn span(&self) -> Option<&Span> {
        Some(&self.span)
    }

    fn csv(&self) -> String {
        csv::write(
            &COLUMNS,
            self.days.iter().map(|d| Row {
                avg_active_seconds: d.figures.avg_active_seconds,
                avg_duration_seconds: d.figures.avg_duration_seconds,
                date: d.date,
                feature_uses: d.figures.feature_uses,
                filtered_automation: d.filtered.automation,
                filtered_crawler: d.filtered.crawler,
                lines_executed: d.figures.lines_executed,
                program_errors: d.figures.program_errors,
                programs_run: d.figures.programs_run,
                sessions: d.sessions,
                success_rate: d.figures.success_rate,
                unique_visitors: d.unique_visitors,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_one_line_per_day() {
        let range = DateRange {
            from: "2026-11-27".parse().unwrap(),
            to: "2026-11-28".parse().unwrap(),
        };
        let rows = [DailyRow {
            date: range.from,
            sessions: 3,
            unique_visitors: 2,
            programs_run: 4,
            program_errors: 1,
            ..DailyRow::default()
        }];
        let retention = RetentionInForce {
            raw_rows_days: 1,
            raw_rows_from: range.from,
            summary_text_days: 1,
            summary_text_from: range.from,
        };
        let answer = DailyAnswer::of(
            &range,
            &rows,
            None,
            vec![],
            retention,
            FilteredTotals::default(),
            ReportZone::UTC,
        );
        let filtered = FilteredTotals {
            automation: 2,
            crawler: 1,
        };
        let answer = answer.with_filtered_days(&[(range.to, filtered), (range.to, filtered)]);
        assert_eq!(
            answer.days[1].filtered.automation, 4,
            "two sites' rows add up"
        );
        assert_eq!(
            answer.csv(),
            "avg_active_seconds,avg_duration_seconds,date,feature_uses,filtered.automation,filtered.crawler,lines_executed,program_errors,programs_run,sessions,success_rate,unique_visitors\r\n\
             0,0,2026-11-27,0,0,0,0,1,4,3,0.75,2\r\n\
             0,0,2026-11-28,0,4,2,0,0,0,0,,0\r\n"
        );
    }
}

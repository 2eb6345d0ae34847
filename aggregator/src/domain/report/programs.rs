//! The programs report (`/api/v1/stats/programs`): runs of the sessions started in the range,
//! their outcomes, run times and histogram ([`super::shape::programs`]); its CSV table is one
//! row of totals (the histogram stays in the JSON).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table};
use super::dates::Span;
use super::model::ProgramStats;

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramsAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub programs: ProgramStats,
    /// With `compare=previous` only: the same figures over the period of the same length that
    /// ends the day before `from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousPrograms>,
}

/// The previous period's span and run figures (`compare=previous`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PreviousPrograms {
    #[serde(flatten)]
    pub span: Span,
    #[serde(flatten)]
    pub programs: ProgramStats,
}

impl From<ProgramsAnswer> for PreviousPrograms {
    fn from(answer: ProgramsAnswer) -> Self {
        PreviousPrograms {
            span: answer.span,
            programs: answer.programs,
        }
    }
}

/// The CSV table's one row (the columns in the order the export has always had).
#[derive(Serialize)]
struct Row {
    avg_lines_executed: Option<u64>,
    #[serde(rename = "execution_ms.avg")]
    execution_ms_avg: Option<u64>,
    #[serde(rename = "execution_ms.max")]
    execution_ms_max: Option<u64>,
    #[serde(rename = "execution_ms.p50")]
    execution_ms_p50: Option<u64>,
    #[serde(rename = "execution_ms.p95")]
    execution_ms_p95: Option<u64>,
    failed: u64,
    from: NaiveDate,
    lines_executed: u64,
    runs: u64,
    succeeded: u64,
    success_rate: Option<f64>,
    to: NaiveDate,
    unknown: u64,
}

const COLUMNS: [&str; 13] = [
    "avg_lines_executed",
    "execution_ms.avg",
    "execution_ms.max",
    "execution_ms.p50",
    "execution_ms.p95",
    "failed",
    "from",
    "lines_executed",
    "runs",
    "succeeded",
    "success_rate",
    "to",
    "unknown",
];

impl Table for ProgramsAnswer {
    fn file_name(&self) -> &str {
        "programs"
    }

    fn span(&self) -> Option<&Span> {
        Some(&self.span)
    }

    fn csv(&self) -> String {
        let p = &self.programs;
        let row = Row {
            avg_lines_executed: p.avg_lines_executed,
            execution_ms_avg: p.execution_ms.avg,
            execution_ms_max: p.execution_ms.max,
            execution_ms_p50: p.execution_ms.p50,
            execution_ms_p95: p.execution_ms.p95,
            failed: p.failed,
            from: self.span.from,
            lines_executed: p.lines_executed,
            runs: p.runs,
            succeeded: p.succeeded,
            success_rate: p.success_rate,
            to: self.span.to,
            unknown: p.unknown,
        };
        csv::write(&COLUMNS, [row])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::model::ProgramTotals;
    use crate::domain::report::shape;

    #[test]
    fn the_table_is_one_line_of_totals() {
        let day = "2026-11-28".parse().unwrap();
        let answer = ProgramsAnswer {
            span: Span::of(
                &crate::domain::report::dates::DateRange { from: day, to: day },
                Default::default(),
            ),
            summaries_as_of: None,
            programs: shape::programs(&ProgramTotals {
                runs: 4,
                failed: 1,
                lines_executed: 40,
                execution_ms_total: 400,
                execution_ms_max: 300,
                buckets: vec![(3, 2), (8, 2)],
                ..ProgramTotals::default()
            }),
            previous: None,
        };
        assert_eq!(
            answer.csv(),
            "avg_lines_executed,execution_ms.avg,execution_ms.max,execution_ms.p50,execution_ms.p95,\
             failed,from,lines_executed,runs,succeeded,success_rate,to,unknown\r\n\
             10,100,300,16,300,1,2026-11-28,40,4,3,0.75,2026-11-28,0\r\n"
        );
    }
}

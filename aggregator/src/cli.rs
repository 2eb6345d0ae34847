//! `usage-aggregator stats`: a report of the last days for a terminal, answered by the functions
//! the routes and the MCP tools call (`http::stats::*_answer`), so that the CLI, the API and MCP
//! answer alike within the same limits; `--json` prints the route's JSON as it is.

use std::fmt::Write as _;

use crate::domain::report::csv::Table;
use crate::domain::report::daily::{table, DailyAnswer};
use crate::domain::report::dates::DateRange;
use crate::domain::report::site::Site;
use crate::http::stats::query::{Compare, Range, SiteParam};
use crate::http::stats::{reports, time, StatsError};
use crate::report::Source;

/// The reports `stats --report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Report {
    /// The daily summaries as a table (`/daily`).
    Daily,
    /// Sessions by the hour they started, as CSV (`/hourly`; at most 7 days).
    Hourly,
    /// Where the sessions' time goes, as CSV (`/time`).
    Time,
}

/// What `stats` was asked.
#[derive(Debug, Clone)]
pub struct Ask {
    pub report: Report,
    /// Days ending today; without it 14, or 1 for the hourly report.
    pub days: Option<u64>,
    pub json: bool,
    pub site: Option<String>,
    /// `previous` (the daily report only).
    pub compare: Option<String>,
}

/// The text `stats` prints for `ask`, or what was wrong, naming the option.
pub async fn print(source: Source, ask: Ask) -> anyhow::Result<String> {
    let days = ask.days.unwrap_or(match ask.report {
        Report::Hourly => 1,
        Report::Daily | Report::Time => 14,
    });
    if ask.compare.is_some() && ask.report != Report::Daily {
        anyhow::bail!("--compare: only the daily report compares");
    }
    // Today of the site's zone (a bad site id is refused by the report, naming it).
    let site = ask.site.as_deref().and_then(Site::from_stored);
    let range = DateRange::ending(source.today_of(site.as_ref()), days);
    let span = Range {
        from: Some(range.from.to_string()),
        to: Some(range.to.to_string()),
    };
    let only = SiteParam { site: ask.site };
    let text = match ask.report {
        Report::Daily => {
            let compare = Compare {
                compare: ask.compare,
            };
            let answer = reports::daily_answer(source, span, only, compare)
                .await
                .map_err(|e| refused(e, &range))?;
            if ask.json {
                serde_json::to_string(&answer)? + "\n"
            } else {
                daily_text(&answer)
            }
        }
        Report::Hourly => {
            let answer = reports::hourly_answer(source, span, only)
                .await
                .map_err(|e| refused(e, &range))?;
            text_of(&answer, ask.json)?
        }
        Report::Time => {
            let answer = time::time_answer(source, span, only)
                .await
                .map_err(|e| refused(e, &range))?;
            text_of(&answer, ask.json)?
        }
    };
    Ok(text)
}

/// The route's JSON on one line, or the report's CSV table.
fn text_of<T: serde::Serialize + Table>(answer: &T, json: bool) -> anyhow::Result<String> {
    Ok(if json {
        serde_json::to_string(answer)? + "\n"
    } else {
        answer.csv()
    })
}

/// The daily table, then what was filtered, then the previous period's totals if asked.
pub fn daily_text(answer: &DailyAnswer) -> String {
    let mut out = table::render(&answer.days, &answer.totals);
    let filtered = &answer.filtered;
    let _ = writeln!(
        out,
        "filtered (not in the figures): {} automation, {} crawler session(s)",
        filtered.automation, filtered.crawler
    );
    if let Some(previous) = &answer.previous {
        let t = &previous.totals;
        let _ = writeln!(
            out,
            "previous {} to {}: {} session(s), {} visitor-day(s), {} program run(s)",
            previous.span.from,
            previous.span.to,
            t.sessions,
            t.visitor_days,
            t.figures.programs_run
        );
    }
    out
}

/// A refusal as the option that caused it (`--site`, or `--days` for the range), or the store's
/// failure with the range it was reading.
fn refused(error: StatsError, range: &DateRange) -> anyhow::Error {
    match error {
        StatsError::BadQuery(bad) => {
            let option = match bad.field {
                "from" | "to" => "days",
                other => other,
            };
            anyhow::anyhow!("--{option}: {}", bad.reason)
        }
        other => anyhow::Error::new(other).context(format!(
            "reading the summaries from {} to {}",
            range.from, range.to
        )),
    }
}

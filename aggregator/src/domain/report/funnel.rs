//! The funnel report (`/api/v1/stats/funnel`): sessions started in the range that reached each
//! step of the configured funnel in order (`funnel`, default opened → run → success → feature).
//! The rollup stores each day's counts per site and step (`daily_site_funnel`, V14) with the
//! funnel configured when it rolled the day up; a changed funnel applies to the days rolled up
//! after the change, so a range across a change lists both funnels' steps (each (index, name)
//! as stored), which `steps` says apart.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table, Text};
use super::dates::Span;

/// One step's sessions over the range.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FunnelStep {
    /// 0 for the first step.
    pub step: u32,
    /// As configured: `opened`, `run`, `success`, `failure`, `feature` or `feature:<name>`.
    pub name: String,
    /// Sessions that reached this step and every step before it, in order.
    pub sessions: u64,
    /// `sessions` over the range's sessions (4 places); null without sessions.
    pub share_of_sessions: Option<f64>,
    /// `sessions` over the previous step's (4 places); null for the first step, where the
    /// previous step had no sessions, or where the range holds two funnels at that index.
    pub share_of_previous: Option<f64>,
}

/// The stored (step, name, sessions) sums, by step then name, as the funnel's steps.
pub fn steps(rows: Vec<(u32, String, u64)>, sessions: u64) -> Vec<FunnelStep> {
    let share = |part: u64, whole: u64| {
        (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
    };
    let mut out: Vec<FunnelStep> = Vec::with_capacity(rows.len());
    for (i, (step, name, n)) in rows.iter().enumerate() {
        let one_at = |index: u32| rows.iter().filter(|r| r.0 == index).count() == 1;
        let previous = (*step > 0 && one_at(*step) && one_at(step - 1))
            .then(|| rows[..i].iter().rfind(|r| r.0 == step - 1))
            .flatten()
            .and_then(|p| share(*n, p.2));
        out.push(FunnelStep {
            step: *step,
            name: name.clone(),
            sessions: *n,
            share_of_sessions: share(*n, sessions),
            share_of_previous: previous,
        });
    }
    out
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries were last brought up to date (as on every range route).
    pub summaries_as_of: Option<DateTime<Utc>>,
    /// Sessions started in the range (the journey's count).
    pub sessions: u64,
    /// By step, then name.
    pub steps: Vec<FunnelStep>,
    /// With `compare=previous` only: the same over the period of the same length that ends the
    /// day before `from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousFunnel>,
}

/// The previous period's span and steps (`compare=previous`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PreviousFunnel {
    #[serde(flatten)]
    pub span: Span,
    pub sessions: u64,
    pub steps: Vec<FunnelStep>,
}

impl From<FunnelAnswer> for PreviousFunnel {
    fn from(answer: FunnelAnswer) -> Self {
        PreviousFunnel {
            span: answer.span,
            sessions: answer.sessions,
            steps: answer.steps,
        }
    }
}

/// The CSV table: one row per step.
#[derive(Serialize)]
struct Row<'a> {
    from: NaiveDate,
    to: NaiveDate,
    step: u32,
    name: Text<'a>,
    sessions: u64,
    share_of_sessions: Option<f64>,
    share_of_previous: Option<f64>,
}

const COLUMNS: [&str; 7] = [
    "from",
    "to",
    "step",
    "name",
    "sessions",
    "share_of_sessions",
    "share_of_previous",
];

impl Table for FunnelAnswer {
    fn file_name(&self) -> &str {
        "funnel"
    }

    fn span(&self) -> Option<&Span> {
        Some(&self.span)
    }

    fn csv(&self) -> String {
        csv::write(
            &COLUMNS,
            self.steps.iter().map(|s| Row {
                from: self.span.from,
                to: self.span.to,
                step: s.step,
                name: Text(&s.name),
                sessions: s.sessions,
                share_of_sessions: s.share_of_sessions,
                share_of_previous: s.share_of_previous,
            }),
        )
    }
}

/// The answer as the `funnel` command prints it: one step a line.
pub fn render(answer: &FunnelAnswer) -> String {
    let mut out = format!(
        "funnel {} to {}, {} session(s)\n{:<4} {:<24} {:>9} {:>9} {:>9}\n",
        answer.span.from,
        answer.span.to,
        answer.sessions,
        "step",
        "name",
        "sessions",
        "of all",
        "of prev"
    );
    let pct = |s: Option<f64>| s.map_or("-".to_string(), |s| format!("{:.1} %", s * 100.0));
    for s in &answer.steps {
        out.push_str(&format!(
            "{:<4} {:<24} {:>9} {:>9} {:>9}\n",
            s.step,
            s.name,
            s.sessions,
            pct(s.share_of_sessions),
            pct(s.share_of_previous)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::dates::DateRange;
    use crate::domain::zone::ReportZone;

    fn row(step: u32, name: &str, n: u64) -> (u32, String, u64) {
        (step, name.into(), n)
    }

    #[test]
    fn shares_of_the_sessions_and_of_the_previous_step() {
        let steps = steps(
            vec![
                row(0, "opened", 4),
                row(1, "run", 3),
                row(2, "success", 0),
                row(3, "feature", 0),
            ],
            4,
        );
        let shares: Vec<_> = steps
            .iter()
            .map(|s| (s.share_of_sessions, s.share_of_previous))
            .collect();
        assert_eq!(
            shares,
            vec![
                (Some(1.0), None),
                (Some(0.75), Some(0.75)),
                (Some(0.0), Some(0.0)),
                (Some(0.0), None)
            ]
        );
        let day = "2026-11-28".parse().unwrap();
        let answer = FunnelAnswer {
            span: Span::of(&DateRange { from: day, to: day }, ReportZone::UTC),
            summaries_as_of: None,
            sessions: 4,
            steps: steps[..2].to_vec(),
            previous: None,
        };
        assert_eq!(
            answer.csv(),
            "from,to,step,name,sessions,share_of_sessions,share_of_previous\r\n\
             2026-11-28,2026-11-28,0,opened,4,1.0,\r\n\
             2026-11-28,2026-11-28,1,run,3,0.75,0.75\r\n"
        );
        let text = render(&answer);
        assert!(
            text.lines().nth(3).unwrap().starts_with("1    run"),
            "{text}"
        );
    }

    #[test]
    fn two_funnels_at_one_index_have_no_share_of_the_previous_step() {
        let steps = steps(
            vec![
                row(0, "opened", 5),
                row(1, "feature:save", 1),
                row(1, "run", 3),
                row(2, "success", 2),
            ],
            5,
        );
        assert!(steps.iter().all(|s| s.share_of_previous.is_none()));
    }
}

//! Program errors (`/api/v1/stats/errors`): failed runs grouped by message, so that the same error
//! on different lines ("?SYNTAX ERROR IN 120", "... IN 30") counts together. Pure: the store
//! reads failed runs per (message, session); this module groups them into tallies (what the
//! rollup stores per day and site), adds tallies up and ranks them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table, Text};
use super::dates::{DateRange, Span};
use super::top::Other;
use crate::domain::zone::ReportZone;

use super::model::{ErrorGroup, ErrorRuns};

/// An example message is cut to this many characters.
pub const EXAMPLE_CHARS: usize = 200;

/// The group of a message: every run of digits becomes `#`, whitespace collapses, case stays.
/// A run without a message is `(no message)`.
pub fn group_of(message: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
    {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    if out.is_empty() {
        "(no message)".into()
    } else {
        out.chars().take(EXAMPLE_CHARS).collect()
    }
}

/// One error group's failed runs over some sessions: what a day's summary row stores per site,
/// and what adds up over days and sites (a session has one start day and one site, so the
/// sessions of different rows are different sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorTally {
    /// [`group_of`] its messages.
    pub group: String,
    pub runs: u64,
    pub sessions: u64,
    pub last_seen: DateTime<Utc>,
    /// The message of the latest run, cut to [`EXAMPLE_CHARS`].
    pub example: String,
}

impl ErrorTally {
    /// Adds `other` (of the same group, other sessions): runs and sessions add up; the latest run
    /// gives the example (on a tie, the first message in text order, so any order of adding
    /// gives the same answer).
    pub fn add(&mut self, other: ErrorTally) {
        self.runs += other.runs;
        self.sessions += other.sessions;
        let later = (other.last_seen, std::cmp::Reverse(&other.example))
            > (self.last_seen, std::cmp::Reverse(&self.example));
        if later {
            self.last_seen = other.last_seen;
            self.example = other.example;
        }
    }
}

/// Per group, the runs of `rows` (failed runs per message and session): sessions counted once
/// per group however many messages of it they hit. By group.
pub fn tally(rows: Vec<ErrorRuns>) -> Vec<ErrorTally> {
    let mut groups: BTreeMap<String, (ErrorTally, BTreeSet<String>)> = BTreeMap::new();
    for row in rows {
        let group = group_of(&row.message);
        let one = ErrorTally {
            group: group.clone(),
            runs: row.runs,
            sessions: 0,
            last_seen: row.last_seen,
            example: row.message.chars().take(EXAMPLE_CHARS).collect(),
        };
        match groups.get_mut(&group) {
            Some((acc, sessions)) => {
                acc.add(one);
                sessions.insert(row.session_id);
            }
            None => {
                groups.insert(group, (one, BTreeSet::from([row.session_id])));
            }
        }
    }
    groups
        .into_values()
        .map(|(acc, sessions)| ErrorTally {
            sessions: sessions.len() as u64,
            ..acc
        })
        .collect()
}

/// Tallies of different sessions (other days, other sites) added up per group, by group.
pub fn merge(tallies: impl IntoIterator<Item = ErrorTally>) -> Vec<ErrorTally> {
    let mut groups: BTreeMap<String, ErrorTally> = BTreeMap::new();
    for t in tallies {
        match groups.get_mut(&t.group) {
            Some(acc) => acc.add(t),
            None => {
                groups.insert(t.group.clone(), t);
            }
        }
    }
    groups.into_values().collect()
}

/// Tallies most frequent first (by runs, then sessions, then group): the order of [`rank`] and
/// of the per-day cap, the same the SQL reads sort by.
pub fn by_rank(mut tallies: Vec<ErrorTally>) -> Vec<ErrorTally> {
    tallies.sort_by(|a, b| {
        (b.runs, b.sessions)
            .cmp(&(a.runs, a.sessions))
            .then_with(|| a.group.cmp(&b.group))
    });
    tallies
}

/// The `limit` most frequent groups (by runs, then sessions, then name).
pub fn rank(tallies: Vec<ErrorTally>, limit: usize) -> Vec<ErrorGroup> {
    let mut out: Vec<ErrorGroup> = by_rank(tallies)
        .into_iter()
        .map(|t| ErrorGroup {
            error: t.group,
            example: t.example,
            runs: t.runs,
            sessions: t.sessions,
            last_seen: t.last_seen,
        })
        .collect();
    out.truncate(limit);
    out
}

/// The `limit` most frequent groups of raw rows, each with its latest message as the example.
pub fn group(rows: Vec<ErrorRuns>, limit: usize) -> Vec<ErrorGroup> {
    rank(tally(rows), limit)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorsAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    /// Failed runs of the sessions started in the range, in every group.
    pub failed_runs: u64,
    /// The most frequent groups.
    pub errors: Vec<ErrorGroup>,
    /// The failed runs of the groups not listed.
    pub other: Other,
    /// With `compare=previous` only: the same report over the period of the same length that
    /// ends the day before `from` (without a `previous` of its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub previous: Option<Box<ErrorsAnswer>>,
}

impl ErrorsAnswer {
    /// The answer of the range's tallies (listed or not) and its failed runs: the `limit` most
    /// frequent groups, and the runs of the rest.
    pub fn of(
        range: &DateRange,
        tallies: Vec<ErrorTally>,
        failed_runs: u64,
        limit: usize,
        zone: ReportZone,
    ) -> Self {
        let errors = rank(tallies, limit);
        let other = Other::of(failed_runs, errors.iter().map(|e| e.runs).sum());
        ErrorsAnswer {
            span: Span::of(range, zone),
            summaries_as_of: None,
            failed_runs,
            errors,
            other,
            previous: None,
        }
    }
}

/// A group of the CSV table (the columns in the order the export has always had).
#[derive(Serialize)]
struct Row<'a> {
    error: Text<'a>,
    example: Text<'a>,
    last_seen: DateTime<Utc>,
    runs: u64,
    sessions: u64,
}

impl Table for ErrorsAnswer {
    fn file_name(&self) -> &str {
        "errors"
    }

    fn span(&self) -> Option<&Span> {
        Some(&self.span)
    }

    fn csv(&self) -> String {
        csv::write(
            &["error", "example", "last_seen", "runs", "sessions"],
            self.errors.iter().map(|e| Row {
                error: Text(&e.error),
                example: Text(&e.example),
                last_seen: e.last_seen,
                runs: e.runs,
                sessions: e.sessions,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(message: &str, session: &str, runs: u64, minute: u32) -> ErrorRuns {
        ErrorRuns {
            message: message.into(),
            session_id: session.into(),
            runs,
            last_seen: Utc.with_ymd_and_hms(2026, 11, 28, 12, minute, 0).unwrap(),
        }
    }

    #[test]
    fn numbers_do_not_split_a_group() {
        assert_eq!(group_of("?SYNTAX ERROR IN 120"), "?SYNTAX ERROR IN #");
        assert_eq!(group_of("?SYNTAX  ERROR IN 30 "), "?SYNTAX ERROR IN #");
        assert_eq!(group_of("?OUT OF DATA"), "?OUT OF DATA");
        assert_eq!(group_of(""), "(no message)");
        assert_eq!(group_of(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn groups_count_runs_and_distinct_sessions_and_keep_the_latest_example() {
        let groups = group(
            vec![
                row("?SYNTAX ERROR IN 120", "a", 2, 1),
                row("?SYNTAX ERROR IN 30", "a", 1, 5),
                row("?SYNTAX ERROR IN 30", "b", 1, 3),
                row("?OUT OF DATA", "c", 3, 2),
                row("?DIVISION BY ZERO", "d", 1, 9),
            ],
            2,
        );
        assert_eq!(groups.len(), 2, "bounded");
        assert_eq!(
            (groups[0].error.as_str(), groups[0].runs, groups[0].sessions),
            ("?SYNTAX ERROR IN #", 4, 2),
            "session a counts once"
        );
        assert_eq!(groups[0].example, "?SYNTAX ERROR IN 30");
        assert_eq!(groups[0].last_seen.format("%H:%M").to_string(), "12:05");
        assert_eq!(
            (groups[1].error.as_str(), groups[1].runs),
            ("?OUT OF DATA", 3)
        );
    }

    #[test]
    fn tallies_of_days_add_up_to_the_tally_of_their_rows() {
        let rows = vec![
            row("?SYNTAX ERROR IN 120", "a", 2, 1),
            row("?SYNTAX ERROR IN 30", "b", 1, 7),
            row("?SYNTAX ERROR IN 40", "c", 1, 7),
            row("?OUT OF DATA", "c", 3, 2),
        ];
        let whole = tally(rows.clone());
        let days = merge(
            tally(rows[..2].to_vec())
                .into_iter()
                .chain(tally(rows[2..].to_vec())),
        );
        assert_eq!(days, whole);
        assert_eq!(
            (whole[1].group.as_str(), whole[1].runs, whole[1].sessions),
            ("?SYNTAX ERROR IN #", 4, 3)
        );
        assert_eq!(
            whole[1].example, "?SYNTAX ERROR IN 30",
            "a tie on the latest run keeps the first message in text order"
        );
        let reversed = merge(
            tally(rows[2..].to_vec())
                .into_iter()
                .chain(tally(rows[..2].to_vec())),
        );
        assert_eq!(reversed, whole, "in any order");
    }

    #[test]
    fn the_table_quotes_and_defuses_messages() {
        let day = "2026-11-28".parse().unwrap();
        let range = DateRange { from: day, to: day };
        let rows = vec![
            row("?SYNTAX, ERROR \"x\" IN 10", "a", 2, 1),
            row("=HYPERLINK(1)\nIN 20", "b", 1, 2),
        ];
        let answer = ErrorsAnswer::of(&range, tally(rows), 4, 20, ReportZone::UTC);
        assert_eq!((answer.other.count, answer.failed_runs), (1, 4));
        assert_eq!(
            answer.csv(),
            "error,example,last_seen,runs,sessions\r\n\
             \"?SYNTAX, ERROR \"\"x\"\" IN #\",\"?SYNTAX, ERROR \"\"x\"\" IN 10\",2026-11-28T12:01:00Z,2,1\r\n\
             '=HYPERLINK(#) IN #,\"'=HYPERLINK(1)\nIN 20\",2026-11-28T12:02:00Z,1,1\r\n"
        );
    }
}

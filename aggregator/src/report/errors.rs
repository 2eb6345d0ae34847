//! Program errors (`/api/v1/stats/errors`): failed runs grouped by message, so that the same error
//! on different lines ("?SYNTAX ERROR IN 120", "... IN 30") counts together. Pure: the store
//! reads failed runs per (message, session); this module groups and ranks them.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{ErrorGroup, ErrorRuns};

/// An example message is cut to this many characters.
const EXAMPLE_CHARS: usize = 200;

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

/// The `limit` most frequent groups (by runs, then sessions, then name), each with its latest
/// message as the example.
pub fn group(rows: Vec<ErrorRuns>, limit: usize) -> Vec<ErrorGroup> {
    struct Acc {
        runs: u64,
        sessions: BTreeSet<String>,
        last: ErrorRuns,
    }
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    for row in rows {
        let acc = groups.entry(group_of(&row.message)).or_insert_with(|| Acc {
            runs: 0,
            sessions: BTreeSet::new(),
            last: row.clone(),
        });
        acc.runs += row.runs;
        acc.sessions.insert(row.session_id.clone());
        if row.last_seen > acc.last.last_seen {
            acc.last = row;
        }
    }
    let mut out: Vec<ErrorGroup> = groups
        .into_iter()
        .map(|(error, acc)| ErrorGroup {
            error,
            example: acc.last.message.chars().take(EXAMPLE_CHARS).collect(),
            runs: acc.runs,
            sessions: acc.sessions.len() as u64,
            last_seen: acc.last.last_seen,
        })
        .collect();
    out.sort_by(|a, b| {
        (b.runs, b.sessions)
            .cmp(&(a.runs, a.sessions))
            .then_with(|| a.error.cmp(&b.error))
    });
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

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
}

//! The sessions report (`/api/v1/stats/sessions`): the latest sessions, newest first, without
//! id or hash (what the deployment's "recent sessions" query shows); its CSV table is one row
//! per session.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table, Text};
use super::dates::Span;
use super::model::RecentSession;

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionsAnswer {
    /// The latest sessions by start, newest first.
    pub sessions: Vec<RecentSession>,
}

/// A session of the CSV table (the columns in the order the export has always had).
#[derive(Serialize)]
struct Row<'a> {
    active_seconds: Option<u64>,
    browser: Option<Text<'a>>,
    device: Option<Text<'a>>,
    duration_seconds: Option<u64>,
    ended: bool,
    errors: u64,
    lines_executed: u64,
    os: Option<Text<'a>>,
    programs_run: u64,
    started: DateTime<Utc>,
}

const COLUMNS: [&str; 10] = [
    "active_seconds",
    "browser",
    "device",
    "duration_seconds",
    "ended",
    "errors",
    "lines_executed",
    "os",
    "programs_run",
    "started",
];

impl Table for SessionsAnswer {
    fn file_name(&self) -> &str {
        "sessions"
    }

    fn span(&self) -> Option<&Span> {
        None
    }

    fn csv(&self) -> String {
        csv::write(
            &COLUMNS,
            self.sessions.iter().map(|s| Row {
                active_seconds: s.active_seconds,
                browser: s.browser.as_deref().map(Text),
                device: s.device.as_deref().map(Text),
                duration_seconds: s.duration_seconds,
                ended: s.ended,
                errors: s.errors,
                lines_executed: s.lines_executed,
                os: s.os.as_deref().map(Text),
                programs_run: s.programs_run,
                started: s.started,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_table_is_one_line_per_session() {
        let answer = SessionsAnswer {
            sessions: vec![RecentSession {
                started: Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 5).unwrap(),
                ended: true,
                duration_seconds: Some(60),
                active_seconds: None,
                programs_run: 2,
                lines_executed: 40,
                errors: 1,
                browser: Some("Firefox".into()),
                os: Some("=cmd".into()),
                device: None,
            }],
        };
        assert_eq!(
            answer.csv(),
            "active_seconds,browser,device,duration_seconds,ended,errors,lines_executed,os,programs_run,started\r\n\
             ,Firefox,,60,true,1,40,'=cmd,2,2026-11-28T12:00:05Z\r\n"
        );
    }
}

//! Which browser sessions are filtered instead of stored, and why: a User-Agent the parser calls
//! a crawler, or a page that reported browser automation (`navigator.webdriver`, a headless
//! User-Agent) while the deployment filters it. A filtered session is counted once per day, site
//! and reason, on the batch that opens it (docs/reports.md, "Filtered traffic").

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::event::Batch;
use super::report::filtered::FilteredTotals;
use super::zone::ReportZone;

/// Why a session was filtered: a fixed set, so the per-day counts stay bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    Crawler,
    Automation,
}

impl Reason {
    pub const ALL: [Reason; 2] = [Reason::Crawler, Reason::Automation];

    /// Its name in the table, the metrics' `reason` label and the 202 answer.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Crawler => "crawler",
            Reason::Automation => "automation",
        }
    }

    pub fn parse(text: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// Why a browser's batch is filtered, if it is: a crawler first (as before automation was
/// read), then automation when the deployment filters it (`filter_automation`).
pub fn reason(is_crawler: bool, batch: &Batch, filter_automation: bool) -> Option<Reason> {
    if is_crawler {
        Some(Reason::Crawler)
    } else if batch.automated && filter_automation {
        Some(Reason::Automation)
    } else {
        None
    }
}

/// One filtered session, to be counted: on the report day it started (a local day of its
/// site's zone), for its site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilteredSession {
    pub date: NaiveDate,
    pub site: String,
    pub reason: Reason,
}

impl FilteredSession {
    /// The session `batch` opens, filtered for `reason`; None for a later batch of it (the
    /// session was counted with its first).
    pub fn opened_by(
        batch: &Batch,
        reason: Reason,
        received: DateTime<Utc>,
        zone: ReportZone,
    ) -> Option<Self> {
        let started = received - Duration::milliseconds(batch.sent_ms as i64);
        batch.opens_session().then(|| FilteredSession {
            date: zone.day_of(started.naive_utc()),
            site: batch.site.clone(),
            reason,
        })
    }
}

/// Counting by reason, beside [`Reason`]: the totals themselves are the reports'
/// (`report::filtered`), which import nothing of the filter, as the filter imports their zone.
impl FilteredTotals {
    pub fn add(&mut self, reason: Reason, sessions: u64) {
        match reason {
            Reason::Automation => self.automation += sessions,
            Reason::Crawler => self.crawler += sessions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::parse;
    use chrono::TimeZone;

    fn batch(automation: &str, events: &str, sent: u64) -> Batch {
        let body = format!(
            r#"{{"site":"ide","session":"8f14e45fceea167a5a36dedd4bea2543","sent":{sent},
               "automation":[{automation}],"events":[{events}]}}"#
        );
        parse(body.as_bytes()).unwrap()
    }

    const START: &str = r#"{"id":"c4ca4238a0b923820dcc509a6f75849b","seq":0,"t":0,"type":"start"}"#;
    const END: &str = r#"{"id":"c4ca4238a0b923820dcc509a6f75849c","seq":5,"t":0,"type":"end"}"#;

    #[test]
    fn crawlers_first_then_automation_when_filtered() {
        let automated = batch(r#""webdriver""#, START, 0);
        let person = batch("", START, 0);
        assert_eq!(reason(true, &person, true), Some(Reason::Crawler));
        assert_eq!(reason(true, &automated, true), Some(Reason::Crawler));
        assert_eq!(reason(false, &automated, true), Some(Reason::Automation));
        assert_eq!(reason(false, &automated, false), None);
        assert_eq!(reason(false, &person, true), None);
    }

    #[test]
    fn a_session_counts_once_on_the_day_it_started() {
        // Received 00:00:30 UTC, started 60 s earlier: the day before.
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 30).unwrap();
        let first = batch(r#""headless""#, START, 60_000);
        let counted =
            FilteredSession::opened_by(&first, Reason::Automation, at, ReportZone::UTC).unwrap();
        assert_eq!(counted.date, NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        assert_eq!(counted.site, "ide");
        let later = batch(r#""headless""#, END, 60_000);
        assert_eq!(
            FilteredSession::opened_by(&later, Reason::Automation, at, ReportZone::UTC),
            None
        );
    }

    #[test]
    fn reasons_round_trip_their_names() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
        }
        assert_eq!(Reason::parse("gpc"), None);
    }
}

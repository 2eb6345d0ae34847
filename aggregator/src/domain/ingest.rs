//! Turns one validated batch into the rows it contributes: the session's facts and identity, one
//! row per program run and per feature event.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::agent::Agent;
use super::event::{Batch, EventKind, Id128, ProgramRun};
use super::session::{SessionFacts, SessionTimes};

/// How a session is described in its row: fixed by the first browser batch of the session.
/// A server's batch (`Source::Server`) carries none of the browser's part: a row it creates
/// holds NULL there (`device IS NULL` marks it), and the first browser batch fills it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionIdentity {
    pub site: String,
    pub visitor_hash: Option<String>,
    pub ip_address: Option<String>,
    /// The reduced agent's parts are shared with the User-Agent cache (`agent::reduce_cached`)
    /// rather than copied for each request.
    pub user_agent: Option<Arc<str>>,
    pub browser: Option<Arc<str>>,
    pub os: Option<Arc<str>>,
    /// Some for every browser batch: what tells a browser's identity from none.
    pub device: Option<Arc<str>>,
}

impl SessionIdentity {
    /// True when a browser sent it (a server's batch describes no visitor).
    pub fn is_browsers(&self) -> bool {
        self.device.is_some()
    }

    /// The identity that stands of two batches of one session: the first browser's.
    pub fn or_browsers(first: Arc<Self>, later: Arc<Self>) -> Arc<Self> {
        if first.is_browsers() || !later.is_browsers() {
            first
        } else {
            later
        }
    }
}

/// Who sent a browser's batch: its anonymized address and its reduced User-Agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserClient {
    pub visitor: StoredVisitor,
    pub agent: Agent,
    /// The whole header, when the deployment stores it (`store_full_user_agent`).
    pub full_user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUpdate {
    pub session_id: String,
    /// Shared, not copied: the writer keeps each request's rows beside its flush (to isolate a
    /// refused value or write the flush again), and a copy of the identity's strings cost each
    /// heartbeat six allocations (scripts/count-per-request.sh, BENCHMARKS.md "Counts").
    pub identity: Arc<SessionIdentity>,
    pub facts: SessionFacts,
    /// The batch carried the session's `start`: its first batch, so most likely a session not
    /// stored yet. A hint only (a retried first batch finds its row stored): a store may insert
    /// such a session without reading it first if it checks that it did insert it.
    pub opens: bool,
}

/// What the program runs stored for the first time add to their session's counters (a retried
/// run is not counted again: only runs the store did not have yet are counted).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunCounters {
    pub runs: u32,
    pub lines: u64,
    pub errors: u32,
}

impl RunCounters {
    pub fn count(&mut self, run: &ProgramRun) {
        self.runs += 1;
        self.lines += u64::from(run.lines_executed);
        self.errors += u32::from(!run.success);
    }
}

/// The session row a store writes: the stored facts merged with the update's, the times derived
/// from them, and what the newly stored runs add to the counters (which the store adds to the
/// stored ones). The identity is the update's; a store keeps the stored one of an existing row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRow<'a> {
    pub session_id: &'a str,
    pub identity: &'a SessionIdentity,
    pub facts: SessionFacts,
    pub times: SessionTimes,
    pub added: RunCounters,
}

impl SessionUpdate {
    /// The row to write for this update given the session's `stored` facts (none for a new
    /// session), the counters its newly stored runs add and the start `slack`
    /// ([`SessionFacts::derive`]).
    pub fn row(
        &self,
        stored: Option<SessionFacts>,
        added: RunCounters,
        slack: Duration,
    ) -> SessionRow<'_> {
        let facts = stored.map_or(self.facts, |old| old.merge(self.facts));
        SessionRow {
            session_id: &self.session_id,
            identity: &self.identity,
            facts,
            times: facts.derive(slack),
            added,
        }
    }
}

/// The columns every event row begins with, whatever its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHead {
    pub event_id: Id128,
    pub session_id: String,
    pub seq: u32,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRow {
    pub head: EventHead,
    pub run: ProgramRun,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRow {
    pub head: EventHead,
    pub name: String,
    pub data: Option<String>,
}

/// Everything one accepted request asks the store to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRows {
    pub session: SessionUpdate,
    pub programs: Vec<ProgramRow>,
    pub features: Vec<FeatureRow>,
}

impl BatchRows {
    pub fn event_count(&self) -> usize {
        self.programs.len() + self.features.len()
    }
}

/// The anonymized description of who sent a batch, as the visitor module produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVisitor {
    pub visitor_hash: Option<String>,
    pub ip_address: Option<String>,
}

/// The rows of `batch`, sent by `client` (None for a server's batch, which names no visitor).
pub fn rows_of(batch: Batch, client: Option<BrowserClient>, received: DateTime<Utc>) -> BatchRows {
    let session_id = batch.session.to_hex();
    let facts = SessionFacts::from_batch(&batch, received);
    // An event happened (sent − t) before the batch left the client, by the client's own clock.
    let when = |t_ms: u64| {
        received - Duration::milliseconds((batch.sent_ms - t_ms.min(batch.sent_ms)) as i64)
    };
    let mut programs = Vec::new();
    let mut features = Vec::new();
    let mut opens = false;
    for event in batch.events {
        let head = EventHead {
            event_id: event.id,
            session_id: session_id.clone(),
            seq: event.seq,
            timestamp: when(event.t_ms),
        };
        match event.kind {
            EventKind::ProgramRun(run) => programs.push(ProgramRow { head, run }),
            EventKind::Feature { name, data } => features.push(FeatureRow { head, name, data }),
            EventKind::Start => opens = true,
            EventKind::Heartbeat { .. } | EventKind::End => {}
        }
    }
    let identity = match client {
        Some(BrowserClient {
            visitor,
            agent,
            full_user_agent,
        }) => SessionIdentity {
            site: batch.site,
            visitor_hash: visitor.visitor_hash,
            ip_address: visitor.ip_address,
            user_agent: Some(full_user_agent.map_or(agent.summary, Arc::from)),
            browser: Some(agent.browser),
            os: Some(agent.os),
            device: Some(agent.device),
        },
        None => SessionIdentity {
            site: batch.site,
            visitor_hash: None,
            ip_address: None,
            user_agent: None,
            browser: None,
            os: None,
            device: None,
        },
    };
    BatchRows {
        session: SessionUpdate {
            session_id,
            identity: Arc::new(identity),
            facts,
            opens,
        },
        programs,
        features,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{agent, event};
    use chrono::TimeZone;
    use serde_json::json;

    fn update(received: DateTime<Utc>, max_offset_ms: u64) -> SessionUpdate {
        SessionUpdate {
            session_id: "s".into(),
            identity: Arc::new(SessionIdentity {
                site: "ide".into(),
                visitor_hash: None,
                ip_address: None,
                user_agent: None,
                browser: None,
                os: None,
                device: Some("desktop".into()),
            }),
            facts: SessionFacts {
                first_seen: received,
                last_seen: received,
                start_estimate: received - Duration::milliseconds(max_offset_ms as i64),
                max_offset_ms,
                visible_ms: max_offset_ms,
                active_ms: max_offset_ms / 2,
                end_offset_ms: None,
            },
            opens: false,
        }
    }

    #[test]
    fn a_new_session_row_is_the_update_with_its_derived_times() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        let update = update(at, 60_000);
        let added = RunCounters {
            runs: 2,
            lines: 30,
            errors: 1,
        };
        let row = update.row(None, added, Duration::seconds(300));
        assert_eq!(row.facts, update.facts);
        assert_eq!(row.times, update.facts.derive(Duration::seconds(300)));
        assert_eq!(row.times.start_time, at - Duration::seconds(60));
        assert_eq!(row.added, added);
        assert_eq!(row.session_id, "s");
    }

    #[test]
    fn a_stored_session_row_merges_the_stored_facts_before_deriving() {
        let start = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        let stored = update(start, 0).facts;
        let later = update(start + Duration::seconds(90), 90_000);
        let row = later.row(Some(stored), RunCounters::default(), Duration::seconds(300));
        assert_eq!(row.facts.first_seen, start, "the earliest batch stands");
        assert_eq!(row.facts.max_offset_ms, 90_000);
        assert_eq!(row.times.start_time, start);
        assert_eq!(row.times.duration_seconds, 90);
        assert_eq!(row.times.active_seconds, 45);
        // Slack bounds the start of what the server saw only from the merged first sight.
        let tight = later.row(Some(stored), RunCounters::default(), Duration::zero());
        assert_eq!(tight.times.start_time, start);
        let alone = later.row(None, RunCounters::default(), Duration::seconds(10));
        assert_eq!(alone.times.start_time, start + Duration::seconds(80));
    }

    #[test]
    fn run_counters_count_runs_lines_and_failures() {
        let mut counters = RunCounters::default();
        for (lines, success) in [(5, true), (7, false), (0, false)] {
            counters.count(&ProgramRun {
                program_lines: 1,
                execution_time_ms: 1,
                lines_executed: lines,
                success,
                error_message: None,
            });
        }
        assert_eq!(
            counters,
            RunCounters {
                runs: 3,
                lines: 12,
                errors: 2
            }
        );
    }

    #[test]
    fn splits_a_batch_into_rows_timed_by_the_server_clock() {
        let body = json!({"site": "ide", "session": "8f14e45fceea167a5a36dedd4bea2543", "sent": 10000, "events": [
            {"id": "00000000000000000000000000000001", "seq": 0, "t": 0, "type": "start"},
            {"id": "00000000000000000000000000000002", "seq": 1, "t": 4000, "type": "program_run",
             "program_lines": 3, "execution_time_ms": 5, "lines_executed": 9, "success": true},
            {"id": "00000000000000000000000000000003", "seq": 2, "t": 7500, "type": "feature", "name": "save"}
        ]});
        let batch = event::parse(body.to_string().as_bytes()).unwrap();
        let received = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 10).unwrap();
        let client = BrowserClient {
            visitor: StoredVisitor {
                visitor_hash: Some("ab".into()),
                ip_address: None,
            },
            agent: agent::reduce(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            ),
            full_user_agent: None,
        };
        let rows = rows_of(batch.clone(), Some(client.clone()), received);
        assert_eq!(rows.programs.len(), 1);
        assert_eq!(rows.features.len(), 1);
        assert_eq!(rows.event_count(), 2);
        assert_eq!(
            rows.programs[0].head.timestamp,
            Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 4).unwrap()
        );
        assert_eq!(
            rows.features[0].head.timestamp.timestamp_millis(),
            received.timestamp_millis() - 2500
        );
        assert_eq!(
            rows.session.identity.user_agent.as_deref(),
            Some("Firefox 128 / Linux / desktop")
        );
        let server = rows_of(batch, None, received);
        assert!(!server.session.identity.is_browsers());
        assert_eq!(server.session.identity.visitor_hash, None);
        assert_eq!(server.session.identity.site, "ide");
        assert_eq!(server.programs, rows.programs, "the same event rows");
        let browsers = rows.session.identity.clone();
        let first_server =
            SessionIdentity::or_browsers(server.session.identity.clone(), browsers.clone());
        assert_eq!(
            first_server, browsers,
            "the browser's identity replaces none"
        );
        let other = rows_of(
            event::parse(body.to_string().as_bytes()).unwrap(),
            Some(BrowserClient {
                visitor: StoredVisitor {
                    visitor_hash: Some("cd".into()),
                    ip_address: None,
                },
                ..client
            }),
            received,
        );
        assert_eq!(
            SessionIdentity::or_browsers(browsers.clone(), other.session.identity),
            browsers,
            "the first browser's identity stands"
        );
        assert_eq!(
            SessionIdentity::or_browsers(browsers.clone(), server.session.identity),
            browsers
        );
        assert_eq!(
            rows.session.facts.start_estimate,
            Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap()
        );
        assert!(rows.session.opens, "the batch carries the session's start");
    }

    #[test]
    fn only_a_batch_with_the_start_opens_its_session() {
        let body = json!({"site": "ide", "session": "8f14e45fceea167a5a36dedd4bea2543", "sent": 30000, "events": [
            {"id": "00000000000000000000000000000004", "seq": 3, "t": 30000, "type": "heartbeat",
             "visible_ms": 30000, "active_ms": 1000}
        ]});
        let batch = event::parse(body.to_string().as_bytes()).unwrap();
        let received = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 30).unwrap();
        assert!(!rows_of(batch, None, received).session.opens);
    }
}

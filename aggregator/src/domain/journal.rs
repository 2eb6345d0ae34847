//! The heartbeat journal (`heartbeat_journal`, V9; knob `heartbeat_journal`): a flush's
//! sessions that carry no program run and no feature event are not upserted one row each; the
//! flush stores their updates as one compact journal row, in its own durable commit, and the
//! folder (`crate::fold`) later applies many journal rows to `ide_sessions` at once. Heartbeats
//! carry cumulative values, so merging them is [`SessionFacts::merge`] (a max, idempotent and
//! in any order): folding a journal row twice, or two folders folding the same rows, changes
//! nothing. This module is the pure part: which sessions a flush journals, the row's text, and
//! the flush a fold writes. docs/heartbeat-journal.md says why.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::flush::Flush;
use super::ingest::{BatchRows, SessionIdentity, SessionUpdate};
use super::session::SessionFacts;

impl Flush {
    /// Moves the sessions that none of the flush's runs or feature events belong to from
    /// [`Flush::sessions`] to [`Flush::journal`]. Sessions with events keep the direct upsert:
    /// their runs grow the row's counters, and an event never refers to a session without a row.
    pub fn journal_heartbeats(&mut self) {
        let with_events: std::collections::HashSet<&str> = self
            .programs
            .iter()
            .map(|r| r.head.session_id.as_str())
            .chain(self.features.iter().map(|r| r.head.session_id.as_str()))
            .collect();
        let (direct, journal): (Vec<SessionUpdate>, Vec<SessionUpdate>) =
            std::mem::take(&mut self.sessions)
                .into_iter()
                .partition(|s| with_events.contains(s.session_id.as_str()));
        self.sessions = direct;
        self.journal = journal;
    }
}

/// The journal rows a fold read (id, body), merged into one flush, and the rows that do not
/// decode with the reason: such a row can never be applied, and keeping it would stop every
/// later fold, so the store drops it with the others and says so.
pub fn fold_rows<I: Copy>(rows: &[(I, String)], slack: Duration) -> (Flush, Vec<(I, String)>) {
    let mut updates = Vec::new();
    let mut undecodable = Vec::new();
    for (id, body) in rows {
        match decode(body) {
            Ok(more) => updates.extend(more),
            Err(error) => undecodable.push((*id, error)),
        }
    }
    (fold_flush(updates, slack), undecodable)
}

/// The flush a fold writes: the updates of every journal row read, one per session (facts
/// merged, the first browser identity standing, as [`Flush::gather`] does for requests), with
/// no events. Sessions in id order, so that two folds lock their rows in the same order.
pub fn fold_flush(updates: impl IntoIterator<Item = SessionUpdate>, slack: Duration) -> Flush {
    let mut flush = Flush::gather(
        updates.into_iter().map(|session| BatchRows {
            session,
            programs: Vec::new(),
            features: Vec::new(),
        }),
        slack,
    );
    flush
        .sessions
        .sort_unstable_by(|a, b| a.session_id.cmp(&b.session_id));
    flush
}

/// One session's update as a journal entry: a JSON array without field names (the identity
/// columns, then the facts with times as microseconds since 1970), so that a row of hundreds
/// of sessions stays small.
type Entry<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    [i64; 3],
    [u64; 3],
    Option<u64>,
);

type OwnedEntry = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    [i64; 3],
    [u64; 3],
    Option<u64>,
);

/// The text of one journal row holding `updates`.
pub fn encode(updates: &[SessionUpdate]) -> String {
    let entries: Vec<Entry<'_>> = updates
        .iter()
        .map(|u| {
            let (who, f) = (&u.identity, &u.facts);
            (
                u.session_id.as_str(),
                who.site.as_str(),
                who.visitor_hash.as_deref(),
                who.ip_address.as_deref(),
                who.user_agent.as_deref(),
                who.browser.as_deref(),
                who.os.as_deref(),
                who.device.as_deref(),
                [
                    f.first_seen.timestamp_micros(),
                    f.last_seen.timestamp_micros(),
                    f.start_estimate.timestamp_micros(),
                ],
                [f.max_offset_ms, f.visible_ms, f.active_ms],
                f.end_offset_ms,
            )
        })
        .collect();
    serde_json::to_string(&entries).unwrap_or_else(|_| "[]".into())
}

/// The updates of one journal row's text; an error names what is wrong (a damaged row).
pub fn decode(body: &str) -> Result<Vec<SessionUpdate>, String> {
    let entries: Vec<OwnedEntry> =
        serde_json::from_str(body).map_err(|e| format!("a heartbeat journal row: {e}"))?;
    entries
        .into_iter()
        .map(
            |(session_id, site, visitor_hash, ip, agent, browser, os, device, t, n, end)| {
                let time = |micros: i64| {
                    DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(|| {
                        format!("a heartbeat journal row: time {micros} out of range")
                    })
                };
                Ok(SessionUpdate {
                    session_id,
                    identity: SessionIdentity {
                        site,
                        visitor_hash,
                        ip_address: ip,
                        user_agent: agent.map(Arc::from),
                        browser: browser.map(Arc::from),
                        os: os.map(Arc::from),
                        device: device.map(Arc::from),
                    }
                    .into(),
                    facts: SessionFacts {
                        first_seen: time(t[0])?,
                        last_seen: time(t[1])?,
                        start_estimate: time(t[2])?,
                        max_offset_ms: n[0],
                        visible_ms: n[1],
                        active_ms: n[2],
                        end_offset_ms: end,
                    },
                    // No hint: the fold writes what it read with the sessions' rows locked and read first.
                    opens: false,
                })
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Id128, ProgramRun};
    use crate::domain::ingest::{EventHead, ProgramRow};
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
            + Duration::seconds(secs)
            + Duration::microseconds(123)
    }

    fn update(session: &str, offset_s: u64, browser: bool) -> SessionUpdate {
        SessionUpdate {
            session_id: session.into(),
            identity: SessionIdentity {
                site: "ide".into(),
                visitor_hash: browser.then(|| format!("hash-{offset_s}")),
                ip_address: None,
                user_agent: browser.then(|| "Firefox 128 / Linux / desktop \"quoted\"".into()),
                browser: browser.then(|| "Firefox".into()),
                os: browser.then(|| "Linux".into()),
                device: browser.then(|| "desktop".into()),
            }
            .into(),
            facts: SessionFacts {
                first_seen: at(offset_s as i64),
                last_seen: at(offset_s as i64),
                start_estimate: at(0),
                max_offset_ms: offset_s * 1000,
                visible_ms: offset_s * 1000,
                active_ms: offset_s * 500,
                end_offset_ms: (offset_s == 90).then_some(90_000),
            },
            opens: false,
        }
    }

    #[test]
    fn a_journal_row_reads_back_as_written() {
        let updates = vec![update("a", 15, true), update("b", 90, false)];
        let body = encode(&updates);
        assert_eq!(decode(&body).unwrap(), updates);
        assert!(decode("[[\"a\"]]").is_err());
        assert!(decode("not json").is_err());
        assert_eq!(decode(&encode(&[])).unwrap(), vec![]);
    }

    #[test]
    fn folding_merges_per_session_in_any_order_and_twice_is_once() {
        let rows = [
            vec![update("a", 15, true), update("b", 30, true)],
            vec![update("a", 45, true)],
            vec![update("a", 30, true), update("b", 90, false)],
        ];
        let fold = |rows: &[Vec<SessionUpdate>]| {
            let mut sessions =
                fold_flush(rows.iter().flatten().cloned(), Duration::zero()).sessions;
            sessions.sort_by(|x, y| x.session_id.cmp(&y.session_id));
            sessions
        };
        let once = fold(&rows);
        assert_eq!(once.len(), 2);
        assert_eq!(once[0].facts.max_offset_ms, 45_000);
        assert_eq!(once[0].facts.first_seen, at(15));
        assert_eq!(
            once[0].identity.visitor_hash.as_deref(),
            Some("hash-15"),
            "the first browser identity stands"
        );
        assert_eq!(once[1].facts.end_offset_ms, Some(90_000));
        let mut reversed = rows.to_vec();
        reversed.reverse();
        let twice: Vec<_> = rows.iter().chain(rows.iter()).cloned().collect();
        for other in [fold(&reversed), fold(&twice)] {
            let facts: Vec<_> = other.iter().map(|s| s.facts).collect();
            assert_eq!(facts, once.iter().map(|s| s.facts).collect::<Vec<_>>());
        }
        assert!(fold_flush([], Duration::zero()).sessions.is_empty());
    }

    #[test]
    fn only_sessions_without_events_go_to_the_journal() {
        let run = |session: &str| ProgramRow {
            head: EventHead {
                event_id: Id128([1; 16]),
                session_id: session.into(),
                seq: 1,
                timestamp: at(0),
            },
            run: ProgramRun {
                program_lines: 1,
                execution_time_ms: 1,
                lines_executed: 1,
                success: true,
                error_message: None,
            },
        };
        let mut flush = fold_flush(
            [
                update("a", 15, true),
                update("b", 15, true),
                update("c", 15, true),
            ],
            Duration::zero(),
        );
        flush.programs.push(run("b"));
        flush.journal_heartbeats();
        let ids = |s: &[SessionUpdate]| s.iter().map(|s| s.session_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&flush.sessions), vec!["b"]);
        assert_eq!(ids(&flush.journal), vec!["a", "c"]);
    }
}

//! Gathers the rows of many requests into one flush: one session update per session (its facts
//! merged, so a session's heartbeats collapse into one upsert), event rows without repeats; and
//! the flush's arithmetic a store needs once it has read what is stored: which runs are new and
//! the session rows to write (by [`SessionUpdate::row`]), and how many of the requests' events
//! were repeats once the store says how many rows it inserted. A store only locks, reads and
//! writes.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate};

use crate::domain::event::Id128;
use crate::domain::filter::{FilteredSession, Reason};
use crate::domain::ingest::{
    BatchRows, FeatureRow, ProgramRow, RunCounters, SessionIdentity, SessionRow, SessionUpdate,
};
use crate::domain::session::SessionFacts;

/// Event rows by kind: those a flush's requests carried, those a store inserted, those repeated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCounts {
    pub programs: u64,
    pub features: u64,
}

/// What one accepted request asks the writer for: its rows, or the count of a session filtered
/// instead of stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "nearly every request is `Rows`: boxing it would cost each an allocation to save \
              the rare filtered one a few hundred bytes of queue slot"
)]
pub enum Request {
    Rows(BatchRows),
    Filtered(FilteredSession),
}

impl From<BatchRows> for Request {
    fn from(rows: BatchRows) -> Self {
        Request::Rows(rows)
    }
}

/// Sessions filtered on a day, for a site and a reason, that a flush adds to the stored count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilteredCount {
    pub date: NaiveDate,
    pub site: String,
    pub reason: Reason,
    pub sessions: u64,
}

#[derive(Debug, Default, PartialEq)]
pub struct Flush {
    pub sessions: Vec<SessionUpdate>,
    pub programs: Vec<ProgramRow>,
    pub features: Vec<FeatureRow>,
    /// Sessions whose updates go to the heartbeat journal instead of their rows
    /// ([`Flush::journal_heartbeats`], `domain::journal`); empty unless the knob is on.
    pub journal: Vec<SessionUpdate>,
    /// The event rows the requests carried, repeats within the flush included.
    pub received: EventCounts,
    /// How much earlier than the server first saw it a session may have started.
    pub slack: Duration,
    /// Filtered sessions, one row per (day, site, reason), in that order (a store upserts them
    /// in one order, so two flushes never wait on each other's rows crosswise).
    pub filtered: Vec<FilteredCount>,
}

impl Flush {
    pub fn gather<R: Into<Request>>(
        requests: impl IntoIterator<Item = R>,
        slack: Duration,
    ) -> Flush {
        let mut flush = Flush {
            slack,
            ..Flush::default()
        };
        let mut by_session: HashMap<String, usize> = HashMap::new();
        let mut seen: HashSet<Id128> = HashSet::new();
        let mut filtered: BTreeMap<(NaiveDate, String, Reason), u64> = BTreeMap::new();
        for request in requests {
            let rows = match request.into() {
                Request::Rows(rows) => rows,
                Request::Filtered(f) => {
                    *filtered.entry((f.date, f.site, f.reason)).or_default() += 1;
                    continue;
                }
            };
            flush.received.programs += rows.programs.len() as u64;
            flush.received.features += rows.features.len() as u64;
            match by_session.get(&rows.session.session_id) {
                // The identity of the first browser request stands; facts merge in any order.
                Some(&at) => {
                    let session = &mut flush.sessions[at];
                    session.facts = session.facts.merge(rows.session.facts);
                    session.opens |= rows.session.opens;
                    if !session.identity.is_browsers() {
                        session.identity = SessionIdentity::or_browsers(
                            session.identity.clone(),
                            rows.session.identity,
                        );
                    }
                }
                None => {
                    by_session.insert(rows.session.session_id.clone(), flush.sessions.len());
                    flush.sessions.push(rows.session);
                }
            }
            flush.programs.extend(
                rows.programs
                    .into_iter()
                    .filter(|r| seen.insert(r.head.event_id)),
            );
            flush.features.extend(
                rows.features
                    .into_iter()
                    .filter(|r| seen.insert(r.head.event_id)),
            );
        }
        flush.filtered = filtered
            .into_iter()
            .map(|((date, site, reason), sessions)| FilteredCount {
                date,
                site,
                reason,
                sessions,
            })
            .collect();
        flush
    }

    /// The events of the requests that were not stored by this flush because they were stored
    /// already (a client's retry, a flush written again after a commit of unknown outcome) or
    /// repeated within the flush, given the rows the store `inserted`.
    pub fn repeated(&self, inserted: EventCounts) -> EventCounts {
        EventCounts {
            programs: self.received.programs.saturating_sub(inserted.programs),
            features: self.received.features.saturating_sub(inserted.features),
        }
    }

    /// The session rows to write, in the order of [`Flush::sessions`]: each update merged with
    /// the facts `stored` reads for its session, counters grown by the `new_runs` of it.
    pub fn session_rows<'a, E>(
        &'a self,
        new_runs: &[&ProgramRow],
        mut stored: impl FnMut(&str) -> Result<Option<SessionFacts>, E>,
    ) -> Result<Vec<SessionRow<'a>>, E> {
        let mut added: HashMap<&str, RunCounters> = HashMap::new();
        for run in new_runs {
            added
                .entry(run.head.session_id.as_str())
                .or_default()
                .count(&run.run);
        }
        self.sessions
            .iter()
            .map(|update| {
                let counters = added.get(update.session_id.as_str()).copied();
                Ok(update.row(
                    stored(&update.session_id)?,
                    counters.unwrap_or_default(),
                    self.slack,
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::ProgramRun;
    use crate::domain::ingest::EventHead;
    use crate::domain::session::SessionFacts;
    use chrono::{TimeZone, Utc};

    fn rows(session: &str, max_offset_ms: u64, run_ids: &[u8]) -> BatchRows {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let facts = SessionFacts {
            first_seen: at,
            last_seen: at,
            start_estimate: at,
            max_offset_ms,
            visible_ms: max_offset_ms,
            active_ms: 0,
            end_offset_ms: None,
        };
        let identity = SessionIdentity {
            site: "ide".into(),
            visitor_hash: Some(format!("visitor-of-{max_offset_ms}")),
            ip_address: None,
            user_agent: None,
            browser: None,
            os: None,
            device: Some("desktop".into()),
        };
        let run = ProgramRun {
            program_lines: 1,
            execution_time_ms: 1,
            lines_executed: 1,
            success: true,
            error_message: None,
        };
        BatchRows {
            session: SessionUpdate {
                session_id: session.into(),
                identity: identity.into(),
                facts,
                opens: false,
            },
            programs: run_ids
                .iter()
                .map(|&i| ProgramRow {
                    head: EventHead {
                        event_id: Id128([i; 16]),
                        session_id: session.into(),
                        seq: i.into(),
                        timestamp: at,
                    },
                    run: run.clone(),
                })
                .collect(),
            features: vec![],
        }
    }

    #[test]
    fn heartbeats_of_one_session_collapse_into_one_update() {
        let flush = Flush::gather(
            [
                rows("a", 15_000, &[]),
                rows("b", 5_000, &[1]),
                rows("a", 45_000, &[]),
                rows("a", 30_000, &[]),
            ],
            Duration::zero(),
        );
        assert_eq!(flush.sessions.len(), 2);
        let a = &flush.sessions[0];
        assert_eq!(a.session_id, "a");
        assert_eq!(a.facts.max_offset_ms, 45_000);
        assert_eq!(
            a.identity.visitor_hash.as_deref(),
            Some("visitor-of-15000"),
            "first identity stands"
        );
    }

    #[test]
    fn filtered_sessions_are_counted_per_day_site_and_reason_beside_the_rows() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let filtered = |d, site: &str, reason| {
            Request::Filtered(FilteredSession {
                date: day(d),
                site: site.into(),
                reason,
            })
        };
        let flush = Flush::gather(
            [
                filtered(28, "ide", Reason::Automation),
                Request::Rows(rows("a", 1, &[1])),
                filtered(27, "ide", Reason::Automation),
                filtered(28, "ide", Reason::Crawler),
                filtered(28, "ide", Reason::Automation),
            ],
            Duration::zero(),
        );
        assert_eq!((flush.sessions.len(), flush.programs.len()), (1, 1));
        let counts: Vec<_> = flush
            .filtered
            .iter()
            .map(|c| (c.date, c.site.as_str(), c.reason, c.sessions))
            .collect();
        assert_eq!(
            counts,
            vec![
                (day(27), "ide", Reason::Automation, 1),
                (day(28), "ide", Reason::Crawler, 1),
                (day(28), "ide", Reason::Automation, 2),
            ]
        );
    }

    #[test]
    fn a_retried_request_in_the_same_flush_adds_no_rows() {
        let flush = Flush::gather(
            [
                rows("a", 1, &[1, 2]),
                rows("a", 1, &[2, 3]),
                rows("a", 1, &[1, 2]),
            ],
            Duration::zero(),
        );
        let ids: Vec<u8> = flush
            .programs
            .iter()
            .map(|p| p.head.event_id.0[0])
            .collect();
        assert_eq!(ids, vec![1, 2, 3]);
        assert_eq!(flush.received.programs, 6);
        let inserted = EventCounts {
            programs: 2,
            features: 0,
        };
        assert_eq!(
            flush.repeated(inserted),
            EventCounts {
                programs: 4,
                features: 0
            },
            "3 repeats within the flush, 1 stored already"
        );
    }

    #[test]
    fn only_new_runs_grow_the_counters_of_their_own_session() {
        let flush = Flush::gather(
            [rows("a", 60_000, &[1, 2, 3]), rows("b", 5_000, &[4])],
            Duration::seconds(300),
        );
        // The runs the store inserted (its affected rows): run 2 was stored already.
        let new: Vec<&ProgramRow> = flush
            .programs
            .iter()
            .filter(|p| p.head.event_id.0[0] != 2)
            .collect();
        let ids: Vec<u8> = new.iter().map(|p| p.head.event_id.0[0]).collect();
        assert_eq!(ids, vec![1, 3, 4], "run 2 is stored already");
        let stored_a = SessionFacts {
            max_offset_ms: 90_000,
            ..flush.sessions[0].facts
        };
        let rows = flush
            .session_rows(&new, |id| Ok::<_, ()>((id == "a").then_some(stored_a)))
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].session_id, rows[0].added.runs), ("a", 2));
        assert_eq!(
            rows[0].facts.max_offset_ms, 90_000,
            "merged with the stored facts"
        );
        assert_eq!((rows[1].session_id, rows[1].added.runs), ("b", 1));
        assert_eq!(rows[1].facts, flush.sessions[1].facts);
        assert_eq!(
            rows[1].times,
            flush.sessions[1].facts.derive(Duration::seconds(300))
        );
        let failed = flush.session_rows(&new, |id| {
            if id == "b" {
                Err("read failed")
            } else {
                Ok(None)
            }
        });
        assert_eq!(failed, Err("read failed"));
    }
}

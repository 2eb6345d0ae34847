//! Sessions from cumulative heartbeats. A session is a set of monotone facts (earliest, latest,
//! largest) that merge in any order; its times are derived from those facts, anchored to the
//! server's clock, so lost, duplicated or reordered batches change nothing. Rules: docs/api.md.

use chrono::{DateTime, Duration, Utc};

use super::event::{Batch, EventKind, Source};

/// What the server knows about a session; merging two of them is commutative and idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFacts {
    /// Server time of the earliest batch received.
    pub first_seen: DateTime<Utc>,
    /// Server time of the latest batch received.
    pub last_seen: DateTime<Utc>,
    /// Earliest (receive time − client's `sent` offset): network delay only makes it later.
    pub start_estimate: DateTime<Utc>,
    /// Largest event offset seen, ms since the session started.
    pub max_offset_ms: u64,
    pub visible_ms: u64,
    pub active_ms: u64,
    /// Largest offset of an `end` event; the session is over while no later event exists.
    pub end_offset_ms: Option<u64>,
}

/// The columns of `ide_sessions` that follow from the facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    pub start_time: DateTime<Utc>,
    pub last_activity: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub duration_seconds: u32,
    pub active_seconds: u32,
}

/// The times a stored session row holds. Rows from before heartbeat sessions (an adopted
/// database) hold only their start, which then stands for the times they lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredTimes {
    pub start_time: DateTime<Utc>,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    pub start_estimate: Option<DateTime<Utc>>,
}

impl StoredTimes {
    /// The stored row's facts, given its progress columns as stored.
    pub fn facts(
        self,
        max_offset_ms: u64,
        visible_ms: u64,
        active_ms: u64,
        end_offset_ms: Option<u64>,
    ) -> SessionFacts {
        let start = self.start_time;
        SessionFacts {
            first_seen: self.first_seen.unwrap_or(start),
            last_seen: self.last_seen.unwrap_or(start),
            start_estimate: self.start_estimate.unwrap_or(start),
            max_offset_ms,
            visible_ms,
            active_ms,
            end_offset_ms,
        }
    }
}

impl SessionFacts {
    /// The facts one batch contributes, given when the server received it. A server's batch
    /// says only that the session was alive when it arrived: its offsets count on the server's
    /// clock, not the session's, so they move neither start, length, visibility nor end.
    pub fn from_batch(batch: &Batch, received: DateTime<Utc>) -> Self {
        let start_estimate = match batch.source {
            Source::Browser => received - ms(batch.sent_ms),
            Source::Server => received,
        };
        let mut facts = SessionFacts {
            first_seen: received,
            last_seen: received,
            start_estimate,
            max_offset_ms: 0,
            visible_ms: 0,
            active_ms: 0,
            end_offset_ms: None,
        };
        let browser_events = match batch.source {
            Source::Browser => &batch.events[..],
            Source::Server => &[],
        };
        for event in browser_events {
            facts.max_offset_ms = facts.max_offset_ms.max(event.t_ms);
            match event.kind {
                EventKind::Heartbeat {
                    visible_ms,
                    active_ms,
                } => {
                    facts.visible_ms = facts.visible_ms.max(visible_ms);
                    facts.active_ms = facts.active_ms.max(active_ms);
                }
                EventKind::End => facts.end_offset_ms = facts.end_offset_ms.max(Some(event.t_ms)),
                _ => {}
            }
        }
        facts
    }

    pub fn merge(self, other: Self) -> Self {
        SessionFacts {
            first_seen: self.first_seen.min(other.first_seen),
            last_seen: self.last_seen.max(other.last_seen),
            start_estimate: self.start_estimate.min(other.start_estimate),
            max_offset_ms: self.max_offset_ms.max(other.max_offset_ms),
            visible_ms: self.visible_ms.max(other.visible_ms),
            active_ms: self.active_ms.max(other.active_ms),
            end_offset_ms: self.end_offset_ms.max(other.end_offset_ms),
        }
    }

    /// Ended when the latest thing the client said was `end` (a later event reopens it).
    pub fn is_ended(&self) -> bool {
        self.end_offset_ms
            .is_some_and(|end| end >= self.max_offset_ms)
    }

    /// Derives the session's times. `slack` bounds how much earlier than the server first saw
    /// the session it may have started: no session is longer than the server saw it plus slack.
    pub fn derive(&self, slack: Duration) -> SessionTimes {
        let start_time = self.start_estimate.max(self.first_seen - slack);
        let last_activity = (start_time + ms(self.max_offset_ms))
            .min(self.last_seen)
            .max(start_time);
        let duration_seconds = whole_seconds(last_activity - start_time);
        let active_seconds = u32::try_from(self.active_ms / 1000)
            .unwrap_or(u32::MAX)
            .min(duration_seconds);
        SessionTimes {
            start_time,
            last_activity,
            end_time: self.is_ended().then_some(last_activity),
            duration_seconds,
            active_seconds,
        }
    }
}

/// The coarse time the idle sweep and the rollup find sessions by (`last_seen_minute`): whole
/// minutes since 1970-01-01 UTC, rounded down. Indexed instead of the precise `last_seen_at`,
/// it changes at most once a minute per session, so most heartbeats leave the indexes alone;
/// queries narrow by it and then compare the precise time. SQL computes the same number in
/// the V5 migrations (`TIMESTAMPDIFF(MINUTE, '1970-01-01', t)`, `strftime('%s', t) / 60`).
pub fn minute_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60)
}

fn ms(value: u64) -> Duration {
    Duration::milliseconds(i64::try_from(value).unwrap_or(i64::MAX))
}

fn whole_seconds(span: Duration) -> u32 {
    u32::try_from(span.num_seconds().max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Event, Id128};
    use chrono::TimeZone;

    #[test]
    fn the_minute_bucket_rounds_down_and_changes_once_a_minute() {
        let at = |h, m, s, ms| {
            Utc.with_ymd_and_hms(2026, 12, 2, h, m, s).unwrap() + Duration::milliseconds(ms)
        };
        // 2026-12-02 00:00 UTC is 20,789 days after 1970-01-01.
        let midnight = 20_789 * 24 * 60;
        assert_eq!(minute_of(at(0, 0, 0, 0)), midnight);
        assert_eq!(minute_of(at(0, 0, 59, 999)), midnight);
        assert_eq!(minute_of(at(0, 1, 0, 0)), midnight + 1);
        assert_eq!(minute_of(at(23, 59, 30, 0)), midnight + 24 * 60 - 1);
        let before_1970 = Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 30).unwrap();
        assert_eq!(minute_of(before_1970), -1, "rounded down, not toward zero");
        // Four heartbeats 15 s apart change the bucket at most once.
        let beats: Vec<i64> = (0..4)
            .map(|i| minute_of(at(10, 7, 30, 0) + Duration::seconds(i * 15)))
            .collect();
        assert_eq!(beats.windows(2).filter(|w| w[0] != w[1]).count(), 1);
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap() + Duration::seconds(secs)
    }

    fn batch(sent_s: u64, events: &[(u64, EventKind)]) -> Batch {
        Batch {
            site: "ide".into(),
            session: Id128([7; 16]),
            sent_ms: sent_s * 1000,
            source: Source::Browser,
            automated: false,
            events: events
                .iter()
                .enumerate()
                .map(|(i, (t, kind))| Event {
                    id: Id128([i as u8; 16]),
                    seq: i as u32,
                    t_ms: t * 1000,
                    kind: kind.clone(),
                })
                .collect(),
        }
    }

    fn hb(visible_s: u64, active_s: u64) -> EventKind {
        EventKind::Heartbeat {
            visible_ms: visible_s * 1000,
            active_ms: active_s * 1000,
        }
    }

    /// A session started at 0 s, flushing every 30 s, delivered with 1 s of network delay.
    fn realistic() -> Vec<(Batch, DateTime<Utc>)> {
        (0..10u64)
            .map(|i| {
                let sent = (i + 1) * 30;
                let mut events = vec![
                    (sent - 15, hb(sent - 15, (sent - 15) / 3)),
                    (sent, hb(sent, sent / 3)),
                ];
                if i == 0 {
                    events.insert(0, (0, EventKind::Start));
                }
                if i == 9 {
                    events.push((sent, EventKind::End));
                }
                (batch(sent, &events), at(sent as i64 + 1))
            })
            .collect()
    }

    fn fold(batches: &[(Batch, DateTime<Utc>)]) -> SessionFacts {
        batches
            .iter()
            .map(|(b, received)| SessionFacts::from_batch(b, *received))
            .reduce(SessionFacts::merge)
            .unwrap()
    }

    #[test]
    fn derives_wall_and_active_time_from_cumulative_heartbeats() {
        let times = fold(&realistic()).derive(Duration::seconds(300));
        assert_eq!(
            times.start_time,
            at(1),
            "anchored to the server clock, off by the network delay"
        );
        assert_eq!(times.duration_seconds, 300);
        assert_eq!(times.active_seconds, 100);
        assert_eq!(times.end_time, Some(times.last_activity));
    }

    #[test]
    fn order_loss_and_duplicates_do_not_change_the_result() {
        let batches = realistic();
        let expected = fold(&batches).derive(Duration::seconds(300));
        let mut shuffled = batches.clone();
        shuffled.reverse();
        shuffled.swap(2, 7);
        shuffled.push(batches[4].clone());
        shuffled.push(batches[0].clone());
        assert_eq!(fold(&shuffled).derive(Duration::seconds(300)), expected);
        let mut lossy = batches.clone();
        lossy.remove(5); // a lost batch of heartbeats: later cumulative values cover it
        assert_eq!(fold(&lossy).derive(Duration::seconds(300)), expected);
    }

    #[test]
    fn a_session_is_never_longer_than_the_server_saw_it_plus_slack() {
        // One batch claims the session began a day ago.
        let claim = batch(86_400, &[(86_400, hb(86_400, 0))]);
        let times = SessionFacts::from_batch(&claim, at(0)).derive(Duration::seconds(300));
        assert_eq!(times.start_time, at(-300));
        assert_eq!(times.duration_seconds, 300);
        assert_eq!(times.active_seconds, 0);
    }

    #[test]
    fn activity_is_never_later_than_the_server_received_it() {
        // Events may not claim to be after the batch was sent, but a slow clock can still try.
        let facts = SessionFacts::from_batch(&batch(60, &[(60, hb(60, 60))]), at(0));
        let ahead = SessionFacts {
            max_offset_ms: 120_000,
            ..facts
        };
        let times = ahead.derive(Duration::seconds(300));
        assert_eq!(times.last_activity, at(0));
        assert_eq!(times.duration_seconds, 60);
        assert_eq!(
            times.active_seconds, 60,
            "active time is capped by wall time"
        );
    }

    #[test]
    fn a_server_batch_moves_neither_start_length_nor_end() {
        let browser = realistic();
        let expected = fold(&browser).derive(Duration::seconds(300));
        let run = EventKind::ProgramRun(crate::domain::event::ProgramRun {
            program_lines: 1,
            execution_time_ms: 1,
            lines_executed: 1,
            success: true,
            error_message: None,
        });
        // Its own clock's offsets (a day), delivered first, mid-session and after the end;
        // session events in it count for nothing either.
        let server = || Batch {
            source: Source::Server,
            ..batch(
                86_400,
                &[
                    (0, run.clone()),
                    (3600, EventKind::Start),
                    (7200, hb(7200, 7200)),
                    (86_400, run.clone()),
                ],
            )
        };
        let mut all = vec![(server(), at(20))];
        all.extend(browser.clone());
        all.push((server(), at(150)));
        all.push((server(), at(400)));
        let facts = fold(&all);
        assert_eq!(facts.derive(Duration::seconds(300)), expected);
        assert!(
            facts.is_ended(),
            "a run reported after the tab closed does not reopen"
        );
        assert_eq!(
            facts.last_seen,
            at(400),
            "but the session was seen alive then"
        );
    }

    #[test]
    fn a_later_event_reopens_an_ended_session() {
        let ended = SessionFacts::from_batch(&batch(100, &[(100, EventKind::End)]), at(100));
        assert!(ended.is_ended());
        let late_heartbeat = SessionFacts::from_batch(&batch(90, &[(90, hb(90, 0))]), at(101));
        assert!(
            ended.merge(late_heartbeat).is_ended(),
            "an older event arriving late does not reopen"
        );
        let reload = SessionFacts::from_batch(&batch(130, &[(130, EventKind::Start)]), at(130));
        let reopened = ended.merge(reload);
        assert!(!reopened.is_ended());
        assert_eq!(reopened.derive(Duration::seconds(300)).end_time, None);
    }

    #[test]
    fn an_adopted_row_that_knows_only_its_start_keeps_its_times() {
        let legacy = StoredTimes {
            start_time: at(10),
            first_seen: None,
            last_seen: None,
            start_estimate: None,
        };
        let facts = legacy.facts(0, 0, 0, None);
        assert_eq!(
            (facts.first_seen, facts.last_seen, facts.start_estimate),
            (at(10), at(10), at(10))
        );
        let derived = facts.derive(Duration::seconds(300));
        assert_eq!((derived.start_time, derived.duration_seconds), (at(10), 0));
        let stored = StoredTimes {
            first_seen: Some(at(12)),
            last_seen: Some(at(70)),
            start_estimate: Some(at(11)),
            ..legacy
        }
        .facts(59_000, 50_000, 20_000, Some(59_000));
        assert_eq!(
            (stored.first_seen, stored.last_seen, stored.start_estimate),
            (at(12), at(70), at(11))
        );
        assert!(stored.is_ended());
    }
}

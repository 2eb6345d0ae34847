//! The tracker's whole decision logic with no browser in sight: sessions and their rotation,
//! which events to emit, when to send, and what to do with a send's outcome. The browser glue
//! feeds it the time and user signals, and carries out sends and storage writes.

use super::backoff::{Backoff, Outcome, Verdict};
use super::config::{automation_field, Config};
use super::event::{event_json, Kind, ProgramRun};
use super::json::hex_id;
use super::queue::{Batch, Queue};
use super::session::Session;
use alloc::string::String;
use alloc::vec::Vec;

/// Randomness: ids must be unguessable (the browser uses crypto.getRandomValues); jitter only
/// needs to be spread out.
pub trait Entropy {
    fn id_bytes(&mut self) -> [u8; 16];
    /// A number in [0, 1).
    fn unit(&mut self) -> f64;
}

/// Input closer together than this is not re-counted: wheel and key repeat fire many times a second and
/// only the latest input matters for the active window (costs at most this much active time).
const INPUT_GRANULARITY_MS: u64 = 250;

pub struct Tracker<E: Entropy> {
    pub cfg: Config,
    entropy: E,
    session: Option<Session>,
    /// Id of the latest session, kept after an explicit end: it names the queue's storage slot.
    owner: String,
    pub queue: Queue,
    backoff: Backoff,
    /// No fetch before this epoch ms (backoff or Retry-After); beacons ignore it.
    retry_at: u64,
    /// Epoch ms at which the last batch was answered, or left by beacon; 0 before the first.
    last_sent_at: u64,
    in_flight: Option<Vec<u32>>,
    flush_requested: bool,
    last_input: u64,
    visible: bool,
    session_dirty: bool,
    queue_dirty: bool,
}

impl<E: Entropy> Tracker<E> {
    pub fn new(cfg: Config, entropy: E, visible: bool) -> Self {
        let mut queue = Queue::new(cfg.max_queue_events, cfg.max_queue_bytes)
            .with_max_age(cfg.max_queue_age_ms);
        queue.automation = automation_field(cfg.automation).unwrap_or("");
        Tracker {
            queue,
            backoff: Backoff::new(cfg.retry_base_ms as f64, cfg.retry_max_ms as f64),
            cfg,
            entropy,
            session: None,
            owner: String::new(),
            retry_at: 0,
            last_sent_at: 0,
            in_flight: None,
            flush_requested: false,
            last_input: 0,
            visible,
            session_dirty: false,
            queue_dirty: false,
        }
    }

    /// Continues the tab's stored session (reload) or starts a new one.
    pub fn resume(&mut self, stored: Option<&str>, now: u64) {
        // The page's first events (`start`) go with its first heartbeat, not in a request of
        // their own; a queue a reload left behind holds heartbeats, which go at once.
        self.last_sent_at = now;
        let (idle, window) = (self.cfg.idle_timeout_ms, self.cfg.active_window_ms);
        let restored = stored.and_then(|s| Session::restore(s, now, idle, self.visible, window));
        match restored {
            Some(mut s) => {
                s.last_seen = now;
                self.owner = s.id.clone();
                self.session = Some(s);
                self.session_dirty = true;
            }
            None => self.begin_session(now),
        }
    }

    fn begin_session(&mut self, now: u64) {
        let id = hex_id(&self.entropy.id_bytes());
        let s = Session::new(id, now, self.visible, self.cfg.active_window_ms);
        self.owner = s.id.clone();
        self.session = Some(s);
        self.emit(now, &Kind::Start);
    }

    pub fn session_id(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.id.as_str())
    }

    /// The id whose storage slot holds this tab's queue.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Creates an event in the current session and queues it. Callers ensure a session exists.
    fn emit(&mut self, now: u64, kind: &Kind<'_>) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        let t = s.offset(now);
        let seq = s.next_seq();
        let id = hex_id(&self.entropy.id_bytes());
        let json = event_json(&id, seq, t, kind);
        let (sid, start) = (s.id.clone(), s.start);
        self.queue.push(&sid, start, t, kind.is_heartbeat(), json);
        self.session_dirty = true;
        self.queue_dirty = true;
    }

    /// A sign of the user (input, API call, tab shown). After an absence longer than the idle
    /// timeout this ends the old session at the moment it was last seen and starts a new one.
    fn seen(&mut self, now: u64) {
        let idle = self.cfg.idle_timeout_ms;
        match self.session.as_mut() {
            Some(s) if s.expired(now, idle) => {
                let last_seen = s.last_seen;
                self.emit(last_seen, &Kind::End);
                self.begin_session(now);
            }
            // Not persisted right away: input is frequent, and the next heartbeat, hide or
            // page hide writes the session state anyway.
            Some(s) => s.last_seen = now,
            None => self.begin_session(now),
        }
    }

    /// Keyboard or pointer input; returns quickly for the flood of pointer moves.
    pub fn input(&mut self, now: u64) {
        if now < self.last_input.saturating_add(INPUT_GRANULARITY_MS) && self.session.is_some() {
            return;
        }
        self.last_input = now;
        self.seen(now);
        if let Some(s) = self.session.as_mut() {
            s.clock.input(now);
        }
    }

    pub fn set_visible(&mut self, now: u64, visible: bool) {
        if visible == self.visible {
            return;
        }
        if visible {
            self.visible = true;
            if let Some(s) = self.session.as_mut() {
                s.clock.set_visible(now, true);
            }
            if self.session.is_some() {
                self.seen(now);
            }
            return;
        }
        // A last heartbeat carries the exact visible/active time up to the switch.
        self.heartbeat(now);
        self.visible = false;
        let idle = self.cfg.idle_timeout_ms;
        if let Some(s) = self.session.as_mut() {
            s.clock.set_visible(now, false);
            // Switching away is a sign of the user, unless they had long gone already.
            if !s.expired(now, idle) {
                s.last_seen = now;
            }
            self.session_dirty = true;
        }
    }

    /// The periodic heartbeat: only while visible, and not once the user has been away longer
    /// than the idle timeout (the session then simply stops growing until they are back).
    pub fn heartbeat(&mut self, now: u64) {
        self.expire_queue(now);
        let idle = self.cfg.idle_timeout_ms;
        let Some(s) = self.session.as_mut() else {
            return;
        };
        if !self.visible || s.expired(now, idle) {
            return;
        }
        let t = now.saturating_sub(s.start).max(s.last_t);
        let (visible_ms, active_ms) = s.counters(now, t);
        self.emit(
            now,
            &Kind::Heartbeat {
                visible_ms,
                active_ms,
            },
        );
    }

    /// An API call from the page: counts as activity.
    pub fn feature(&mut self, now: u64, name: &str, data: Option<&str>) {
        self.api_activity(now);
        self.emit(now, &Kind::Feature { name, data });
    }

    pub fn program_run(&mut self, now: u64, run: &ProgramRun) {
        self.api_activity(now);
        self.emit(now, &Kind::ProgramRun(run));
    }

    fn api_activity(&mut self, now: u64) {
        self.seen(now);
        if let Some(s) = self.session.as_mut() {
            s.clock.input(now);
        }
    }

    /// Emits `end`. On page hide the session stays (a reload continues it, and the aggregator
    /// reopens it); an explicit end (`close`) forgets it, so the next activity starts a new one.
    pub fn end(&mut self, now: u64, close: bool) {
        if self.session.is_none() {
            return;
        }
        self.emit(now, &Kind::End);
        if close {
            self.session = None;
            self.flush_requested = true;
        }
    }

    /// Text for sessionStorage; `None` after an explicit end (the slot should be cleared).
    pub fn session_state(&self) -> Option<String> {
        self.session.as_ref().map(Session::serialize)
    }

    /// True if something awaits persisting (then the glue runs its after-change work).
    pub fn is_dirty(&self) -> bool {
        self.session_dirty || self.queue_dirty
    }

    /// What changed since the last call: (session state, queue). The glue persists those.
    pub fn take_dirty(&mut self) -> (bool, bool) {
        let d = (self.session_dirty, self.queue_dirty);
        self.session_dirty = false;
        self.queue_dirty = false;
        d
    }

    /// Merges a stored queue (this tab's after a reload, or one a closed tab left behind).
    pub fn load_queue(&mut self, stored: &str, now: u64) -> usize {
        let n = self.queue.load(stored, now);
        if n > 0 {
            self.queue_dirty = true;
        }
        n
    }

    /// Drops the unsent events older than `maxQueueAge` (a tab left open offline), so that the
    /// next save removes them from localStorage too.
    fn expire_queue(&mut self, now: u64) {
        if self.queue.expire(now) > 0 {
            self.queue_dirty = true;
        }
    }

    /// Sends everything waiting as soon as possible (within the backoff).
    pub fn request_flush(&mut self) {
        self.flush_requested = true;
    }

    /// When the next fetch is due, in epoch ms (may be in the past); `None` if nothing to do or a
    /// send is in flight (its completion decides what comes next).
    ///
    /// A waiting heartbeat is due at once, so the last batch that left is never more than one
    /// heartbeat old while the page is visible (what a killed tab loses). Other events wait for
    /// the next heartbeat, which takes them along (one request per heartbeat), or, when none
    /// comes (hidden or idle tab), go once a heartbeat is due: at once if the last batch left
    /// more than a heartbeat ago. A full batch, `flush()`, `end()` and `flushInterval` send
    /// sooner. Never before the backoff or `Retry-After` allows.
    pub fn next_send_at(&self) -> Option<u64> {
        if self.in_flight.is_some() {
            return None;
        }
        if self.flush_requested && self.queue.pending() > 0 {
            return Some(self.retry_at);
        }
        let oldest = self.queue.oldest_waiting_at()?;
        let due = if self.queue.heartbeat_waiting()
            || self.queue.waiting_count() >= self.cfg.batch_size
        {
            0
        } else {
            let hb = self.cfg.heartbeat_ms;
            // The slack lets the heartbeat timer, due at the same moment, fire first and take the
            // events along instead of a request of their own just before it.
            let next_heartbeat = self.last_sent_at.saturating_add(hb + (hb / 2).min(1000));
            next_heartbeat
                .max(oldest)
                .min(oldest.saturating_add(self.cfg.flush_interval_ms))
        };
        Some(due.max(self.retry_at))
    }

    /// The batch to fetch now, if one is due; it is marked in flight.
    pub fn begin_send(&mut self, now: u64) -> Option<Batch> {
        self.expire_queue(now);
        if self.next_send_at()? > now {
            return None;
        }
        let batch = self.queue.next_batch(&self.cfg.site, now)?;
        self.queue.set_in_flight(&batch.keys, true);
        self.in_flight = Some(batch.keys.clone());
        Some(batch)
    }

    /// Settles the fetch in flight: delivered and rejected events leave the queue, others wait
    /// for the retry time.
    pub fn finish_send(&mut self, now: u64, outcome: Outcome) -> Verdict {
        let keys = self.in_flight.take().unwrap_or_default();
        let verdict = self.backoff.judge(outcome, self.entropy.unit());
        match verdict {
            Verdict::Done | Verdict::Reject => {
                self.queue.remove(&keys);
                self.retry_at = 0;
                self.last_sent_at = now;
                self.queue_dirty = true;
                if self.queue.pending() == 0 {
                    self.flush_requested = false;
                }
            }
            Verdict::Retry(delay) => {
                // If the server was unreachable, so perhaps was an earlier beacon of these.
                self.queue.set_in_flight(&keys, false);
                self.queue.set_beaconed(&keys, false);
                self.retry_at = now.saturating_add(delay as u64);
            }
        }
        verdict
    }

    /// The next batch for `sendBeacon` at page hide: events not beaconed yet, whatever the
    /// backoff, `Retry-After` or a fetch in flight. This may be the last chance (a closed tab),
    /// and the aggregator ignores an event id it has stored, so a resend of something already
    /// delivered is harmless. (The `visibilitychange` that follows `pagehide` finds nothing new.)
    pub fn beacon_batch(&self, now: u64) -> Option<Batch> {
        self.queue
            .next_batch_where(&self.cfg.site, now, |r| !r.beaconed)
    }

    /// The browser accepted a beacon. Whether it arrives is never known, so its events stay
    /// queued and stored until a later fetch confirms them; they do not trigger one, and a
    /// failed fetch makes them due for the next beacon again.
    pub fn beacon_sent(&mut self, now: u64, keys: &[u32]) {
        self.queue.set_beaconed(keys, true);
        self.last_sent_at = now;
        self.flush_requested = false;
    }

    pub fn backoff_failures(&self) -> u32 {
        self.backoff.failures()
    }
}

#[cfg(test)]
#[path = "tracker_tests.rs"]
mod tests;

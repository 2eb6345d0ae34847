//! The queue of unsent events: bounding (drop the oldest heartbeats first), cutting it into
//! single-session batches within the API's limits, building the batch body, and the line format
//! the queue is kept in across page loads (localStorage).

use super::json::{fields, is_hex_id, parse_u64, push_key, push_str, push_u64};
use alloc::string::String;
use alloc::vec::Vec;

/// The API takes at most 100 events per batch.
pub const MAX_BATCH_EVENTS: usize = 100;
/// The API's limit is 64 KiB, and keepalive fetches/beacons share a 64 KiB budget per page: stay
/// far below it so a hide-time flush can still send a couple of batches.
pub const MAX_BATCH_BYTES: usize = 24 * 1024;
/// Events of a session older than this are dropped: the API rejects `sent` beyond 7 days. It is
/// also the longest an unsent event stays in localStorage (`maxQueueAge`, at most this).
pub const MAX_SESSION_AGE_MS: u64 = 7 * 24 * 3600 * 1000;
const STORAGE_HEADER: &str = "usage-q1";
/// Room for the batch envelope (`site`, `session`, `sent`, brackets, the automation signals).
const ENVELOPE_BYTES: usize = 200;

/// Whether an event at `t` of a session started at `start` (epoch ms) may still be kept at
/// `now`: younger than `max_age`, in a session the API still takes.
fn fresh(start: u64, t: u64, now: u64, max_age: u64) -> bool {
    now.saturating_sub(start) < MAX_SESSION_AGE_MS
        && now.saturating_sub(start.saturating_add(t)) < max_age
}

/// One queued event, already serialized.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Local handle to find the record again after a send; never stored or sent.
    pub key: u32,
    pub session: String,
    /// Epoch ms at which `session` started; lets a later page load compute `sent` for it.
    pub start: u64,
    pub t: u64,
    pub heartbeat: bool,
    pub json: String,
    pub in_flight: bool,
    /// Sent by beacon at a page hide, not yet confirmed by a fetch (a beacon's fate is never
    /// known). It goes with the next fetch but does not trigger one. In memory only.
    pub beaconed: bool,
}

impl Record {
    /// Bytes this record takes in storage (one line).
    fn stored_bytes(&self) -> usize {
        self.json.len() + self.session.len() + 48
    }
}

/// A batch chosen from the queue, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub keys: Vec<u32>,
    pub session: String,
    pub body: String,
}

#[derive(Debug)]
pub struct Queue {
    records: Vec<Record>,
    next_key: u32,
    bytes: usize,
    max_events: usize,
    max_bytes: usize,
    /// An event older than this is dropped, from memory and from storage.
    max_age_ms: u64,
    /// Written first in every batch body: the browser's automation signals
    /// (`config::automation_field`), or nothing.
    pub automation: &'static str,
}

impl Queue {
    pub fn new(max_events: usize, max_bytes: usize) -> Self {
        Queue {
            records: Vec::new(),
            next_key: 0,
            bytes: 0,
            max_events: max_events.max(1),
            max_bytes: max_bytes.max(1024),
            max_age_ms: MAX_SESSION_AGE_MS,
            automation: "",
        }
    }

    /// The age at which an unsent event is dropped (at most [`MAX_SESSION_AGE_MS`]).
    pub fn with_max_age(mut self, max_age_ms: u64) -> Self {
        self.max_age_ms = max_age_ms.clamp(1, MAX_SESSION_AGE_MS);
        self
    }

    /// Drops the events (not in flight) too old to keep; returns how many.
    pub fn expire(&mut self, now: u64) -> usize {
        let before = self.records.len();
        let mut bytes = 0;
        let max_age = self.max_age_ms;
        self.records.retain(|r| {
            let keep = r.in_flight || fresh(r.start, r.t, now, max_age);
            if keep {
                bytes += r.stored_bytes();
            }
            keep
        });
        self.bytes = bytes;
        before - self.records.len()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Events not currently being sent.
    pub fn pending(&self) -> usize {
        self.records.iter().filter(|r| !r.in_flight).count()
    }

    /// Pending events that call for a send of their own (not yet beaconed).
    fn waiting(&self) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(|r| !r.in_flight && !r.beaconed)
    }

    /// How many events call for a send (pending and not beaconed): what fills a batch.
    pub fn waiting_count(&self) -> usize {
        self.waiting().count()
    }

    /// True if a heartbeat waits to be sent: heartbeats are what bounds the loss of a killed
    /// tab, so one is sent at once (with whatever else waits).
    pub fn heartbeat_waiting(&self) -> bool {
        self.waiting().any(|r| r.heartbeat)
    }

    /// Epoch ms at which the oldest waiting event happened (drives the flush timer).
    pub fn oldest_waiting_at(&self) -> Option<u64> {
        self.waiting().map(|r| r.start.saturating_add(r.t)).min()
    }

    pub fn set_beaconed(&mut self, keys: &[u32], beaconed: bool) {
        for r in self.records.iter_mut().filter(|r| keys.contains(&r.key)) {
            r.beaconed = beaconed;
        }
    }

    pub fn push(&mut self, session: &str, start: u64, t: u64, heartbeat: bool, json: String) {
        let key = self.next_key;
        self.next_key = self.next_key.wrapping_add(1);
        let rec = Record {
            key,
            session: String::from(session),
            start,
            t,
            heartbeat,
            json,
            in_flight: false,
            beaconed: false,
        };
        self.bytes += rec.stored_bytes();
        self.records.push(rec);
        self.enforce_bounds();
    }

    /// Drops events until the queue fits: the oldest heartbeat first (a later heartbeat carries
    /// the same cumulative counters), then the oldest event of any kind.
    fn enforce_bounds(&mut self) {
        while self.records.len() > self.max_events || self.bytes > self.max_bytes {
            let idx = self.records.iter().position(|r| r.heartbeat).unwrap_or(0);
            let Some(size) = self.records.get(idx).map(Record::stored_bytes) else {
                break;
            };
            // `retain` rather than `Vec::remove`, whose bounds panic links core's formatting.
            let mut i = 0;
            self.records.retain(|_| {
                i += 1;
                i != idx + 1
            });
            self.bytes = self.bytes.saturating_sub(size);
        }
    }

    /// Picks the next batch: pending events of the first pending event's session, in queue order,
    /// at most 100 and [`MAX_BATCH_BYTES`]. `now` (epoch ms) sets the batch's `sent`.
    pub fn next_batch(&self, site: &str, now: u64) -> Option<Batch> {
        self.next_batch_where(site, now, |r| !r.in_flight)
    }

    /// [`Queue::next_batch`] over the events `pick` accepts (the beacon at page hide takes
    /// every event not yet beaconed, in flight or not).
    pub fn next_batch_where(
        &self,
        site: &str,
        now: u64,
        pick: impl Fn(&Record) -> bool,
    ) -> Option<Batch> {
        let first = self.records.iter().find(|r| pick(r))?;
        let session = &first.session;
        let start = first.start;
        let mut keys = Vec::new();
        let mut events = String::new();
        let mut max_t = 0;
        for r in self
            .records
            .iter()
            .filter(|r| pick(r) && r.session == *session)
        {
            let fits = events.len() + r.json.len() + 1 + ENVELOPE_BYTES <= MAX_BATCH_BYTES;
            if keys.len() == MAX_BATCH_EVENTS || (!keys.is_empty() && !fits) {
                break;
            }
            if !events.is_empty() {
                events.push(',');
            }
            events.push_str(&r.json);
            keys.push(r.key);
            max_t = max_t.max(r.t);
        }
        // `sent` must be >= every `t` even if the wall clock stepped back, and <= 7 days.
        let sent = now.saturating_sub(start).min(MAX_SESSION_AGE_MS).max(max_t);
        let mut body = String::with_capacity(events.len() + ENVELOPE_BYTES);
        body.push('{');
        body.push_str(self.automation);
        push_key(&mut body, "site");
        push_str(&mut body, site);
        body.push(',');
        push_key(&mut body, "session");
        push_str(&mut body, session);
        body.push(',');
        push_key(&mut body, "sent");
        push_u64(&mut body, sent);
        body.push(',');
        push_key(&mut body, "events");
        body.push('[');
        body.push_str(&events);
        body.push_str("]}");
        Some(Batch {
            keys,
            session: session.clone(),
            body,
        })
    }

    pub fn set_in_flight(&mut self, keys: &[u32], in_flight: bool) {
        for r in self.records.iter_mut().filter(|r| keys.contains(&r.key)) {
            r.in_flight = in_flight;
        }
    }

    /// Removes delivered (or rejected) events; keys no longer queued are ignored.
    pub fn remove(&mut self, keys: &[u32]) {
        let mut bytes = self.bytes;
        self.records.retain(|r| {
            let keep = !keys.contains(&r.key);
            if !keep {
                bytes = bytes.saturating_sub(r.stored_bytes());
            }
            keep
        });
        self.bytes = bytes;
    }

    /// Stored form: a header line, then `session \t start \t t \t h|e \t json` per event. The
    /// JSON writer escapes all control characters, so an event never contains a tab or newline.
    pub fn serialize(&self) -> String {
        let mut s = String::with_capacity(self.bytes + STORAGE_HEADER.len() + 1);
        s.push_str(STORAGE_HEADER);
        for r in &self.records {
            s.push('\n');
            s.push_str(&r.session);
            s.push('\t');
            push_u64(&mut s, r.start);
            s.push('\t');
            push_u64(&mut s, r.t);
            s.push('\t');
            s.push(if r.heartbeat { 'h' } else { 'e' });
            s.push('\t');
            s.push_str(&r.json);
        }
        s
    }

    /// Adds the events of a stored queue (ours after a reload, or one left by a closed tab),
    /// skipping malformed lines, unknown formats and events too old to keep. Returns how many
    /// events were taken.
    pub fn load(&mut self, stored: &str, now: u64) -> usize {
        let mut lines = fields(stored, b'\n');
        if lines.next() != Some(STORAGE_HEADER) {
            return 0;
        }
        let mut n = 0;
        for line in lines {
            let mut f = fields(line, b'\t');
            let (Some(session), Some(start), Some(t), Some(kind), Some(json)) =
                (f.next(), f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            let (Some(start), Some(t)) = (parse_u64(start), parse_u64(t)) else {
                continue;
            };
            let json_ok = json.starts_with("{\"id\":\"") && json.as_bytes().last() == Some(&b'}');
            let fresh = fresh(start, t, now, self.max_age_ms);
            if !is_hex_id(session) || !json_ok || !fresh || !(kind == "h" || kind == "e") {
                continue;
            }
            // The same event can come from two stored queues (two tabs claimed it); keep one.
            if self.records.iter().any(|r| r.json == json) {
                continue;
            }
            self.push(session, start, t, kind == "h", String::from(json));
            n += 1;
        }
        n
    }
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;

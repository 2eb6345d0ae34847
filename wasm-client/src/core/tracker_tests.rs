//! Unit tests of the tracker state machine, driven by a fake clock and deterministic entropy.
//! Batches are parsed back with serde_json (a native dev-dependency only) to check the contract.

use super::*;
use alloc::borrow::ToOwned;
use serde_json::Value;

struct Fake(u64);

impl Entropy for Fake {
    fn id_bytes(&mut self) -> [u8; 16] {
        self.0 += 1;
        let mut b = [0u8; 16];
        b[8..].copy_from_slice(&self.0.to_be_bytes());
        b
    }
    fn unit(&mut self) -> f64 {
        0.5
    }
}

const T0: u64 = 1_700_000_000_000;

fn cfg() -> Config {
    let mut c = Config {
        endpoint: "http://127.0.0.1:1".into(),
        site: "ide".into(),
        ..Config::default()
    };
    c.normalize();
    c
}

fn started() -> Tracker<Fake> {
    let mut t = Tracker::new(cfg(), Fake(0), true);
    t.resume(None, T0);
    t
}

fn types(t: &Tracker<Fake>) -> Vec<String> {
    t.queue
        .records()
        .iter()
        .map(|r| parse(&r.json)["type"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("invalid JSON {s}: {e}"))
}

/// Checks a batch body against the rules of docs/api.md.
fn check_batch(body: &str) -> Value {
    let v = parse(body);
    assert_eq!(v["site"], "ide");
    let session = v["session"].as_str().expect("session");
    assert!(crate::core::json::is_hex_id(session));
    let sent = v["sent"].as_u64().expect("sent");
    let events = v["events"].as_array().expect("events");
    assert!(!events.is_empty() && events.len() <= 100);
    let mut seqs = Vec::new();
    for e in events {
        assert!(crate::core::json::is_hex_id(e["id"].as_str().expect("id")));
        let t = e["t"].as_u64().expect("t");
        assert!(t <= sent, "t {t} > sent {sent}");
        seqs.push(e["seq"].as_u64().expect("seq"));
        if e["type"] == "heartbeat" {
            let (v, a) = (e["visible_ms"].as_u64(), e["active_ms"].as_u64());
            assert!(a <= v && v <= Some(t + 1000), "{e}");
        }
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seq order {seqs:?}");
    v
}

#[test]
fn new_session_starts_and_heartbeats_count_visible_and_active_time() {
    let mut t = started();
    assert_eq!(types(&t), ["start"]);
    t.input(T0 + 1_000);
    t.heartbeat(T0 + 15_000);
    t.heartbeat(T0 + 60_000);
    let b = t
        .begin_send(T0 + 60_000)
        .expect("batch size not reached, but start is old");
    let v = check_batch(&b.body);
    let ev = &v["events"];
    assert_eq!(ev[1]["visible_ms"], 15_000);
    assert_eq!(ev[1]["active_ms"], 14_000);
    assert_eq!(ev[2]["t"], 60_000);
    assert_eq!(ev[2]["visible_ms"], 60_000);
    assert_eq!(ev[2]["active_ms"], 30_000);
    assert_eq!(v["sent"], 60_000);
}

#[test]
fn hidden_tab_sends_no_heartbeats_and_stops_counting() {
    let mut t = started();
    t.input(T0);
    t.set_visible(T0 + 10_000, false);
    assert_eq!(types(&t), ["start", "heartbeat"]);
    t.heartbeat(T0 + 15_000);
    t.heartbeat(T0 + 30_000);
    assert_eq!(t.queue.len(), 2);
    t.set_visible(T0 + 100_000, true);
    t.heartbeat(T0 + 115_000);
    let last = parse(&t.queue.records()[2].json);
    assert_eq!(last["visible_ms"], 25_000);
    assert_eq!(last["active_ms"], 10_000);
    assert_eq!(last["t"], 115_000);
}

#[test]
fn reload_continues_the_session_from_storage() {
    let mut a = started();
    a.feature(T0 + 5_000, "save", None);
    let (session_dirty, queue_dirty) = a.take_dirty();
    assert!(session_dirty && queue_dirty);
    assert_eq!(a.take_dirty(), (false, false));
    let state = a.session_state().expect("state");
    let mut b = Tracker::new(cfg(), Fake(100), true);
    b.resume(Some(&state), T0 + 20_000);
    assert_eq!(b.session_id(), a.session_id());
    assert!(b.queue.is_empty(), "no second start event");
    b.feature(T0 + 21_000, "load", None);
    let e = parse(&b.queue.records()[0].json);
    assert_eq!(
        (e["seq"].as_u64(), e["t"].as_u64()),
        (Some(2), Some(21_000))
    );
    // Back after the idle timeout: a fresh session.
    let mut c = Tracker::new(cfg(), Fake(200), true);
    c.resume(Some(&state), T0 + 5_000 + 31 * 60_000);
    assert_ne!(c.session_id(), a.session_id());
    assert_eq!(types(&c), ["start"]);
}

#[test]
fn return_after_idle_timeout_rotates_the_session() {
    let mut t = started();
    let first = t.session_id().map(str::to_owned);
    t.input(T0 + 60_000);
    t.set_visible(T0 + 70_000, false);
    t.set_visible(T0 + 70_000 + 31 * 60_000, true);
    assert_ne!(t.session_id().map(str::to_owned), first);
    assert_eq!(types(&t), ["start", "heartbeat", "end", "start"]);
    // The old session ends when the user was last seen, not now.
    assert_eq!(parse(&t.queue.records()[2].json)["t"], 70_000);
    // Each session goes in its own batch.
    t.request_flush();
    let now = T0 + 71 * 60_000;
    let b1 = t.begin_send(now).expect("first");
    assert_eq!(
        check_batch(&b1.body)["events"].as_array().map(Vec::len),
        Some(3)
    );
    t.finish_send(now, Outcome::Status(200, None));
    let b2 = t.begin_send(now).expect("second");
    assert_eq!(b2.session.as_str(), t.session_id().unwrap_or_default());
}

#[test]
fn heartbeats_stop_when_the_user_is_idle() {
    let mut t = started();
    t.heartbeat(T0 + 29 * 60_000);
    t.heartbeat(T0 + 31 * 60_000);
    assert_eq!(types(&t), ["start", "heartbeat"]);
    t.input(T0 + 32 * 60_000);
    assert_eq!(types(&t), ["start", "heartbeat", "end", "start"]);
}

/// A tracker whose `start` has gone out (at T0), with nothing queued.
fn sent_start() -> Tracker<Fake> {
    let mut t = started();
    assert_eq!(
        t.next_send_at(),
        Some(T0 + 16_000),
        "`start` waits for the first heartbeat"
    );
    t.request_flush();
    t.begin_send(T0).expect("start");
    t.finish_send(T0 + 10, Outcome::Status(200, None));
    assert!(t.queue.is_empty());
    t
}

#[test]
fn each_heartbeat_sends_what_waits() {
    let mut t = sent_start();
    // Events between heartbeats wait for the next one (plus a second of slack for the timer).
    t.feature(T0 + 3_000, "run", None);
    t.feature(T0 + 9_000, "save", None);
    assert_eq!(t.next_send_at(), Some(T0 + 16_010));
    assert!(t.begin_send(T0 + 14_999).is_none());
    t.heartbeat(T0 + 15_000);
    assert_eq!(t.next_send_at(), Some(0), "a heartbeat goes at once");
    let b = t.begin_send(T0 + 15_000).expect("heartbeat batch");
    assert_eq!(b.keys.len(), 3, "with the events that waited");
    t.finish_send(T0 + 15_010, Outcome::Status(200, None));
    // One request per heartbeat: a heartbeat alone goes alone.
    t.heartbeat(T0 + 30_000);
    assert_eq!(t.begin_send(T0 + 30_000).map(|b| b.keys.len()), Some(1));
    t.finish_send(T0 + 30_010, Outcome::Status(200, None));
    // No heartbeat came (hidden or idle tab) and one is overdue: an event goes at once.
    t.feature(T0 + 90_000, "run", None);
    assert_eq!(t.next_send_at(), Some(T0 + 90_000));
}

#[test]
fn sends_when_batch_is_full_or_old_enough() {
    let mut t = sent_start();
    for i in 0..19 {
        t.feature(T0 + 1 + i, "run", None);
    }
    assert_eq!(t.next_send_at(), Some(T0 + 16_010));
    t.feature(T0 + 100, "run", None);
    assert_eq!(t.next_send_at(), Some(0));
    let b = t.begin_send(T0 + 100).expect("full batch");
    assert_eq!(b.keys.len(), 20);
    assert_eq!(t.next_send_at(), None, "one fetch at a time");
    t.finish_send(T0 + 200, Outcome::Status(200, None));
    assert!(t.queue.is_empty());
    assert_eq!(t.next_send_at(), None);
    // A flush interval shorter than the heartbeat sends sooner.
    let mut c = cfg();
    c.flush_interval_ms = 2_000;
    t.cfg = c;
    t.feature(T0 + 1_000, "run", None);
    assert_eq!(t.next_send_at(), Some(T0 + 3_000));
}

#[test]
fn failures_back_off_and_keep_the_batch() {
    let mut t = started();
    t.request_flush();
    let b = t.begin_send(T0).expect("batch");
    assert_eq!(
        t.finish_send(T0, Outcome::NetworkError),
        Verdict::Retry(750.0)
    );
    assert_eq!(t.next_send_at(), Some(T0 + 750));
    let b2 = t.begin_send(T0 + 750).expect("retry");
    assert_eq!(b2.body.replace("\"sent\":750", "\"sent\":0"), b.body);
    let v = t.finish_send(T0 + 750, Outcome::Status(503, Some(5_000.0)));
    assert_eq!(v, Verdict::Retry(5_000.0));
    assert_eq!(t.backoff_failures(), 2);
    assert!(t.begin_send(T0 + 5_000).is_none());
    // A heartbeat is due at once, but not before the server's Retry-After.
    t.heartbeat(T0 + 5_100);
    assert_eq!(t.next_send_at(), Some(T0 + 5_750));
    assert!(t.begin_send(T0 + 5_750).is_some());
    assert_eq!(
        t.finish_send(T0 + 5_800, Outcome::Status(422, None)),
        Verdict::Reject
    );
    assert!(t.queue.is_empty(), "a rejected batch is dropped");
}

#[test]
fn beacons_ignore_the_backoff_and_keep_events_until_a_fetch_confirms() {
    let mut t = started();
    t.request_flush();
    t.begin_send(T0).expect("start");
    t.finish_send(T0 + 10, Outcome::Status(503, Some(600_000.0)));
    t.feature(T0 + 1_000, "run", None);
    assert_eq!(
        t.next_send_at(),
        Some(T0 + 600_010),
        "fetches wait out Retry-After"
    );
    // Page hide during the backoff: everything goes by beacon.
    let b = t
        .beacon_batch(T0 + 2_000)
        .expect("beacon despite the backoff");
    assert_eq!(b.keys.len(), 2);
    t.beacon_sent(T0 + 2_000, &b.keys);
    assert!(t.beacon_batch(T0 + 2_000).is_none(), "one beacon per event");
    assert_eq!(t.queue.len(), 2, "kept until a fetch confirms");
    // A failed fetch of them makes them due for the next hide's beacon again.
    t.heartbeat(T0 + 600_000);
    let f = t
        .begin_send(T0 + 600_010)
        .expect("retry with the heartbeat");
    assert_eq!(f.keys.len(), 3);
    t.finish_send(T0 + 600_020, Outcome::NetworkError);
    assert_eq!(t.beacon_batch(T0 + 600_030).map(|b| b.keys.len()), Some(3));
    // Beaconed events do not call for a fetch; the next one takes them along.
    let mut t2 = sent_start();
    t2.feature(T0 + 1_000, "run", None);
    let b = t2.beacon_batch(T0 + 1_000).expect("beacon");
    t2.beacon_sent(T0 + 1_000, &b.keys);
    assert_eq!(t2.next_send_at(), None);
    t2.heartbeat(T0 + 15_000);
    let f = t2.begin_send(T0 + 15_000).expect("heartbeat");
    assert_eq!(f.keys.len(), 2, "the beaconed event is resent with it");
    t2.finish_send(T0 + 15_010, Outcome::Status(200, None));
    assert!(t2.queue.is_empty());
}

#[test]
fn beacon_batches_cover_the_whole_queue() {
    let mut t = started();
    for i in 0..150 {
        t.feature(T0 + i, "x", None);
    }
    t.request_flush();
    let inflight = t.begin_send(T0 + 200).expect("fetch");
    let mut sent = Vec::new();
    while let Some(b) = t.beacon_batch(T0 + 300) {
        check_batch(&b.body);
        t.beacon_sent(T0 + 300, &b.keys);
        sent.extend_from_slice(&b.keys);
    }
    assert_eq!(
        sent.len(),
        151,
        "in flight or not: the fetch may never finish"
    );
    assert!(inflight.keys.iter().all(|k| sent.contains(k)));
}

#[test]
fn explicit_end_closes_and_next_activity_starts_anew() {
    let mut t = started();
    let first = t.session_id().map(str::to_owned);
    t.end(T0 + 1_000, true);
    assert_eq!(t.session_state(), None);
    assert_eq!(t.owner(), first.as_deref().unwrap_or_default());
    assert_eq!(t.next_send_at(), Some(0), "end flushes");
    t.heartbeat(T0 + 15_000);
    t.end(T0 + 16_000, true);
    assert_eq!(types(&t), ["start", "end"]);
    let run = ProgramRun::from_raw(3.0, 1.0, 3.0, true, None);
    t.program_run(T0 + 20_000, &run);
    assert_ne!(t.session_id().map(str::to_owned), first);
    assert_eq!(types(&t), ["start", "end", "start", "program_run"]);
}

#[test]
fn queue_left_by_another_tab_is_replayed_in_its_own_batch() {
    let mut old = started();
    old.feature(T0 + 1_000, "debugger", Some("{\"breakpoints\":2}"));
    let stored = old.queue.serialize();
    let mut t = Tracker::new(cfg(), Fake(50), true);
    // The glue loads stored queues before resuming, so older events go out first.
    assert_eq!(t.load_queue(&stored, T0 + 60_000), 2);
    t.resume(None, T0 + 60_000);
    t.request_flush();
    let b = t.begin_send(T0 + 60_000).expect("old session first");
    let v = check_batch(&b.body);
    assert_eq!(Some(v["session"].as_str().unwrap_or("")), old.session_id());
    assert_eq!(v["sent"], 60_000);
    assert_eq!(v["events"][1]["data"]["breakpoints"], 2);
    t.finish_send(T0 + 60_001, Outcome::Status(200, None));
    let b = t.begin_send(T0 + 60_001).expect("own session");
    assert_eq!(check_batch(&b.body)["session"].as_str(), t.session_id());
}

#[test]
fn input_floods_are_cheap_but_still_count() {
    let mut t = started();
    for ms in (0..10_000).step_by(10) {
        t.input(T0 + ms);
    }
    t.heartbeat(T0 + 60_000);
    let hb = parse(&t.queue.records()[1].json);
    assert!(hb["active_ms"].as_u64() >= Some(39_750), "{hb}");
}

#[test]
fn unsent_events_expire_at_the_max_age_while_the_tab_stays_open() {
    let mut c = cfg();
    c.max_queue_age_ms = 3_600_000;
    c.normalize();
    let mut t = Tracker::new(c, Fake(0), true);
    t.resume(None, T0);
    t.feature(T0 + 1_000, "save", None);
    t.request_flush();
    t.begin_send(T0 + 1_000).expect("batch");
    t.finish_send(T0 + 1_000, Outcome::NetworkError);
    let _ = t.take_dirty();
    assert_eq!(types(&t), ["start", "feature"], "kept while offline");
    // An hour after the feature event both it and the start have expired: the heartbeat timer
    // (which sends nothing for a user idle this long) drops them, and storage is rewritten.
    t.heartbeat(T0 + 1_000 + 3_600_000);
    assert!(t.queue.is_empty(), "{:?}", types(&t));
    assert!(t.take_dirty().1, "storage is rewritten without them");
    assert!(
        t.begin_send(T0 + 1_000 + 3_600_000 + 60_000).is_none(),
        "nothing goes out"
    );
}

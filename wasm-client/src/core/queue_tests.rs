//! Unit tests of the queue: bounds, batches, the stored line format and expiry.

use super::*;
use alloc::format;

const S1: &str = "11111111111111111111111111111111";
const S2: &str = "22222222222222222222222222222222";

fn ev(i: u32, kind: &str) -> String {
    format!("{{\"id\":\"{i:032x}\",\"seq\":{i},\"t\":{i},\"type\":\"{kind}\"}}")
}

fn push(q: &mut Queue, s: &str, i: u32, hb: bool) {
    q.push(
        s,
        1000,
        u64::from(i),
        hb,
        ev(i, if hb { "heartbeat" } else { "feature" }),
    );
}

fn ids(q: &Queue) -> Vec<u64> {
    q.records().iter().map(|r| r.t).collect()
}

#[test]
fn full_queue_drops_oldest_heartbeats_first() {
    let mut q = Queue::new(4, 1 << 20);
    push(&mut q, S1, 0, false);
    push(&mut q, S1, 1, true);
    push(&mut q, S1, 2, false);
    push(&mut q, S1, 3, true);
    push(&mut q, S1, 4, false);
    assert_eq!(ids(&q), [0, 2, 3, 4]);
    push(&mut q, S1, 5, false);
    assert_eq!(ids(&q), [0, 2, 4, 5]);
    // No heartbeat left: the oldest event goes.
    push(&mut q, S1, 6, false);
    assert_eq!(ids(&q), [2, 4, 5, 6]);
}

#[test]
fn byte_bound_is_enforced() {
    let mut q = Queue::new(10_000, 4096);
    for i in 0..200 {
        push(&mut q, S1, i, i % 2 == 0);
    }
    assert!(q.serialize().len() <= 4096 + 64, "{}", q.serialize().len());
    assert!(q.len() < 200 && q.len() > 10);
    // Heartbeats (even t) went first, so only features remain.
    assert!(q.records().iter().all(|r| !r.heartbeat));
    assert_eq!(q.records().last().map(|r| r.t), Some(199));
}

#[test]
fn batch_has_one_session_and_valid_envelope() {
    let mut q = Queue::new(500, 1 << 20);
    push(&mut q, S1, 0, false);
    push(&mut q, S2, 1, false);
    push(&mut q, S1, 2, true);
    let b = q.next_batch("ide", 1000 + 31_000).expect("batch");
    assert_eq!(b.session, S1);
    assert_eq!(b.keys.len(), 2);
    let expected = format!(
        "{{\"site\":\"ide\",\"session\":\"{S1}\",\"sent\":31000,\"events\":[{},{}]}}",
        ev(0, "feature"),
        ev(2, "heartbeat")
    );
    assert_eq!(b.body, expected);
    q.set_in_flight(&b.keys, true);
    assert_eq!(q.pending(), 1);
    let b2 = q.next_batch("ide", 2000).expect("second batch");
    assert_eq!(b2.session, S2);
    q.remove(&b.keys);
    assert_eq!(ids(&q), [1]);
}

#[test]
fn sent_is_never_below_t_even_if_the_clock_went_back() {
    let mut q = Queue::new(500, 1 << 20);
    q.push(S1, 50_000, 9_000, false, ev(1, "feature"));
    let b = q.next_batch("ide", 40_000).expect("batch");
    assert!(b.body.contains("\"sent\":9000,"), "{}", b.body);
}

#[test]
fn batches_respect_count_and_size_limits() {
    let mut q = Queue::new(1000, 1 << 22);
    for i in 0..250 {
        push(&mut q, S1, i, false);
    }
    let b = q.next_batch("ide", 5000).expect("batch");
    assert_eq!(b.keys.len(), MAX_BATCH_EVENTS);
    let mut q = Queue::new(1000, 1 << 22);
    let fat = format!("{{\"id\":\"{:032x}\",\"pad\":\"{}\"}}", 1, "x".repeat(2000));
    for _ in 0..40 {
        q.push(S1, 0, 1, false, fat.clone());
    }
    let b = q.next_batch("ide", 5000).expect("batch");
    assert!(b.body.len() <= MAX_BATCH_BYTES);
    assert!(b.keys.len() >= 10 && b.keys.len() < 40);
}

#[test]
fn storage_round_trip_and_oldest_pending() {
    let mut q = Queue::new(500, 1 << 20);
    push(&mut q, S1, 7, true);
    push(&mut q, S2, 3, false);
    assert_eq!(q.oldest_waiting_at(), Some(1003));
    let s = q.serialize();
    let mut r = Queue::new(500, 1 << 20);
    assert_eq!(r.load(&s, 5000), 2);
    assert_eq!(r.records().len(), 2);
    for (a, b) in q.records().iter().zip(r.records()) {
        assert_eq!(
            (&a.session, a.start, a.t, a.heartbeat, &a.json),
            (&b.session, b.start, b.t, b.heartbeat, &b.json)
        );
    }
    // Loading the same queue again adds nothing.
    assert_eq!(r.load(&s, 5000), 0);
}

#[test]
fn load_skips_garbage_and_stale_sessions() {
    let good = ev(1, "feature");
    let text = format!(
        "usage-q1\n{S1}\t1000\t1\te\t{good}\nnot a record\n{S1}\tx\t1\te\t{good}\n\
         ABC\t1000\t1\te\t{good}\n{S2}\t1000\t1\tq\t{good}\n{S2}\t1000\t2\te\t[1]"
    );
    let mut q = Queue::new(500, 1 << 20);
    assert_eq!(q.load(&text, 2000), 1);
    assert_eq!(q.load("other-format\nstuff", 2000), 0);
    let mut q = Queue::new(500, 1 << 20);
    assert_eq!(q.load(&text, 1000 + MAX_SESSION_AGE_MS), 0);
}

#[test]
fn events_expire_at_the_max_age_in_memory_and_when_loaded() {
    const DAY: u64 = 24 * 3600 * 1000;
    let mut q = Queue::new(500, 1 << 20).with_max_age(2 * DAY);
    // Session S1 started at 0: an event at t=0 and one at t=1 day; S2 started at day 1.
    q.push(S1, 0, 0, false, ev(1, "start"));
    q.push(S1, 0, DAY, true, ev(2, "heartbeat"));
    q.push(S2, DAY, 0, false, ev(3, "start"));
    let stored = q.serialize();
    assert_eq!(q.expire(2 * DAY - 1), 0, "nothing is two days old yet");
    assert_eq!(q.expire(2 * DAY), 1, "the first event is");
    assert_eq!(q.len(), 2);
    let mut reloaded = Queue::new(500, 1 << 20).with_max_age(2 * DAY);
    assert_eq!(reloaded.load(&stored, 2 * DAY), 2, "the same rule on load");
    // An event in flight stays until its send ends; then it expires like any other.
    let keys: Vec<u32> = q.records().iter().map(|r| r.key).collect();
    q.set_in_flight(&keys, true);
    assert_eq!(q.expire(10 * DAY), 0);
    q.set_in_flight(&keys, false);
    assert_eq!(q.expire(10 * DAY), 2);
    assert!(q.is_empty());
    assert_eq!(q.serialize(), "usage-q1", "nothing left to store");
}

#[test]
fn the_max_age_never_exceeds_the_apis_bound() {
    let mut q = Queue::new(500, 1 << 20).with_max_age(u64::MAX);
    // A session older than 7 days goes even if its events are younger than the max age.
    q.push(S1, 0, MAX_SESSION_AGE_MS - 5, false, ev(1, "feature"));
    assert_eq!(q.expire(MAX_SESSION_AGE_MS), 1);
}

#[test]
fn automation_signals_go_first_in_every_batch_fetched_or_beaconed() {
    use crate::core::config::{automation_field, HEADLESS, WEBDRIVER};
    let mut q = Queue::new(500, 1 << 20);
    q.automation = automation_field(WEBDRIVER | HEADLESS).unwrap();
    push(&mut q, S1, 0, false);
    let fetched = q.next_batch("ide", 2000).expect("batch").body;
    let beaconed = q
        .next_batch_where("ide", 2000, |_| true)
        .expect("beacon")
        .body;
    for body in [fetched, beaconed] {
        let expected = format!(
            "{{\"automation\":[\"webdriver\",\"headless\"],\"site\":\"ide\",\"session\":\"{S1}\",\"sent\":1000,\"events\":[{}]}}",
            ev(0, "feature")
        );
        assert_eq!(body, expected);
    }
}

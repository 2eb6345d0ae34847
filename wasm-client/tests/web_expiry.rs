//! In a real browser: unsent events in localStorage expire (`maxQueueAge`, at most 7 days, the
//! aggregator's bound on `sent`), whichever site id of the origin left them; the opt-out flag is
//! the only thing kept longer.
#![cfg(target_arch = "wasm32")]

// Shared with web.rs, which uses the rest of it.
#[allow(dead_code)]
mod support;

use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function store_queue(site, session, startAgoMs, t) {
  const start = Date.now() - startAgoMs;
  const id = session.replace(/^./, "e");
  const event = `{"id":"${id}","seq":0,"t":${t},"type":"feature","name":"left-behind"}`;
  localStorage.setItem(`usage-q:${site}:${session}`, `usage-q1\n${session}\t${start}\t${t}\te\t${event}`);
}
export function stored(key) { return localStorage.getItem(key); }
"#)]
extern "C" {
    fn store_queue(site: &str, session: &str, start_ago_ms: f64, t: f64);
    fn stored(key: &str) -> Option<String>;
}

const DAY: f64 = 24.0 * 3600.0 * 1000.0;
const OLD: &str = "0123456789abcdef0123456789abcdef";
const FRESH: &str = "fedcba9876543210fedcba9876543210";

#[wasm_bindgen_test]
async fn unsent_events_older_than_seven_days_are_dropped_not_sent() {
    install_fakes();
    store_queue("t-expire", OLD, 8.0 * DAY, 1000.0);
    store_queue("t-expire", FRESH, 2.0 * DAY, 1000.0);
    let t = tracker(r#"{"site":"t-expire"}"#);
    t.start();
    t.flush();
    sleep(100).await;
    let sessions: Vec<String> = fetches("t-expire")
        .iter()
        .map(|f| s(&body(f), "session"))
        .collect();
    assert!(sessions.iter().any(|s| s == FRESH), "{sessions:?}");
    assert!(
        !sessions.iter().any(|s| s == OLD),
        "an 8-day-old event is never sent: {sessions:?}"
    );
    assert!(
        !queue_text("t-expire").contains(OLD),
        "nor kept in localStorage"
    );
    t.stop();
}

#[wasm_bindgen_test]
async fn a_shorter_max_age_applies_and_other_sites_stale_queues_are_removed() {
    install_fakes();
    store_queue("t-short", OLD, 3.0 * DAY, 0.0);
    // Another site id of this origin whose page may never load again: its stale queue goes,
    // its fresh one stays for it.
    store_queue("t-gone", OLD, 8.0 * DAY, 0.0);
    store_queue("t-other", FRESH, DAY, 0.0);
    let t = tracker(r#"{"site":"t-short","maxQueueAge":172800000}"#);
    t.start();
    t.flush();
    sleep(100).await;
    assert!(
        !fetches("t-short")
            .iter()
            .any(|f| s(&body(f), "session") == OLD),
        "older than the page's maxQueueAge of 2 days"
    );
    assert_eq!(stored(&format!("usage-q:t-gone:{OLD}")), None);
    assert!(stored(&format!("usage-q:t-other:{FRESH}")).is_some());
    // Opting out forgets the queue and session; the flag itself is what stays.
    t.opt_out();
    assert_eq!(storage_keys_containing("t-short"), 0);
    assert_eq!(stored("usage-opt-out").as_deref(), Some("1"));
    t.opt_in();
    assert_eq!(stored("usage-opt-out"), None);
    t.stop();
}

//! Browser tests of the exported tracker (headless Chrome and Firefox via wasm-pack test).
//! `window.fetch` and `navigator.sendBeacon` are replaced by recorders, visibility and GPC are
//! faked with property overrides, and each test uses its own site id so stored state and
//! recorded requests never mix between tests.
#![cfg(target_arch = "wasm32")]

mod support;

use support::*;
use usage_client::UsageTracker;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn payload_matches_the_api_contract() {
    install_fakes();
    let t = tracker(r#"{"site":"t-payload","flushInterval":100000}"#);
    t.start();
    t.feature("Save File".into(), parse(r#"{"slot":1}"#));
    t.program_run(parse(
        r#"{"programLines":3,"executionTimeMs":2.4,"linesExecuted":3,"success":false,
            "error":"?SYNTAX ERROR IN 20"}"#,
    ));
    sleep(50).await;
    assert_eq!(
        fetches("t-payload").len(),
        0,
        "nothing sent before the batch is due"
    );
    t.flush();
    sleep(50).await;
    let f = fetches("t-payload");
    assert_eq!(f.len(), 1);
    let req = &f[0];
    assert_eq!(s(req, "url"), "http://collector.test/api/v1/events");
    assert_eq!(s(req, "method"), "POST");
    assert_eq!(s(req, "credentials"), "omit");
    assert_eq!(get(req, "keepalive").as_bool(), Some(true));
    assert_eq!(
        s(req, "bodyType"),
        "string",
        "text/plain body, no preflight"
    );
    let b = body(req);
    assert_eq!(s(&b, "site"), "t-payload");
    assert_eq!(Some(s(&b, "session")), t.session_id());
    let ev = events(&b);
    assert_eq!(types(&ev), ["start", "feature", "program_run"]);
    assert_eq!(s(&ev[1], "name"), "save_file");
    assert_eq!(n(&get(&ev[1], "data"), "slot"), 1.0);
    assert_eq!(n(&ev[2], "program_lines"), 3.0);
    assert_eq!(n(&ev[2], "execution_time_ms"), 2.0);
    assert_eq!(get(&ev[2], "success").as_bool(), Some(false));
    assert_eq!(s(&ev[2], "error_message"), "?SYNTAX ERROR IN 20");
    check_contract(&b);
    assert!(
        queue_keys("t-payload").is_empty(),
        "delivered events leave storage"
    );
    t.stop();
}

#[wasm_bindgen_test]
async fn batches_when_full_or_after_the_flush_interval() {
    install_fakes();
    let t = tracker(r#"{"site":"t-batch","batchSize":3,"flushInterval":600}"#);
    t.start();
    t.feature("a".into(), JsValue::UNDEFINED);
    sleep(50).await;
    assert_eq!(fetches("t-batch").len(), 0);
    t.feature("b".into(), JsValue::UNDEFINED);
    sleep(30).await;
    let f = fetches("t-batch");
    assert_eq!(f.len(), 1, "third event fills the batch");
    assert_eq!(events(&body(&f[0])).len(), 3);
    t.feature("c".into(), JsValue::UNDEFINED);
    sleep(100).await;
    assert_eq!(
        fetches("t-batch").len(),
        1,
        "one event waits for the interval"
    );
    sleep(900).await;
    let f = fetches("t-batch");
    assert_eq!(f.len(), 2, "sent once the oldest event is 600 ms old");
    assert_eq!(types(&events(&body(&f[1]))), ["feature"]);
    t.stop();
}

#[wasm_bindgen_test]
async fn network_errors_back_off_exponentially_with_the_same_batch() {
    install_fakes();
    set_fake("fail", JsValue::TRUE);
    let t = tracker(r#"{"site":"t-backoff","retryBase":40,"retryMax":10000}"#);
    t.start();
    t.flush();
    sleep(700).await;
    t.stop();
    let f = fetches("t-backoff");
    // Delays are in [20,40), [40,80), [80,160), [160,320), [320,640): 5 or 6 attempts fit in
    // 700 ms (4 tolerates a slow timer); without backoff there would be hundreds.
    assert!((4..=6).contains(&f.len()), "{} attempts", f.len());
    let at: Vec<f64> = f.iter().map(|r| n(r, "at")).collect();
    let gaps: Vec<f64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    for (k, gap) in gaps.iter().enumerate() {
        let ceiling = 40.0 * f64::from(1u32 << k);
        assert!(
            *gap >= ceiling / 2.0 - 2.0,
            "gap {k} = {gap} < {}",
            ceiling / 2.0
        );
    }
    assert!(gaps[2] > gaps[0], "backoff grows: {gaps:?}");
    let first = s(&f[0], "body");
    let first_ids: Vec<String> = events(&body(&f[0])).iter().map(|e| s(e, "id")).collect();
    let last_ids: Vec<String> = events(&body(&f[f.len() - 1]))
        .iter()
        .map(|e| s(e, "id"))
        .collect();
    assert_eq!(first_ids, last_ids, "a retry resends the same events");
    assert!(first.contains("\"type\":\"start\""));
    assert_eq!(
        queue_keys("t-backoff").len(),
        1,
        "unsent events stay stored"
    );
}

#[wasm_bindgen_test]
async fn retry_after_is_honoured_and_4xx_is_never_retried() {
    install_fakes();
    set_fake("status", 429.into());
    set_fake("retryAfter", "1".into());
    let t = tracker(r#"{"site":"t-retry-after","retryBase":10}"#);
    t.start();
    t.flush();
    sleep(700).await;
    assert_eq!(
        fetches("t-retry-after").len(),
        1,
        "Retry-After: 1 beats a 10 ms backoff"
    );
    set_fake("status", 200.into());
    sleep(1000).await;
    assert_eq!(fetches("t-retry-after").len(), 2, "retried after a second");
    assert!(queue_keys("t-retry-after").is_empty());
    t.stop();

    set_fake("status", 422.into());
    let t = tracker(r#"{"site":"t-reject","retryBase":10}"#);
    t.start();
    t.flush();
    sleep(300).await;
    assert_eq!(fetches("t-reject").len(), 1, "4xx: dropped, not retried");
    assert!(
        queue_keys("t-reject").is_empty(),
        "rejected batch is dropped from storage"
    );
    t.stop();
}

#[wasm_bindgen_test]
async fn unsent_events_are_replayed_after_a_reload() {
    install_fakes();
    set_fake("fail", JsValue::TRUE);
    let a = tracker(r#"{"site":"t-reload","retryBase":100000}"#);
    a.start();
    a.feature("debugger".into(), parse(r#"{"breakpoints":2}"#));
    let session = a.session_id();
    a.stop();
    drop(a);
    assert_eq!(
        queue_keys("t-reload").len(),
        1,
        "queue persisted in localStorage"
    );
    set_fake("fail", JsValue::FALSE);
    // A new tracker over the same storage: what a reload of the tab does.
    let b = tracker(r#"{"site":"t-reload"}"#);
    b.start();
    assert_eq!(
        b.session_id(),
        session,
        "a reload continues the tab's session"
    );
    b.feature("load".into(), JsValue::UNDEFINED);
    b.flush();
    sleep(50).await;
    let f = fetches("t-reload");
    let last = body(&f[f.len() - 1]);
    check_contract(&last);
    assert_eq!(types(&events(&last)), ["start", "feature", "feature"]);
    let seqs: Vec<f64> = events(&last).iter().map(|e| n(e, "seq")).collect();
    assert_eq!(
        seqs,
        [0.0, 1.0, 2.0],
        "sequence continues across the reload"
    );
    b.stop();
}

#[wasm_bindgen_test]
async fn an_older_sessions_queue_goes_in_its_own_batch() {
    install_fakes();
    set_fake("fail", JsValue::TRUE);
    let a = tracker(r#"{"site":"t-old","retryBase":100000}"#);
    a.start();
    a.feature("run".into(), JsValue::UNDEFINED);
    let old = a.session_id();
    a.stop();
    drop(a);
    // A new tab has its own sessionStorage: a new session.
    remove_session_state("t-old");
    set_fake("fail", JsValue::FALSE);
    let b = tracker(r#"{"site":"t-old"}"#);
    b.start();
    assert_ne!(b.session_id(), old);
    b.flush();
    sleep(100).await;
    let bodies: Vec<JsValue> = fetches("t-old").iter().map(body).collect();
    let ok: Vec<&JsValue> = bodies.iter().rev().take(2).collect();
    assert_eq!(Some(s(ok[1], "session")), old);
    assert_eq!(types(&events(ok[1])), ["start", "feature"]);
    assert_eq!(Some(s(ok[0], "session")), b.session_id());
    assert_eq!(types(&events(ok[0])), ["start"]);
    b.stop();
}

#[wasm_bindgen_test]
async fn hidden_page_pauses_heartbeats_and_flushes_by_beacon() {
    install_fakes();
    let t = tracker(r#"{"site":"t-vis","heartbeatInterval":50,"flushInterval":100000}"#);
    t.start();
    sleep(180).await;
    let f1 = fetches("t-vis");
    assert!(f1.len() >= 3, "one fetch per heartbeat: {}", f1.len());
    for f in &f1 {
        check_contract(&body(f));
        assert_eq!(
            types(&events(&body(f))).last().map(String::as_str),
            Some("heartbeat")
        );
    }
    set_hidden(true);
    let b1 = beacons("t-vis");
    assert_eq!(b1.len(), 1, "hiding flushes by beacon");
    let ev1 = events(&body(&b1[0]));
    assert_eq!(
        types(&ev1),
        ["heartbeat"],
        "the last heartbeat, up to the switch"
    );
    let vis1 = n(&ev1[0], "visible_ms");
    assert!((150.0..400.0).contains(&vis1), "visible_ms {vis1}");
    sleep(250).await;
    assert_eq!(
        fetches("t-vis").len(),
        f1.len(),
        "no heartbeat while hidden, and the beacon does not call for a fetch"
    );
    assert!(
        queue_text("t-vis").contains(&s(&ev1[0], "id")),
        "a beaconed event stays stored until a fetch confirms it"
    );
    set_hidden(false);
    sleep(180).await;
    let f2: Vec<JsValue> = fetches("t-vis").split_off(f1.len());
    assert!(f2.len() >= 3, "heartbeats resumed: {}", f2.len());
    let confirm = events(&body(&f2[0]));
    assert_eq!(
        s(&confirm[0], "id"),
        s(&ev1[0], "id"),
        "the next fetch confirms it"
    );
    set_hidden(true);
    let b2 = beacons("t-vis");
    assert_eq!(b2.len(), 2);
    let ev2 = events(&body(&b2[1]));
    let vis2 = n(&ev2[ev2.len() - 1], "visible_ms");
    assert!(
        (vis2 - vis1) < 330.0 && (vis2 - vis1) > 120.0,
        "hidden time not counted: {vis1} -> {vis2}"
    );
    check_contract(&body(&b2[1]));
    set_hidden(false);
    t.stop();
}

#[wasm_bindgen_test]
async fn pagehide_beacons_everything_even_while_backing_off() {
    install_fakes();
    let t = tracker(r#"{"site":"t-hide","retryBase":60000,"retryMax":60000}"#);
    t.start();
    set_fake("fail", JsValue::TRUE);
    t.feature("save".into(), JsValue::UNDEFINED);
    t.flush();
    sleep(30).await;
    assert_eq!(
        fetches("t-hide").len(),
        1,
        "the fetch failed; the retry is a minute away"
    );
    set_fake("fail", JsValue::FALSE);
    dispatch_pagehide();
    let b = beacons("t-hide");
    assert_eq!(b.len(), 1, "the backoff does not hold back the last chance");
    assert_eq!(s(&b[0], "url"), "http://collector.test/api/v1/events");
    // The final heartbeat comes before `end`, so `end` is the session's latest event.
    assert_eq!(
        types(&events(&body(&b[0]))),
        ["start", "feature", "heartbeat", "end"]
    );
    assert!(
        queue_text("t-hide").contains("\"end\""),
        "kept in storage until a fetch confirms it"
    );
    // Browsers fire visibilitychange after pagehide: no event after `end`, no second beacon.
    set_hidden(true);
    sleep(30).await;
    assert_eq!(beacons("t-hide").len(), 1);
    assert_eq!(fetches("t-hide").len(), 1);
    set_hidden(false);
    // The browser refuses a beacon (over its budget): the events stay stored.
    set_fake("beaconOk", JsValue::FALSE);
    t.feature("load".into(), JsValue::UNDEFINED);
    dispatch_pagehide();
    assert!(queue_text("t-hide").contains("\"load\""));
    t.stop();
}

#[wasm_bindgen_test]
async fn global_privacy_control_turns_everything_off() {
    install_fakes();
    set_gpc(true);
    let t = tracker(r#"{"site":"t-gpc","heartbeatInterval":20}"#);
    assert!(!t.enabled());
    t.start();
    t.feature("x".into(), JsValue::UNDEFINED);
    t.flush();
    t.end();
    set_hidden(true);
    dispatch_pagehide();
    set_hidden(false);
    sleep(80).await;
    assert_eq!(t.session_id(), None);
    assert_eq!(
        fetches("t-gpc").len() + beacons("t-gpc").len(),
        0,
        "nothing sent"
    );
    assert_eq!(storage_keys_containing("t-gpc"), 0, "nothing stored");
    // The site may choose not to honour it.
    let u = tracker(r#"{"site":"t-gpc2","honorGpc":false}"#);
    assert!(u.enabled());
    u.start();
    u.flush();
    sleep(30).await;
    assert_eq!(fetches("t-gpc2").len(), 1);
    u.stop();
    set_gpc(false);
}

#[wasm_bindgen_test]
async fn do_not_track_and_the_opt_out_turn_everything_off() {
    install_fakes();
    set_dnt(true);
    let t = tracker(r#"{"site":"t-dnt","heartbeatInterval":20}"#);
    assert!(!t.enabled());
    t.start();
    t.feature("x".into(), JsValue::UNDEFINED);
    t.flush();
    dispatch_pagehide();
    sleep(60).await;
    assert_eq!(t.session_id(), None);
    assert_eq!(
        fetches("t-dnt").len() + beacons("t-dnt").len(),
        0,
        "nothing sent"
    );
    assert_eq!(storage_keys_containing("t-dnt"), 0, "nothing stored");
    t.opt_in();
    assert!(!t.enabled(), "optIn does not override DNT");
    let u = tracker(r#"{"site":"t-dnt2","honorDnt":false}"#);
    assert!(u.enabled(), "honorDnt: false");
    set_dnt(false);

    // The opt-out: stops at once, forgets what was stored, and holds for later page loads.
    let a = tracker(r#"{"site":"t-opt","heartbeatInterval":20,"flushInterval":100000}"#);
    a.start();
    sleep(70).await;
    set_fake("fail", JsValue::TRUE);
    sleep(50).await;
    assert!(storage_keys_containing("t-opt") > 0);
    a.opt_out();
    set_fake("fail", JsValue::FALSE);
    assert!(!a.enabled());
    assert_eq!(
        storage_keys_containing("t-opt"),
        0,
        "stored queue and session forgotten"
    );
    let sent = fetches("t-opt").len();
    sleep(80).await;
    assert_eq!(fetches("t-opt").len(), sent, "no more heartbeats");
    let b = tracker(r#"{"site":"t-opt","heartbeatInterval":20}"#);
    assert!(!b.enabled(), "the opt-out is kept in this browser");
    b.start();
    sleep(60).await;
    assert_eq!(fetches("t-opt").len(), sent);
    b.opt_in();
    assert!(b.enabled());
    sleep(80).await;
    assert!(fetches("t-opt").len() > sent, "optIn resumes at once");
    assert_ne!(b.session_id(), None);
    b.stop();
    a.stop();
}

#[wasm_bindgen_test]
async fn hostile_input_never_throws() {
    install_fakes();
    assert!(!UsageTracker::new(JsValue::UNDEFINED).enabled());
    assert!(!tracker(r#"{"site":"Bad Site"}"#).enabled());
    assert!(!tracker(r#"{"site":"ok","endpoint":"javascript:x"}"#).enabled());
    let t = tracker(r#"{"site":"t-hostile","flushInterval":100000,"retryBase":10,"retryMax":20}"#);
    t.feature("before-start".into(), JsValue::UNDEFINED);
    t.start();
    t.feature(42.into(), JsValue::UNDEFINED);
    t.feature("!!!".into(), JsValue::UNDEFINED);
    t.feature("cyclic".into(), cyclic_object());
    t.feature("list".into(), parse("[1,2]"));
    t.program_run(JsValue::NULL);
    t.program_run("nope".into());
    t.program_run(parse(r#"{"programLines":-4}"#));
    t.program_run(error_run("boom"));
    throwing_fetch();
    t.flush();
    sleep(20).await;
    set_fake("fetchThrows", JsValue::FALSE);
    t.flush();
    sleep(100).await;
    let f = fetches("t-hostile");
    let ev = events(&body(&f[f.len() - 1]));
    assert_eq!(
        types(&ev),
        ["start", "feature", "feature", "program_run", "program_run"]
    );
    assert_eq!(s(&ev[1], "name"), "cyclic");
    assert!(
        get(&ev[2], "data").is_undefined(),
        "an array is not valid data"
    );
    assert_eq!(n(&ev[3], "program_lines"), 0.0);
    assert_eq!(get(&ev[3], "success").as_bool(), Some(true));
    assert_eq!(get(&ev[4], "success").as_bool(), Some(false));
    assert_eq!(s(&ev[4], "error_message"), "boom");
    t.stop();
}

//! An HTTP-level property test against the real server: generated bodies and headers (huge,
//! malformed, hostile) are posted, interleaved with normal batches. Never a 5xx other than 503,
//! never a row from a refused request, never a normal request harmed: exactly the sessions and
//! events of the requests answered 200 are stored. Time-boxed to a few seconds per store.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};

const TIME_BOX: Duration = Duration::from_secs(4);
const MAX_CASES: usize = 150;

/// A request as a hostile or careless client sends it.
#[derive(Debug, Clone)]
struct Case {
    body: Vec<u8>,
    content_type: String,
    user_agent: Option<String>,
    origin: Option<String>,
}

fn event() -> impl Strategy<Value = Value> {
    let kinds = prop_oneof![
        3 => Just(json!({"type": "start"})),
        3 => (0..100_000u64, 0..100_000u64)
            .prop_map(|(v, a)| json!({"type": "heartbeat", "visible_ms": v, "active_ms": a})),
        3 => prop_oneof![3 => Just("save".to_string()), 1 => "\\PC{0,80}"]
            .prop_map(|name| json!({"type": "feature", "name": name, "data": {"k": name}})),
        3 => (
            any::<u32>(),
            any::<bool>(),
            proptest::option::of("\\PC{0,900}")
        )
            .prop_map(|(n, s, m)| {
                json!({"type": "program_run", "program_lines": n % 2000, "execution_time_ms": n % 1_000_000_000,
                   "lines_executed": n / 5, "success": s, "error_message": m})
            }),
        1 => "\\PC{0,20}".prop_map(|t| json!({"type": t})),
    ];
    (kinds, 0..100_000u64, any::<u32>()).prop_map(|(mut event, t, seq)| {
        event["id"] = json!(hex::encode(rand::random::<[u8; 16]>()));
        event["t"] = json!(t);
        event["seq"] = json!(seq);
        event
    })
}

fn case() -> impl Strategy<Value = Case> {
    let batch = (
        proptest::collection::vec(event(), 0..8),
        0..200_000u64,
        "[a-z]{1,8}|\\PC{0,70}",
    )
        .prop_map(|(events, sent, site)| {
            let session = hex::encode(rand::random::<[u8; 16]>());
            json!({"site": site, "session": session, "sent": sent, "events": events})
                .to_string()
                .into_bytes()
        });
    let body = prop_oneof![
        4 => batch,
        1 => proptest::collection::vec(any::<u8>(), 0..512),
        1 => Just(vec![b' '; 70 * 1024]),
        1 => Just(br#"{"site": "ide", "events": [[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}"#.to_vec()),
    ];
    let content_type = prop_oneof![
        4 => Just("text/plain;charset=UTF-8".to_string()),
        2 => Just("application/json".to_string()),
        1 => "[ -~]{0,40}",
    ];
    let user_agent = proptest::option::weighted(
        0.9,
        prop_oneof![
            Just(crate::helpers::server::FIREFOX.to_string()),
            "[ -~]{0,300}",
            "[ -~]{4000,9000}",
        ],
    );
    let origin = proptest::option::weighted(
        0.25,
        prop_oneof![Just("https://evil.example".to_string()), "[ -~]{0,60}"],
    );
    (body, content_type, user_agent, origin).prop_map(|(body, content_type, user_agent, origin)| {
        Case {
            body,
            content_type,
            user_agent,
            origin,
        }
    })
}

/// (status, session id and event ids it carried, if its body was a batch).
async fn send(app: &TestApp, case: &Case) -> (u16, Option<(String, Vec<String>)>) {
    let mut request = app
        .http
        .post(format!("{}/api/v1/events", app.address))
        .header("content-type", case.content_type.as_str())
        .body(case.body.clone());
    if let Some(ua) = &case.user_agent {
        request = request.header("user-agent", ua.as_str());
    }
    if let Some(origin) = &case.origin {
        request = request.header("origin", origin.as_str());
    }
    let carried = serde_json::from_slice::<Value>(&case.body)
        .ok()
        .and_then(|v| {
            let session = v["session"].as_str()?.to_string();
            // Only runs and features are rows of their own.
            let ids = v["events"]
                .as_array()?
                .iter()
                .filter(|e| matches!(e["type"].as_str(), Some("program_run" | "feature")))
                .filter_map(|e| e["id"].as_str().map(String::from));
            Some((session, ids.collect()))
        });
    match request.send().await {
        Ok(response) => (response.status().as_u16(), carried),
        // reqwest refuses some generated header values before sending: nothing was sent.
        Err(error) if error.is_builder() => (0, carried),
        Err(error) => panic!("the server did not answer {case:?}: {error}"),
    }
}

both_stores!(generated_requests_never_harm_the_server_or_each_other);
async fn generated_requests_never_harm_the_server_or_each_other(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let mut accepted_sessions = HashSet::new();
    let mut accepted_events = HashSet::new();
    let started = Instant::now();
    let (mut cases, mut accepted) = (0, 0);
    while cases < MAX_CASES && started.elapsed() < TIME_BOX {
        cases += 1;
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let (status, carried) = send(&app, &case).await;
        assert!(status < 500 || status == 503, "{status} for {case:?}");
        if status == 200 {
            accepted += 1;
            let (session, ids) = carried.expect("a stored request carried a batch");
            accepted_sessions.insert(session);
            accepted_events.extend(ids);
        }
        // A normal client beside the hostile ones is never harmed.
        let mut script = SessionScript::new();
        let events = vec![script.start(0.0), script.run(1.0, 3, None)];
        let normal = script.batch(2.0, events.clone());
        assert_eq!(app.post(&normal).await.status(), 200, "after {case:?}");
        accepted_sessions.insert(script.id.clone());
        accepted_events.extend(
            events
                .iter()
                .skip(1)
                .map(|e| e["id"].as_str().unwrap().to_string()),
        );
    }
    let stored_sessions: HashSet<String> = app
        .db
        .rows("SELECT session_id FROM ide_sessions")
        .await
        .into_iter()
        .map(|mut row| row.take(0).unwrap())
        .collect();
    assert_eq!(
        stored_sessions, accepted_sessions,
        "only accepted requests left rows"
    );
    let mut stored_events = HashSet::new();
    for table in ["program_executions", "feature_usage"] {
        for mut row in app
            .db
            .rows(&format!("SELECT LOWER(HEX(event_id)) FROM {table}"))
            .await
        {
            stored_events.insert(row.take::<String, _>(0).unwrap());
        }
    }
    assert_eq!(stored_events, accepted_events);
    assert!(cases >= 10, "the time box allowed only {cases} cases");
    assert!(
        accepted > 0,
        "no generated request was valid: the generator tests nothing stored"
    );
    eprintln!("{cases} generated requests, {accepted} stored");
}

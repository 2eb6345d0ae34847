//! Batches a server sends for a browser's session (`"source": "server"`, docs/api.md): their
//! runs and features count, but the session's visitor identity and times come from the
//! browser's batches only, even when the server's batch arrives first; the server's address is
//! never stored.

use chrono::{Duration, NaiveDateTime};
use serde_json::Value;

use crate::helpers::server::{noon, FIREFOX};
use crate::helpers::{both_stores, dump_all_tables, SessionScript, StoreKind, TestApp};

const BROWSER_IP: &str = "203.0.113.77";
const SERVER_IP: &str = "198.51.100.23";
const SERVER_AGENT: &str = "usage-client-python/0.1.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

async fn spawn(kind: StoreKind, mode: usage_aggregator::visitor::IpMode) -> TestApp {
    TestApp::spawn_with(kind, |c| {
        c.ip_mode = mode;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await
}

impl TestApp {
    /// Posts `batch` at `at_s` seconds past noon, as sent from `ip` with `agent`.
    async fn post_from(&self, at_s: i64, batch: &Value, ip: &str, agent: &str) -> u16 {
        self.clock.set(noon() + Duration::seconds(at_s));
        let response = self
            .http
            .post(format!("{}/api/v1/events", self.address))
            .header("content-type", "application/json")
            .header("user-agent", agent)
            .header("x-forwarded-for", ip)
            .body(batch.to_string())
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }
}

/// A server's batch for `script`'s session: a run and a feature, timed on the server's own
/// clock (offsets of a day, which must not reach the session's times).
fn server_batch(script: &mut SessionScript) -> Value {
    let events = vec![
        script.run(0.0, 40, None),
        script.feature(86_400.0, "debugger"),
    ];
    let mut batch = script.batch(86_400.0, events);
    batch["source"] = "server".into();
    batch
}

/// The browser's own batches: start, heartbeats, a run, end after 31 s.
fn browser_batches(script: &mut SessionScript) -> Vec<(i64, Value)> {
    let first = vec![
        script.start(0.0),
        script.heartbeat(15.0, 15.0, 5.0),
        script.run(20.0, 30, Some("?SYNTAX ERROR")),
    ];
    let second = vec![script.heartbeat(30.0, 30.0, 9.0), script.end(31.0)];
    vec![
        (20, script.batch(20.0, first)),
        (31, script.batch(31.0, second)),
    ]
}

both_stores!(a_server_batch_first_then_the_browsers_the_session_is_the_browsers);
async fn a_server_batch_first_then_the_browsers_the_session_is_the_browsers(kind: StoreKind) {
    let app = spawn(kind, usage_aggregator::visitor::IpMode::Truncate).await;
    let mut script = SessionScript::new();
    let from_server = server_batch(&mut script);
    assert_eq!(
        app.post_from(10, &from_server, SERVER_IP, SERVER_AGENT)
            .await,
        200
    );
    let (visitor, ip, device, runs): (Option<String>, Option<String>, Option<String>, u32) =
        mysql_async::from_row(
            app.db
                .rows("SELECT visitor_hash, ip_address, device, programs_run FROM ide_sessions")
                .await
                .remove(0),
        );
    assert_eq!(
        (visitor, ip, device, runs),
        (None, None, None, 1),
        "no visitor yet"
    );

    for (at, batch) in browser_batches(&mut script) {
        assert_eq!(app.post_from(at, &batch, BROWSER_IP, FIREFOX).await, 200);
    }
    // A retry of the server's batch, later: stored once, and still no say in the identity.
    assert_eq!(
        app.post_from(40, &from_server, SERVER_IP, CHROME).await,
        200
    );

    assert_eq!(app.db.count("ide_sessions").await, 1);
    assert_eq!(app.db.count("program_executions").await, 2);
    assert_eq!(app.db.count("feature_usage").await, 1);
    let row = app
        .db
        .rows(
            "SELECT ip_address, browser, os, device, user_agent, start_time, duration_seconds, \
             end_time, programs_run, errors_encountered FROM ide_sessions",
        )
        .await
        .remove(0);
    let text = |i: usize| row.get::<String, _>(i).unwrap();
    assert_eq!(text(0), "203.0.113.0", "the browser's address, truncated");
    assert_eq!(
        (text(1), text(2), text(3)),
        ("Firefox".into(), "Linux".into(), "desktop".into())
    );
    assert_eq!(text(4), "Firefox 128 / Linux / desktop");
    let start: NaiveDateTime = row.get(5).unwrap();
    let duration: u32 = row.get(6).unwrap();
    let end: Option<NaiveDateTime> = row.get(7).unwrap();
    let (runs, errors): (u32, u32) = (row.get(8).unwrap(), row.get(9).unwrap());
    assert_eq!(start, noon().naive_utc(), "the browser's start");
    assert_eq!(
        duration, 31,
        "the server's offsets of a day count for nothing"
    );
    assert!(
        end.is_some(),
        "ended by the browser, not reopened by the server's retry"
    );
    assert_eq!((runs, errors), (2, 1));
    let dump = dump_all_tables(&app.db).await;
    assert!(
        !dump.contains("198.51.100"),
        "the server's address is stored:\n{dump}"
    );
    assert!(!dump.contains(SERVER_AGENT) && !dump.contains("Chrome"));
    app.shutdown().await;
}

both_stores!(server_batches_never_make_the_server_a_visitor);
async fn server_batches_never_make_the_server_a_visitor(kind: StoreKind) {
    let app = spawn(kind, usage_aggregator::visitor::IpMode::Hash).await;
    // One browser, two tabs: one reported first by the server, one by the browser only; and a
    // third session only a server ever reported.
    let (mut first, mut second, mut orphan) = (
        SessionScript::new(),
        SessionScript::new(),
        SessionScript::new(),
    );
    assert_eq!(
        app.post_from(5, &server_batch(&mut first), SERVER_IP, SERVER_AGENT)
            .await,
        200
    );
    assert_eq!(
        app.post_from(6, &server_batch(&mut orphan), SERVER_IP, SERVER_AGENT)
            .await,
        200
    );
    for script in [&mut first, &mut second] {
        for (at, batch) in browser_batches(script) {
            assert_eq!(app.post_from(at, &batch, BROWSER_IP, FIREFOX).await, 200);
        }
    }
    let visitors: u64 = app
        .db
        .scalar("SELECT COUNT(DISTINCT visitor_hash) FROM ide_sessions")
        .await;
    assert_eq!(visitors, 1, "the browser is one visitor, the server none");
    let hashed: u64 = app
        .db
        .count("ide_sessions WHERE visitor_hash IS NOT NULL")
        .await;
    assert_eq!(hashed, 2);
    let orphan_row = format!(
        "ide_sessions WHERE session_id = '{}' AND visitor_hash IS NULL AND device IS NULL \
         AND programs_run = 1",
        orphan.id
    );
    assert_eq!(app.db.count(&orphan_row).await, 1);
    // The day's rollup: three sessions, their four runs, one visitor (a session no browser
    // reported counts as none, unlike a browser's session without a hash).
    app.clock.set(noon() + Duration::days(1));
    app.jobs.run_once().await.unwrap();
    let day: (u32, u32, u32) = mysql_async::from_row(
        app.db
            .rows(
                "SELECT unique_visitors, ide_sessions, programs_run FROM daily_usage_summary \
                 WHERE date = '2026-11-28'",
            )
            .await
            .remove(0),
    );
    assert_eq!(day, (1, 3, 4));

    // A server cannot start, beat or end a session: such events of its batches count for
    // nothing (the session stays ended, 31 s long), its runs count.
    let mut reopen = server_batch(&mut first);
    reopen["events"][1] = first.start(40_000.0);
    let beat = first.heartbeat(50_000.0, 50_000.0, 50_000.0);
    reopen["events"].as_array_mut().unwrap().push(beat);
    assert_eq!(
        app.post_from(90, &reopen, SERVER_IP, SERVER_AGENT).await,
        200
    );
    let first_row = format!(
        "ide_sessions WHERE session_id = '{}' AND end_time IS NOT NULL AND duration_seconds = 31 \
         AND active_seconds = 9 AND programs_run = 3",
        first.id
    );
    assert_eq!(app.db.count(&first_row).await, 1);
    app.shutdown().await;
}

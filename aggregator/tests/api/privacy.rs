//! No raw IP anywhere: not in a row, not in a log line. Salts rotate daily and are deleted.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use crate::helpers::server::FIREFOX;
use crate::helpers::{
    both_stores, dump_all_tables, BinaryApp, SessionScript, StoreKind, TestApp, TestDb,
};

/// Distinctive enough that finding it anywhere means it leaked.
const CLIENT_IP: &str = "203.0.113.77";

fn session_batches() -> Vec<Value> {
    let mut script = SessionScript::new();
    let first = vec![
        script.start(0.0),
        script.heartbeat(15.0, 15.0, 5.0),
        script.run(20.0, 30, Some("?SYNTAX ERROR")),
    ];
    let second = vec![
        script.feature(25.0, "save"),
        script.heartbeat(30.0, 30.0, 9.0),
        script.end(31.0),
    ];
    vec![script.batch(20.0, first), script.batch(31.0, second)]
}

async fn post_through_proxy(address: &str, batch: &Value, forwarded_for: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{address}/api/v1/events"))
        .header("content-type", "text/plain")
        .header("user-agent", FIREFOX)
        .header("x-forwarded-for", forwarded_for)
        .body(batch.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Runs a session through the real binary in `mode` and returns (table dump, log).
async fn run_binary_session(kind: StoreKind, mode: &str) -> (TestDb, String, String) {
    let db = TestDb::create(kind).await;
    let url = db.url();
    let app = BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", &url),
        ("USAGE_IP_MODE", mode),
        ("USAGE_TRUSTED_PROXIES", "127.0.0.1"),
    ]);
    for batch in session_batches() {
        assert_eq!(
            post_through_proxy(&app.address, &batch, CLIENT_IP).await,
            200
        );
    }
    // A bad request and a spoofed one must not leak it either.
    assert_eq!(
        post_through_proxy(
            &app.address,
            &serde_json::json!({"site": CLIENT_IP}),
            CLIENT_IP
        )
        .await,
        400
    );
    let (status, log) = app.stop();
    assert!(status.success(), "SIGTERM is a clean exit: {status}\n{log}");
    let dump = dump_all_tables(&db).await;
    (db, dump, log)
}

both_stores!(no_mode_stores_or_logs_the_client_ip);
async fn no_mode_stores_or_logs_the_client_ip(kind: StoreKind) {
    for mode in ["hash", "truncate", "drop"] {
        let (db, dump, log) = run_binary_session(kind, mode).await;
        assert!(
            log.contains("serving") && log.contains("drained"),
            "the log was captured: {log}"
        );
        assert!(
            !dump.contains(CLIENT_IP),
            "{mode}: the IP is in the database:\n{dump}"
        );
        assert!(
            !log.contains(CLIENT_IP),
            "{mode}: the IP is in the log:\n{log}"
        );
        assert_eq!(db.count("ide_sessions").await, 1);
        let (hash, ip): (Option<String>, Option<String>) = mysql_async::from_row(
            db.rows("SELECT visitor_hash, ip_address FROM ide_sessions")
                .await
                .remove(0),
        );
        match mode {
            "hash" => assert!(hash.is_some_and(|h| h.len() == 32) && ip.is_none()),
            "truncate" => assert_eq!(ip.as_deref(), Some("203.0.113.0")),
            _ => assert_eq!((hash, ip), (None, None)),
        }
    }
}

both_stores!(ipv6_is_truncated_to_48_bits);
async fn ipv6_is_truncated_to_48_bits(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        c.ip_mode = usage_aggregator::visitor::IpMode::Truncate;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let batch = &session_batches()[0];
    assert_eq!(
        post_through_proxy(&app.address, batch, "2001:db8:abcd:12::1").await,
        200
    );
    let ip: Option<String> = app.db.scalar("SELECT ip_address FROM ide_sessions").await;
    assert_eq!(ip.as_deref(), Some("2001:db8:abcd::"));
    app.shutdown().await;
}

async fn hash_of(app: &TestApp, session: &str) -> String {
    app.db
        .scalar(&format!(
            "SELECT visitor_hash FROM ide_sessions WHERE session_id = '{session}'"
        ))
        .await
}

both_stores!(forwarded_for_counts_only_from_a_trusted_proxy);
async fn forwarded_for_counts_only_from_a_trusted_proxy(kind: StoreKind) {
    for trusted in [true, false] {
        let app = TestApp::spawn_with(kind, |c| {
            if trusted {
                c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            }
        })
        .await;
        let mut hashes = Vec::new();
        for forwarded in ["203.0.113.77", "198.51.100.4", ""] {
            let mut script = SessionScript::new();
            let events = vec![script.start(0.0)];
            assert_eq!(
                post_through_proxy(&app.address, &script.batch(1.0, events), forwarded).await,
                200
            );
            hashes.push(hash_of(&app, &script.id).await);
        }
        if trusted {
            assert_ne!(
                hashes[0], hashes[1],
                "different clients behind the proxy are different visitors"
            );
        } else {
            assert!(
                hashes.iter().all(|h| *h == hashes[2]),
                "a spoofed header changes nothing: {hashes:?}"
            );
        }
        app.shutdown().await;
    }
}

both_stores!(salts_rotate_at_midnight_keep_crossing_sessions_and_are_deleted_after_48_hours);
async fn salts_rotate_at_midnight_keep_crossing_sessions_and_are_deleted_after_48_hours(
    kind: StoreKind,
) {
    let app = TestApp::spawn(kind).await;
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 27, 23, 59, 0).unwrap());
    let mut crossing = SessionScript::new();
    let events = vec![crossing.start(0.0), crossing.heartbeat(15.0, 15.0, 15.0)];
    app.store(&crossing.batch(15.0, events)).await;
    let before_midnight = hash_of(&app, &crossing.id).await;

    // After midnight the crossing session goes on, and keeps the visitor of the day it started.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 28, 0, 1, 0).unwrap());
    let events = vec![crossing.heartbeat(120.0, 120.0, 60.0)];
    app.store(&crossing.batch(120.0, events)).await;
    assert_eq!(hash_of(&app, &crossing.id).await, before_midnight);
    let mut fresh = SessionScript::new();
    let events = vec![fresh.start(0.0)];
    app.store(&fresh.batch(1.0, events)).await;
    assert_ne!(
        hash_of(&app, &fresh.id).await,
        before_midnight,
        "a new day is a new visitor"
    );
    let days = |rows: Vec<mysql_async::Row>| {
        rows.into_iter()
            .map(|r| r.get::<NaiveDate, _>(0).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        days(
            app.db
                .rows("SELECT day FROM visitor_salts ORDER BY day")
                .await
        ),
        vec![day(27), day(28)]
    );

    app.clock.advance(Duration::hours(23));
    assert_eq!(
        app.jobs.run_once().await.unwrap().salts_deleted,
        0,
        "the 27th's salt lives through the 28th"
    );
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 1).unwrap());
    assert_eq!(app.jobs.run_once().await.unwrap().salts_deleted, 1);
    assert_eq!(
        days(app.db.rows("SELECT day FROM visitor_salts").await),
        vec![day(28)]
    );
    app.shutdown().await;
}

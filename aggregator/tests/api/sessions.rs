//! Sessions derived from heartbeats, stored exactly once whatever the delivery order.

use chrono::{Duration, NaiveDateTime};
use mysql_async::Row;

use crate::helpers::server::noon;
use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};

const DELAY_MS: i64 = 200;

/// Start, 20 heartbeats (every 15 s), 2 program runs, a feature, end: 10 batches of 30 s.
fn realistic(script: &mut SessionScript) -> Vec<(f64, serde_json::Value)> {
    let mut batches = Vec::new();
    for i in 0..10 {
        let sent = 30.0 * (i + 1) as f64;
        let mut events = Vec::new();
        if i == 0 {
            events.push(script.start(0.0));
        }
        for t in [sent - 15.0, sent] {
            events.push(script.heartbeat(t, t, t / 3.0));
        }
        match i {
            1 => events.push(script.run(40.0, 100, None)),
            2 => events.push(script.feature(70.0, "debugger")),
            4 => events.push(script.run(130.0, 50, Some("?SYNTAX ERROR IN 20"))),
            9 => events.push(script.end(300.0)),
            _ => {}
        }
        batches.push((sent, script.batch(sent, events)));
    }
    batches
}

/// The deployment's own "recent sessions" query: verbatim on MySQL, and the same in SQLite's
/// dialect, so that its figures are checked on both.
fn recent_sessions_query(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::MySql => "SELECT DATE_FORMAT(start_time, '%Y-%m-%d %H:%i') as started, CONCAT(FLOOR(duration_seconds/60), 'm ', duration_seconds%60, 's') as duration, programs_run, lines_executed FROM ide_sessions WHERE end_time IS NOT NULL ORDER BY start_time DESC LIMIT 20;",
        StoreKind::Sqlite => "SELECT strftime('%Y-%m-%d %H:%M', start_time) as started, (duration_seconds/60) || 'm ' || (duration_seconds%60) || 's' as duration, programs_run, lines_executed FROM ide_sessions WHERE end_time IS NOT NULL ORDER BY start_time DESC LIMIT 20;",
    }
}

impl TestApp {
    /// Sets the server clock to when a batch sent at `sent_s` arrives, then posts it.
    async fn deliver(&self, sent_s: f64, batch: &serde_json::Value) {
        self.clock
            .set(noon() + Duration::milliseconds((sent_s * 1000.0) as i64 + DELAY_MS));
        self.store(batch).await;
    }
}

both_stores!(a_realistic_session_with_a_retry_and_a_reordering_is_stored_once_and_right);
async fn a_realistic_session_with_a_retry_and_a_reordering_is_stored_once_and_right(
    kind: StoreKind,
) {
    let app = TestApp::spawn(kind).await;
    let mut script = SessionScript::new();
    let batches = realistic(&mut script);
    for (i, (sent, batch)) in batches.iter().enumerate() {
        match i {
            3 => {
                app.deliver(*sent, batch).await;
                app.deliver(*sent + 2.0, batch).await; // the client did not see the answer: retried
            }
            6 => {} // delayed: arrives after the next one
            7 => {
                app.deliver(*sent, batch).await;
                app.deliver(batches[6].0 + 40.0, &batches[6].1).await;
            }
            _ => app.deliver(*sent, batch).await,
        }
    }
    assert_eq!(app.db.count("ide_sessions").await, 1);
    assert_eq!(app.db.count("program_executions").await, 2);
    assert_eq!(app.db.count("feature_usage").await, 1);
    let row: Row = app.db.rows("SELECT start_time, last_activity, end_time, duration_seconds, active_seconds, programs_run, \
        lines_executed, errors_encountered, user_agent, ip_address, visitor_hash FROM ide_sessions").await.remove(0);
    let start: NaiveDateTime = row.get(0).unwrap();
    assert_eq!(
        start,
        (noon() + Duration::milliseconds(DELAY_MS)).naive_utc(),
        "anchored to server time"
    );
    let last: NaiveDateTime = row.get(1).unwrap();
    assert_eq!(last - start, Duration::seconds(300));
    assert_eq!(
        row.get::<Option<NaiveDateTime>, _>(2).unwrap(),
        Some(last),
        "ended at its end event"
    );
    assert_eq!(row.get::<u32, _>(3).unwrap(), 300, "wall duration");
    assert_eq!(row.get::<u32, _>(4).unwrap(), 100, "active duration");
    assert_eq!(
        (
            row.get::<u32, _>(5).unwrap(),
            row.get::<u64, _>(6).unwrap(),
            row.get::<u32, _>(7).unwrap()
        ),
        (2, 150, 1)
    );
    assert_eq!(
        row.get::<String, _>(8).unwrap(),
        "Firefox 128 / Linux / desktop"
    );
    assert_eq!(
        row.get::<Option<String>, _>(9).unwrap(),
        None,
        "hash mode keeps no address"
    );
    assert_eq!(row.get::<String, _>(10).unwrap().len(), 32);

    let recent = app.db.rows(recent_sessions_query(kind)).await;
    assert_eq!(recent.len(), 1);
    let shown: (String, String, u32, u64) = mysql_async::from_row(recent[0].clone());
    assert_eq!(shown, ("2026-11-28 12:00".into(), "5m 0s".into(), 2, 150));
    let summary: (u64, f64) = mysql_async::from_row(
        app.db
            .rows("SELECT sessions, avg_duration_seconds FROM session_summary")
            .await
            .remove(0),
    );
    assert_eq!(summary, (1, 300.0));
    app.shutdown().await;
}

both_stores!(a_first_batch_retried_after_later_ones_changes_nothing);
/// The writer inserts a session whose batch carries its `start` without reading it first; a
/// first batch retried late (its answer was lost) finds the row stored and must leave it as the
/// later batches made it (its derived times, counters, identity).
async fn a_first_batch_retried_after_later_ones_changes_nothing(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    let mut script = SessionScript::new();
    let batches = realistic(&mut script);
    for (sent, batch) in &batches[..6] {
        app.deliver(*sent, batch).await;
    }
    let query = "SELECT start_time, last_activity, end_time, duration_seconds, active_seconds, max_offset_ms, \
                 programs_run, lines_executed, errors_encountered, visitor_hash FROM ide_sessions";
    type Stored = (
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
        u32,
        u32,
        u64,
        u32,
        u64,
        u32,
        String,
    );
    let before: Stored = mysql_async::from_row(app.db.rows(query).await.remove(0));
    assert_eq!((before.3, before.6), (180, 2), "six batches stored");
    // The first batch again, at the moment of the sixth (the server saw nothing newer).
    app.deliver(batches[5].0, &batches[0].1).await;
    let after: Stored = mysql_async::from_row(app.db.rows(query).await.remove(0));
    assert_eq!(after, before);
    assert_eq!(app.db.count("ide_sessions").await, 1);
    app.shutdown().await;
}

both_stores!(an_idle_session_is_ended_by_the_sweeper_and_a_reload_reopens_it);
async fn an_idle_session_is_ended_by_the_sweeper_and_a_reload_reopens_it(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    let mut script = SessionScript::new();
    let events = vec![
        script.start(0.0),
        script.heartbeat(15.0, 15.0, 10.0),
        script.heartbeat(30.0, 30.0, 20.0),
    ];
    let first = script.batch(30.0, events);
    app.deliver(30.0, &first).await;
    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        app.jobs.run_once().await.unwrap().sessions_ended,
        0,
        "not idle long enough"
    );
    app.clock.advance(Duration::minutes(2));
    assert_eq!(app.jobs.run_once().await.unwrap().sessions_ended, 1);
    let (end, last): (Option<NaiveDateTime>, NaiveDateTime) = mysql_async::from_row(
        app.db
            .rows("SELECT end_time, last_activity FROM ide_sessions")
            .await
            .remove(0),
    );
    assert_eq!(end, Some(last), "an idle session ends at its last activity");

    // The same tab reloads and carries on with later offsets: the session is open again.
    let events = vec![script.start(45.0), script.heartbeat(45.0, 45.0, 25.0)];
    let reload = script.batch(45.0, events);
    app.store(&reload).await;
    let end: Option<NaiveDateTime> = app.db.scalar("SELECT end_time FROM ide_sessions").await;
    assert_eq!(end, None);
    assert_eq!(app.db.count("ide_sessions").await, 1);
    // A late copy of an old batch does not reopen or change an ended session.
    let events = vec![script.end(50.0)];
    let ending = script.batch(50.0, events);
    app.store(&ending).await;
    app.store(&first).await;
    let (end, duration): (Option<NaiveDateTime>, u32) = mysql_async::from_row(
        app.db
            .rows("SELECT end_time, duration_seconds FROM ide_sessions")
            .await
            .remove(0),
    );
    assert!(end.is_some());
    assert_eq!(duration, 50, "the session spans the reload");
    app.shutdown().await;
}

both_stores!(the_sweep_finds_sessions_by_their_minute_and_ends_them_by_the_precise_time);
/// The idle sweep's index carries the coarse `last_seen_minute` (V5), not `last_seen_at`: each
/// write keeps the minute in step with the precise time (a heartbeat in the same minute, one in
/// the next), a cutoff inside that minute still decides by the precise time, and rows of the old
/// tracker, which set neither, are still ended.
async fn the_sweep_finds_sessions_by_their_minute_and_ends_them_by_the_precise_time(
    kind: StoreKind,
) {
    let app = TestApp::spawn(kind).await;
    let minute = |at: chrono::DateTime<chrono::Utc>| at.timestamp().div_euclid(60);
    let stored = || async {
        let (minute, offset): (Option<i64>, u64) = mysql_async::from_row(
            app.db
                .rows("SELECT last_seen_minute, max_offset_ms FROM ide_sessions WHERE session_id <> 'py-open'")
                .await
                .remove(0),
        );
        (minute, offset)
    };
    let mut script = SessionScript::new();
    let events = vec![script.start(0.0), script.heartbeat(30.0, 30.0, 10.0)];
    app.deliver(30.0, &script.batch(30.0, events)).await; // seen 12:00:30.2
    assert_eq!(stored().await, (Some(minute(noon())), 30_000));
    let events = vec![script.heartbeat(45.0, 45.0, 20.0)];
    app.deliver(45.0, &script.batch(45.0, events)).await; // the same minute
    assert_eq!(stored().await, (Some(minute(noon())), 45_000));
    let events = vec![script.heartbeat(75.0, 75.0, 30.0)];
    app.deliver(75.0, &script.batch(75.0, events)).await; // seen 12:01:15.2
    assert_eq!(stored().await, (Some(minute(noon()) + 1), 75_000));
    let last_seen: NaiveDateTime = app
        .db
        .scalar("SELECT last_seen_at FROM ide_sessions WHERE session_id <> 'py-open'")
        .await;
    assert_eq!(
        last_seen,
        (noon() + Duration::milliseconds(75_000 + DELAY_MS)).naive_utc()
    );
    // The old tracker inserting beside us during a switch-over: no last_seen_at, no minute.
    app.db
        .execute(
            "INSERT INTO ide_sessions (session_id, start_time, user_agent) \
             VALUES ('py-open', '2026-11-28 10:00:00.000', 'python')",
        )
        .await;
    // Cutoffs (30 minutes back) inside 12:01, first before the last heartbeat, then after it.
    app.clock
        .set(noon() + Duration::minutes(31) + Duration::seconds(10));
    assert_eq!(
        app.jobs.run_once().await.unwrap().sessions_ended,
        1,
        "only the old tracker's row: ours was seen at 12:01:15.2, after the cutoff 12:01:10"
    );
    assert_eq!(app.db.count("ide_sessions WHERE end_time IS NULL").await, 1);
    app.clock
        .set(noon() + Duration::minutes(31) + Duration::seconds(20));
    assert_eq!(app.jobs.run_once().await.unwrap().sessions_ended, 1);
    assert_eq!(app.db.count("ide_sessions WHERE end_time IS NULL").await, 0);
    app.shutdown().await;
}

both_stores!(a_client_cannot_claim_a_session_longer_than_the_server_saw_plus_slack);
async fn a_client_cannot_claim_a_session_longer_than_the_server_saw_plus_slack(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| c.session_slack_secs = 120).await;
    let mut script = SessionScript::new();
    let day = 86_400.0;
    let events = vec![script.start(0.0), script.heartbeat(day, day, day)];
    let claim = script.batch(day, events);
    app.store(&claim).await;
    let (duration, active): (u32, u32) = mysql_async::from_row(
        app.db
            .rows("SELECT duration_seconds, active_seconds FROM ide_sessions")
            .await
            .remove(0),
    );
    assert_eq!((duration, active), (120, 120));
    app.shutdown().await;
}

both_stores!(retried_runs_in_separate_flushes_never_double_the_counters);
async fn retried_runs_in_separate_flushes_never_double_the_counters(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    let mut script = SessionScript::new();
    let events = vec![script.run(5.0, 40, None), script.run(6.0, 2, Some("boom"))];
    let batch = script.batch(10.0, events);
    for _ in 0..3 {
        app.store(&batch).await;
    }
    let counters: (u32, u64, u32) = mysql_async::from_row(
        app.db
            .rows("SELECT programs_run, lines_executed, errors_encountered FROM ide_sessions")
            .await
            .remove(0),
    );
    assert_eq!(counters, (2, 42, 1));
    assert_eq!(app.db.count("program_executions").await, 2);
    app.shutdown().await;
}

both_stores!(the_example_batch_of_the_api_docs_is_stored);
async fn the_example_batch_of_the_api_docs_is_stored(kind: StoreKind) {
    let docs = include_str!("../../../docs/api.md");
    let start = docs
        .find("```json\n")
        .expect("docs/api.md has a JSON example")
        + "```json\n".len();
    let example: serde_json::Value =
        serde_json::from_str(&docs[start..start + docs[start..].find("```").unwrap()]).unwrap();
    let app = TestApp::spawn(kind).await;
    let response = app.post(&example).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"stored": 6})
    );
    assert_eq!(app.db.count("program_executions").await, 1);
    assert_eq!(app.db.count("feature_usage").await, 1);
    let ended: Option<NaiveDateTime> = app.db.scalar("SELECT end_time FROM ide_sessions").await;
    assert!(ended.is_some());
    app.shutdown().await;
}

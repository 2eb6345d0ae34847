//! Overload and outages: 503 with Retry-After, recovery, and nothing acknowledged lost.

use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::helpers::{
    both_stores, rusqlite, SessionScript, StoreKind, TestApp, TestDb, ThrowawayMariaDb,
};

fn one_run_batch(script: &mut SessionScript, t: f64) -> serde_json::Value {
    let events = vec![script.heartbeat(t, t, t / 2.0), script.run(t, 7, None)];
    script.batch(t, events)
}

/// Asks again, as the client does with what was not acknowledged, until it is (or 5 s passed).
async fn retry_until_stored(app: &TestApp, batch: &serde_json::Value) -> u16 {
    let mut status = 0;
    for _ in 0..20 {
        status = app.post(batch).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    status
}

// MySQL only: it kills and restarts a MariaDB server of its own; an embedded SQLite file cannot
// go away like that. What both stores share, a database that stops answering in time, is the test
// after this one.
#[tokio::test]
async fn database_down_answers_503_then_recovers_without_losing_anything() {
    let mut server = ThrowawayMariaDb::start().await;
    let db = TestDb::create_on(&server.url()).await;
    let app = TestApp::spawn_on(db, |c| {
        c.flush_timeout_secs = 2;
        c.retry_after_secs = 3;
    })
    .await;
    let mut script = SessionScript::new();
    let before = one_run_batch(&mut script, 10.0);
    app.store(&before).await;

    server.kill();
    let during = one_run_batch(&mut script, 20.0);
    let response = app.post(&during).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "3");
    let readiness = app
        .http
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(readiness.status(), 503);
    assert_eq!(
        readiness.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"status": "not ready", "reason": "waiting for the database"}),
        "nothing about the database: anyone may ask"
    );
    assert_eq!(app.status_of("/healthz").await, 200);

    server.restart().await;
    // The client retries what was not acknowledged, as it was told to.
    recovers_storing_each_run_once(app, script, &during, "once the database is back").await;
}

/// A write lock held by another client, so that the writer's next flush waits on it:
/// `LOCK TABLES ide_sessions WRITE` on MariaDB, `BEGIN EXCLUSIVE` on SQLite (whose readers, in
/// WAL mode, go on reading meanwhile).
enum WriteLock {
    MySql(mysql_async::Conn),
    Sqlite(rusqlite::Connection),
}

impl WriteLock {
    async fn hold(db: &TestDb) -> WriteLock {
        match db.kind() {
            StoreKind::MySql => {
                let mut conn = db.pool().get_conn().await.unwrap();
                conn.query_drop("LOCK TABLES ide_sessions WRITE")
                    .await
                    .unwrap();
                WriteLock::MySql(conn)
            }
            StoreKind::Sqlite => {
                let conn = db.sqlite_connection();
                conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
                WriteLock::Sqlite(conn)
            }
        }
    }

    /// Returns once the writer waits on the lock: MariaDB shows its query in the process list.
    /// A SQLite writer waiting in its busy handler shows nowhere, so that wait is a pause long
    /// enough for a flush to start; the tests' assertions hold whether it did or not.
    async fn wait_for_the_stalled_writer(&mut self) {
        match self {
            WriteLock::MySql(conn) => loop {
                let waiting: Option<u64> = conn
                    .query_first("SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT session_id%FOR UPDATE'")
                    .await
                    .unwrap();
                if waiting == Some(1) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            },
            WriteLock::Sqlite(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }

    async fn release(self) {
        match self {
            WriteLock::MySql(mut conn) => conn.query_drop("UNLOCK TABLES").await.unwrap(),
            WriteLock::Sqlite(conn) => conn.execute_batch("COMMIT").unwrap(),
        }
    }
}

both_stores!(a_stalled_database_answers_503_then_recovers_without_losing_anything);
async fn a_stalled_database_answers_503_then_recovers_without_losing_anything(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        c.flush_timeout_secs = 2;
        c.retry_after_secs = 3;
    })
    .await;
    let mut script = SessionScript::new();
    let before = one_run_batch(&mut script, 10.0);
    app.store(&before).await;

    let lock = WriteLock::hold(&app.db).await;
    let during = one_run_batch(&mut script, 20.0);
    let response = app.post(&during).await;
    assert_eq!(
        response.status(),
        503,
        "a commit slower than the flush timeout"
    );
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(app.status_of("/healthz").await, 200);

    lock.release().await;
    // The timed-out flush may still commit once the lock goes: the retry must not double it.
    recovers_storing_each_run_once(app, script, &during, "once the lock is released").await;
}

/// After an outage: the refused batch is retried until stored, one more run is stored, and the
/// session holds 3 runs (one before the outage), each once.
async fn recovers_storing_each_run_once(
    app: TestApp,
    mut script: SessionScript,
    during: &serde_json::Value,
    when: &str,
) {
    assert_eq!(
        retry_until_stored(&app, during).await,
        200,
        "the aggregator recovers {when}"
    );
    let after = one_run_batch(&mut script, 30.0);
    app.store(&after).await;
    assert_eq!(
        app.db.count("program_executions").await,
        3,
        "every acknowledged run, once"
    );
    let runs: u32 = app.db.scalar("SELECT programs_run FROM ide_sessions").await;
    assert_eq!(runs, 3);
    assert_eq!(app.status_of("/readyz").await, 200);
    app.shutdown().await;
}

/// Posts one batch for each of `n` new sessions at once; each task yields (status, has
/// Retry-After), or None when the connection was refused.
fn post_sessions_concurrently(
    app: &TestApp,
    n: usize,
) -> Vec<tokio::task::JoinHandle<Option<(u16, bool)>>> {
    (0..n)
        .map(|_| {
            let mut script = SessionScript::new();
            let batch = one_run_batch(&mut script, 5.0);
            let (http, address) = (app.http.clone(), app.address.clone());
            tokio::spawn(async move {
                let sent = http
                    .post(format!("{address}/api/v1/events"))
                    .header("content-type", "text/plain")
                    .body(batch.to_string())
                    .send()
                    .await
                    .ok()?;
                Some((
                    sent.status().as_u16(),
                    sent.headers().contains_key("retry-after"),
                ))
            })
        })
        .collect()
}

both_stores!(a_full_queue_answers_503_and_stores_exactly_what_it_acknowledged);
async fn a_full_queue_answers_503_and_stores_exactly_what_it_acknowledged(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        c.queue_capacity = 1;
        c.max_requests_per_flush = 1;
        c.flush_timeout_secs = 120;
    })
    .await;
    // Hold the lock so the writer stalls on its first flush.
    let lock = WriteLock::hold(&app.db).await;
    let tasks = post_sessions_concurrently(&app, 4);
    // Those turned away answer at once; wait for them before releasing the lock.
    while tasks.iter().filter(|t| t.is_finished()).count() < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lock.release().await;
    let mut stored = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Some((200, _)) => stored += 1,
            Some((503, true)) => refused += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(
        refused >= 2 && stored >= 1,
        "stored {stored}, refused {refused}"
    );
    assert_eq!(app.db.count("program_executions").await, stored);
    assert_eq!(app.db.count("ide_sessions").await, stored);
    app.shutdown().await;
}

both_stores!(shutdown_drains_every_accepted_request);
async fn shutdown_drains_every_accepted_request(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    // Stall the writer so that requests are certainly in flight when the shutdown begins.
    let mut lock = WriteLock::hold(&app.db).await;
    let tasks = post_sessions_concurrently(&app, 20);
    lock.wait_for_the_stalled_writer().await;
    let shutdown = tokio::spawn(app.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    lock.release().await;
    let db = shutdown.await.unwrap();
    let mut acknowledged = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), Some((200, _))) {
            acknowledged += 1;
        }
    }
    assert!(
        acknowledged >= 1,
        "the stalled request was answered after the drain"
    );
    assert_eq!(
        db.count("program_executions").await,
        acknowledged,
        "every 200 is in the database"
    );
}

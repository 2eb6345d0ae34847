//! Overload and outages: 503 with Retry-After, recovery, and nothing acknowledged lost.

use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::helpers::{SessionScript, TestApp, TestDb, ThrowawayMariaDb};

fn one_run_batch(script: &mut SessionScript, t: f64) -> serde_json::Value {
    let events = vec![script.heartbeat(t, t, t / 2.0), script.run(t, 7, None)];
    script.batch(t, events)
}

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
    assert_eq!(app.status_of("/readyz").await, 503);
    assert_eq!(app.status_of("/healthz").await, 200);

    server.restart().await;
    // The client retries what was not acknowledged, as it was told to.
    let mut status = 0;
    for _ in 0..20 {
        status = app.post(&during).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        status, 200,
        "the aggregator recovers once the database is back"
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

/// Locks `ide_sessions` from another connection: the writer's next flush waits on it.
async fn stall_writer(app: &TestApp) -> mysql_async::Conn {
    let mut blocker = app.db.pool.get_conn().await.unwrap();
    blocker
        .query_drop("LOCK TABLES ide_sessions WRITE")
        .await
        .unwrap();
    blocker
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

#[tokio::test]
async fn a_full_queue_answers_503_and_stores_exactly_what_it_acknowledged() {
    let app = TestApp::spawn_with(|c| {
        c.queue_capacity = 1;
        c.max_requests_per_flush = 1;
        c.flush_timeout_secs = 120;
    })
    .await;
    // Hold the table so the writer stalls on its first flush.
    let mut blocker = stall_writer(&app).await;
    let tasks = post_sessions_concurrently(&app, 4);
    // Those turned away answer at once; wait for them before releasing the table.
    while tasks.iter().filter(|t| t.is_finished()).count() < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    blocker.query_drop("UNLOCK TABLES").await.unwrap();
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

#[tokio::test]
async fn shutdown_drains_every_accepted_request() {
    let app = TestApp::spawn().await;
    // Stall the writer so that requests are certainly in flight when the shutdown begins.
    let mut blocker = stall_writer(&app).await;
    let tasks = post_sessions_concurrently(&app, 20);
    loop {
        let waiting: Option<u64> = blocker
            .query_first("SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT session_id%FOR UPDATE'")
            .await
            .unwrap();
        if waiting == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let shutdown = tokio::spawn(app.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    blocker.query_drop("UNLOCK TABLES").await.unwrap();
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

//! The writer under concurrency: while one flush commits, the next is written, and a session in
//! both waits for the first; retried batches spread over many flushes still count once.

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};

both_stores!(concurrent_retries_and_batches_of_one_session_count_every_run_once);
async fn concurrent_retries_and_batches_of_one_session_count_every_run_once(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    let mut script = SessionScript::new();
    let first = vec![
        script.start(0.0),
        script.run(1.0, 10, None),
        script.run(2.0, 5, Some("boom")),
    ];
    let retried = script.batch(3.0, first);
    let mut bodies = vec![retried.clone(); 20];
    for i in 0..20 {
        let t = 10.0 + f64::from(i);
        let events = vec![script.heartbeat(t, t, t / 2.0), script.run(t, 1, None)];
        bodies.push(script.batch(t, events));
    }
    // Another session in the same flushes, so flushes hold more than the one session.
    let mut other = SessionScript::new();
    for i in 0..20 {
        let t = f64::from(i);
        let events = vec![other.run(t, 100, None)];
        bodies.push(other.batch(t, events));
    }
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (http, address) = (app.http.clone(), app.address.clone());
            tokio::spawn(async move {
                http.post(format!("{address}/api/v1/events"))
                    .header("content-type", "text/plain")
                    .body(body.to_string())
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .ok()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Some(200));
    }
    // Retrying the first batch once more, after everything committed, changes nothing either.
    app.store(&retried).await;
    let counters: Vec<(String, u32, u64, u32)> = app
        .db
        .rows("SELECT session_id, programs_run, lines_executed, errors_encountered FROM ide_sessions ORDER BY programs_run")
        .await
        .into_iter()
        .map(mysql_async::from_row)
        .collect();
    assert_eq!(
        counters,
        vec![
            (other.id.clone(), 20, 2000, 0),
            (script.id.clone(), 22, 35, 1)
        ]
    );
    assert_eq!(app.db.count("program_executions").await, 42);
    let visible: u64 = app
        .db
        .scalar(&format!(
            "SELECT visible_ms FROM ide_sessions WHERE session_id = '{}'",
            script.id
        ))
        .await;
    assert_eq!(visible, 29_000, "the largest heartbeat wins");
    app.shutdown().await;
}

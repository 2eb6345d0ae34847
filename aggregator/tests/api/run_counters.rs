//! A session's run counters are what its stored runs say: a replayed batch of runs and features
//! changes no counter and no row, and after many copies of many batches posted at once through
//! two aggregators on one database, every session's counters equal its stored rows.

use std::sync::Arc;

use serde_json::Value;
use usage_aggregator::clock::ManualClock;
use usage_aggregator::config::Config;
use usage_aggregator::startup::Application;

use crate::helpers::server::noon;
use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp, TestDb};

/// (session, programs_run, lines_executed, errors_encountered) of every session, by session id.
async fn counters(db: &TestDb) -> Vec<(String, u64, u64, u64)> {
    db.rows(
        "SELECT session_id, programs_run, lines_executed, errors_encountered FROM ide_sessions \
         ORDER BY session_id",
    )
    .await
    .into_iter()
    .map(mysql_async::from_row)
    .collect()
}

/// The same, counted from the stored runs of each session.
async fn counted_from_runs(db: &TestDb) -> Vec<(String, u64, u64, u64)> {
    db.rows(
        "SELECT s.session_id, COUNT(p.session_id), COALESCE(SUM(p.lines_executed), 0), \
         COALESCE(SUM(CASE WHEN p.success = 0 THEN 1 ELSE 0 END), 0) \
         FROM ide_sessions s LEFT JOIN program_executions p ON p.session_id = s.session_id \
         GROUP BY s.session_id ORDER BY s.session_id",
    )
    .await
    .into_iter()
    .map(mysql_async::from_row)
    .collect()
}

both_stores!(a_replayed_batch_of_runs_and_features_changes_no_counter);
async fn a_replayed_batch_of_runs_and_features_changes_no_counter(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    let mut script = SessionScript::new();
    let events = vec![
        script.start(0.0),
        script.run(1.0, 7, None),
        script.run(2.0, 3, Some("boom")),
        script.feature(2.5, "save"),
    ];
    let batch = script.batch(3.0, events.clone());
    app.store(&batch).await;
    let first = counters(&app.db).await;
    assert_eq!(first, vec![(script.id.clone(), 2, 10, 1)]);
    // The same batch again, and its events again beside a new heartbeat in a later batch.
    app.store(&batch).await;
    let mut again = events;
    again.push(script.heartbeat(9.0, 9.0, 4.0));
    app.store(&script.batch(10.0, again)).await;
    assert_eq!(
        counters(&app.db).await,
        first,
        "a replay changes no counter"
    );
    assert_eq!(app.db.count("program_executions").await, 2);
    assert_eq!(app.db.count("feature_usage").await, 1);
    let visible: u64 = app.db.scalar("SELECT visible_ms FROM ide_sessions").await;
    assert_eq!(
        visible, 9_000,
        "the heartbeat beside the replayed events counts"
    );
    // A new run beside replayed ones counts once.
    let run = script.run(11.0, 5, None);
    let replayed_and_new = vec![batch["events"][1].clone(), run];
    app.store(&script.batch(12.0, replayed_and_new)).await;
    assert_eq!(counters(&app.db).await, vec![(script.id.clone(), 3, 15, 1)]);
    app.shutdown().await;
}

/// A second aggregator on the database of `app` (a replica), and how to stop it.
async fn replica_of(app: &TestApp) -> (String, tokio::sync::oneshot::Sender<()>) {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(app.db.url().into()),
        flush_timeout_secs: 60,
        rollup_at_start: false,
        ..Config::default()
    };
    let built = Application::build(&config, ManualClock::new(noon()))
        .await
        .expect("the replica builds");
    let address = format!("http://127.0.0.1:{}", built.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(built.run_until_stopped(async {
        let _ = stopped.await;
    }));
    (address, stop)
}

both_stores!(counters_equal_the_stored_runs_after_concurrent_replays_through_two_replicas);
async fn counters_equal_the_stored_runs_after_concurrent_replays_through_two_replicas(
    kind: StoreKind,
) {
    let app = TestApp::spawn(kind).await;
    let (replica, stop) = replica_of(&app).await;
    let addresses = [app.address.clone(), replica];
    // Four sessions of eight batches each; each batch posted three times, through both replicas.
    let mut bodies: Vec<Arc<Value>> = Vec::new();
    let mut expected = Vec::new();
    for _ in 0..4 {
        let mut script = SessionScript::new();
        for i in 0..8u32 {
            let t = f64::from(i) + 1.0;
            let error = (i % 3 == 0).then_some("boom");
            let mut events = vec![
                script.heartbeat(t, t, t / 2.0),
                script.run(t, u64::from(i) + 1, error),
                script.run(t, 2, None),
                script.feature(t, "save"),
            ];
            // A first batch opens its session: the writer inserts such a session without
            // reading it first, and must find out when a copy through the other replica did.
            if i == 0 {
                events.insert(0, script.start(0.0));
            }
            bodies.push(Arc::new(script.batch(t, events)));
        }
        // Runs of lines i + 1 and 2 per batch; batches 0, 3 and 6 failed one run each.
        expected.push((script.id.clone(), 16, (1..=8).sum::<u64>() + 16, 3));
    }
    expected.sort();
    let tasks: Vec<_> = (0..3)
        .flat_map(|copy| {
            bodies
                .iter()
                .cloned()
                .enumerate()
                .map(move |(i, b)| (copy + i, b))
        })
        .map(|(n, body)| {
            let (http, address) = (app.http.clone(), addresses[n % 2].clone());
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
    let _ = stop.send(());
    assert_eq!(counters(&app.db).await, expected);
    assert_eq!(counted_from_runs(&app.db).await, expected);
    assert_eq!(app.db.count("program_executions").await, 4 * 16);
    assert_eq!(app.db.count("feature_usage").await, 4 * 8);
    app.shutdown().await;
}

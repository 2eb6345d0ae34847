//! One request's refused row never fails another's commit: clients whose rows the database
//! refuses get 422, the others beside them 200, and every acknowledged event is stored exactly
//! once, under concurrency, on both stores.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};

/// Makes the database refuse the feature `poison` as a deployment's narrower schema would
/// refuse a value: a CHECK constraint on MariaDB (ERROR 4025), a trigger on SQLite
/// (SQLITE_CONSTRAINT).
async fn refuse_poison(app: &TestApp) {
    let sql = match app.db.kind() {
        StoreKind::MySql => {
            "ALTER TABLE feature_usage ADD CONSTRAINT no_poison CHECK (feature_name <> 'poison')"
        }
        StoreKind::Sqlite => {
            "CREATE TRIGGER no_poison BEFORE INSERT ON feature_usage \
             WHEN NEW.feature_name = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
        }
    };
    app.db.execute(sql).await;
}

fn ids_of(batch: &Value) -> Vec<String> {
    let events = batch["events"].as_array().unwrap();
    let stored = events
        .iter()
        .filter(|e| matches!(e["type"].as_str(), Some("program_run" | "feature")));
    stored
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every stored event id with how often it is stored.
async fn stored_ids(app: &TestApp) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    for table in ["program_executions", "feature_usage"] {
        let sql = format!("SELECT LOWER(HEX(event_id)) FROM {table}");
        for mut row in app.db.rows(&sql).await {
            *counts.entry(row.take::<String, _>(0).unwrap()).or_insert(0) += 1;
        }
    }
    counts
}

both_stores!(refused_rows_fail_only_their_own_requests);
async fn refused_rows_fail_only_their_own_requests(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    refuse_poison(&app).await;
    let mut requests = Vec::new();
    for client in 0..24 {
        let mut script = SessionScript::new();
        for round in 0..3 {
            let t = round as f64 * 20.0;
            let mut events = vec![
                script.run(t + 1.0, 4, None),
                script.feature(t + 2.0, "save"),
            ];
            // A third of the clients send a row the database refuses, beside good ones.
            let poisoned = client % 3 == 0 && round != 1;
            if poisoned {
                events.push(script.feature(t + 3.0, "poison"));
            }
            requests.push((poisoned, script.batch(t + 4.0, events)));
        }
    }
    let app = &app;
    let answers = futures::future::join_all(requests.iter().map(|(poisoned, batch)| async move {
        let response = app.post(batch).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        (*poisoned, status, body)
    }))
    .await;
    let mut acknowledged = HashSet::new();
    for ((poisoned, status, body), (_, batch)) in answers.iter().zip(&requests) {
        if *poisoned {
            assert_eq!(*status, 422, "{body}");
            let error = body["error"].as_str().unwrap();
            assert!(error.contains("refused"), "{error}");
        } else {
            assert_eq!(*status, 200, "a normal request was harmed: {body}");
            acknowledged.extend(ids_of(batch));
        }
    }
    let stored = stored_ids(app).await;
    let stored_set: HashSet<String> = stored.keys().cloned().collect();
    assert_eq!(
        stored_set, acknowledged,
        "exactly the acknowledged events are stored"
    );
    assert!(stored.values().all(|&n| n == 1), "no event is stored twice");
    // Retried unchanged, the normal batches store nothing twice; the poisoned ones stay refused.
    for (poisoned, batch) in &requests[..6] {
        let status = app.post(batch).await.status().as_u16();
        assert_eq!(status, if *poisoned { 422 } else { 200 });
    }
    assert_eq!(stored_ids(app).await, stored);
}

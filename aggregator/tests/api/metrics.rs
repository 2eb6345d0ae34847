//! `GET /metrics` of the real binary: the counters move with what was posted, and no label or
//! value carries the client's address or a session id.

use crate::helpers::{both_stores, BinaryApp, SessionScript, StoreKind, TestDb};

const CLIENT_IP: &str = "203.0.113.77";

async fn post(address: &str, body: &serde_json::Value, extra: &[(&str, &str)]) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/api/v1/events"))
        .header("content-type", "text/plain")
        .header("x-forwarded-for", CLIENT_IP);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The value of the sample named exactly `series` (name and labels), or None.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

both_stores!(metrics_count_what_was_posted_without_identifying_anyone);
async fn metrics_count_what_was_posted_without_identifying_anyone(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let url = db.url();
    let app = BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", &url),
        ("USAGE_TRUSTED_PROXIES", "127.0.0.1"),
        ("USAGE_ADMIN_TOKEN", "the-right-admin-token-0123"),
    ]);
    let mut script = SessionScript::new();
    let events = vec![
        script.heartbeat(5.0, 5.0, 2.0),
        script.run(5.0, 7, None),
        script.run(5.5, 3, None),
        script.feature(6.0, "debugger"),
    ];
    let batch = script.batch(6.0, events);
    assert_eq!(post(&app.address, &batch, &[]).await, 200);
    assert_eq!(post(&app.address, &batch, &[("sec-gpc", "1")]).await, 202);
    // A later batch of an automated session: dropped without a write (its first was counted).
    let mut robot = SessionScript::new();
    let beat = vec![robot.heartbeat(1.0, 1.0, 0.0)];
    let mut automated = robot.batch(1.0, beat);
    automated["automation"] = serde_json::json!(["webdriver"]);
    assert_eq!(post(&app.address, &automated, &[]).await, 202);
    assert_eq!(
        post(&app.address, &serde_json::json!({"site": CLIENT_IP}), &[]).await,
        400
    );
    let presented = "a-wrong-token-never-logged-4567";
    let denied = reqwest::Client::new()
        .get(format!("{}/api/v1/stats/daily", app.address))
        .bearer_auth(presented)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let response = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let (_, log) = app.stop();

    let expect = |series: &str, value: f64| {
        assert_eq!(
            sample(&text, series),
            Some(value),
            "{series} in:\n{text}\n{log}"
        );
    };
    expect(r#"usage_events_accepted_total{kind="program_run"}"#, 2.0);
    expect(r#"usage_events_accepted_total{kind="feature"}"#, 1.0);
    expect(r#"usage_events_accepted_total{kind="session"}"#, 1.0);
    expect(r#"usage_requests_rejected_total{reason="gpc"}"#, 1.0);
    expect(r#"usage_requests_rejected_total{reason="automation"}"#, 1.0);
    expect(r#"usage_requests_rejected_total{reason="malformed"}"#, 1.0);
    expect(
        r#"usage_http_requests_total{route="/api/v1/events",status="200"}"#,
        1.0,
    );
    expect(
        r#"usage_http_requests_total{route="/api/v1/events",status="400"}"#,
        1.0,
    );
    expect("usage_database_available", 1.0);
    expect(
        r#"usage_requests_rejected_total{reason="unauthorized"}"#,
        1.0,
    );
    assert!(log.contains("stats API: request refused"), "{log}");
    assert!(
        !log.contains(presented),
        "the token never reaches the log:\n{log}"
    );
    expect("usage_flush_requests_count", 1.0);
    let last_commit = sample(&text, "usage_last_commit_timestamp_seconds").unwrap();
    assert!(last_commit > 1.7e9, "a Unix time: {last_commit}");
    assert!(!text.contains(CLIENT_IP), "no address in:\n{text}");
    assert!(!text.contains(&script.id), "no session id in:\n{text}");
}

/// `GET /metrics` of `app`, as text.
async fn scrape(app: &BinaryApp) -> String {
    let response = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

both_stores!(repeated_event_ids_are_counted_once_per_repeat_and_stored_once);
async fn repeated_event_ids_are_counted_once_per_repeat_and_stored_once(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    // Found rows would count a skipped duplicate as a row written: the store asks for affected
    // rows whatever the URL says.
    let url = match kind {
        StoreKind::MySql if db.url().contains('?') => {
            format!("{}&client_found_rows=true", db.url())
        }
        StoreKind::MySql => format!("{}?client_found_rows=true", db.url()),
        StoreKind::Sqlite => db.url(),
    };
    let app = BinaryApp::spawn(&[("USAGE_DATABASE_URL", &url)]);
    let mut script = SessionScript::new();
    let (runs, features) = (
        vec![script.run(5.0, 7, None), script.run(5.5, 3, Some("boom"))],
        vec![script.feature(6.0, "debugger")],
    );
    let first = [runs.clone(), features.clone()].concat();
    let batch = script.batch(6.0, first);
    // A client's retry: the same batch, the same event ids.
    assert_eq!(post(&app.address, &batch, &[]).await, 200);
    assert_eq!(post(&app.address, &batch, &[]).await, 200);
    let text = scrape(&app).await;
    let series = |kind: &str| format!(r#"usage_events_repeated_total{{kind="{kind}"}}"#);
    let counted = |text: &str, kind: &str| sample(text, &series(kind));
    assert_eq!(counted(&text, "program_run"), Some(2.0), "{text}");
    assert_eq!(counted(&text, "feature"), Some(1.0), "{text}");
    // Acknowledged events, repeats included.
    let accepted = r#"usage_events_accepted_total{kind="program_run"}"#;
    assert_eq!(sample(&text, accepted), Some(4.0), "{text}");

    // Half new, half repeated: one run and the feature again, two new runs and a new feature.
    let mixed = vec![
        runs[1].clone(),
        features[0].clone(),
        script.run(7.0, 1, None),
        script.run(7.5, 2, None),
        script.feature(8.0, "share"),
    ];
    assert_eq!(
        post(&app.address, &script.batch(8.0, mixed), &[]).await,
        200
    );
    let text = scrape(&app).await;
    let (_, log) = app.stop();
    assert_eq!(counted(&text, "program_run"), Some(3.0), "{text}\n{log}");
    assert_eq!(counted(&text, "feature"), Some(2.0), "{text}\n{log}");
    let of_session = format!("WHERE session_id = '{}'", script.id);
    assert_eq!(
        db.count(&format!("program_executions {of_session}")).await,
        4
    );
    assert_eq!(db.count(&format!("feature_usage {of_session}")).await, 2);
    let counted_runs: u64 = db
        .scalar(&format!(
            "SELECT programs_run FROM ide_sessions {of_session}"
        ))
        .await;
    assert_eq!(counted_runs, 4, "the session counts each run once");
}

#[tokio::test]
async fn metrics_off_answers_404_and_still_stores() {
    let db = TestDb::create(StoreKind::Sqlite).await;
    let url = db.url();
    let app = BinaryApp::spawn(&[("USAGE_DATABASE_URL", &url), ("USAGE_METRICS", "false")]);
    let mut script = SessionScript::new();
    let events = vec![script.heartbeat(5.0, 5.0, 2.0), script.run(5.0, 7, None)];
    assert_eq!(
        post(&app.address, &script.batch(6.0, events), &[]).await,
        200
    );
    let metrics = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap()
        .status();
    let (_, log) = app.stop();
    assert_eq!(metrics, 404, "{log}");
    assert_eq!(db.count("program_executions").await, 1);
}

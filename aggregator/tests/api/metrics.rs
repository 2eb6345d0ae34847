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

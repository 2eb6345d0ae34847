//! A real Prometheus (Debian's, started on loopback by the test support) scrapes the real
//! binary every second; its HTTP API shows the counters moving as batches are posted.

use usage_test_support::ThrowawayPrometheus;

use crate::helpers::{both_stores, BinaryApp, SessionScript, StoreKind, TestDb};

async fn post(address: &str, body: &serde_json::Value) -> u16 {
    reqwest::Client::new()
        .post(format!("{address}/api/v1/events"))
        .header("content-type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

both_stores!(prometheus_scrapes_the_counters_moving);
async fn prometheus_scrapes_the_counters_moving(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let url = db.url();
    let app = BinaryApp::spawn(&[("USAGE_DATABASE_URL", &url)]);
    let target = app.address.trim_start_matches("http://").to_string();
    let prometheus = ThrowawayPrometheus::scraping(&target).await;
    let runs = r#"usage_events_accepted_total{job="usage-aggregator",kind="program_run"}"#;
    let malformed = r#"usage_requests_rejected_total{job="usage-aggregator",reason="malformed"}"#;

    prometheus
        .wait_for(r#"up{job="usage-aggregator"}"#, |up| up == 1.0)
        .await;
    let mut script = SessionScript::new();
    let mut last = serde_json::Value::Null;
    for round in 0..3u32 {
        let t = 5.0 * f64::from(round + 1);
        let events = vec![
            script.heartbeat(t, t, 1.0),
            script.run(t, 4, None),
            script.run(t + 0.5, 2, None),
        ];
        last = script.batch(t + 1.0, events);
        assert_eq!(post(&app.address, &last).await, 200);
        // Two runs per batch: Prometheus sees the counter reach each round's total.
        let expected = f64::from(2 * (round + 1));
        let seen = prometheus.wait_for(runs, |v| v >= expected).await;
        assert_eq!(seen, expected, "{runs} after round {round}");
    }
    // A client's retry of the last batch: its two runs are repeats.
    assert_eq!(post(&app.address, &last).await, 200);
    let repeated = r#"usage_events_repeated_total{job="usage-aggregator",kind="program_run"}"#;
    assert_eq!(prometheus.wait_for(repeated, |v| v >= 2.0).await, 2.0);
    assert_eq!(
        post(&app.address, &serde_json::json!({"site": "no events"})).await,
        400
    );
    prometheus.wait_for(malformed, |v| v >= 1.0).await;
    let commits = prometheus
        .wait_for(
            r#"usage_last_commit_timestamp_seconds{job="usage-aggregator"}"#,
            |v| v > 0.0,
        )
        .await;
    assert!(commits > 1.0e9, "a Unix time: {commits}");
    drop(prometheus);
    let (status, log) = app.stop();
    assert!(status.success(), "{log}");
}

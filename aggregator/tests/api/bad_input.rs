//! Every class of bad input gets its 4xx with a JSON error naming the field, and writes nothing.

use serde_json::{json, Value};

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};

async fn nothing_written(app: &TestApp) {
    for table in ["ide_sessions", "program_executions", "feature_usage"] {
        assert_eq!(app.db.count(table).await, 0, "{table} must stay empty");
    }
}

async fn send(
    app: &TestApp,
    content_type: &str,
    body: String,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}/api/v1/events", app.address))
        .header("content-type", content_type)
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

both_stores!(each_bad_input_class_is_refused_and_changes_nothing);
async fn each_bad_input_class_is_refused_and_changes_nothing(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        c.allowed_origins = vec!["https://ide.example".into()]
    })
    .await;
    let mut script = SessionScript::new();
    let good_events = vec![
        script.start(0.0),
        script.run(1.0, 5, None),
        script.feature(1.0, "save"),
    ];
    let good = script.batch(2.0, good_events);
    let with_event = |event: Value| {
        let mut batch = good.clone();
        batch["events"].as_array_mut().unwrap().push(event);
        batch.to_string()
    };
    let event_id = "0123456789abcdef0123456789abcdef";
    let cases: Vec<(&str, String, u16, Option<&str>)> = vec![
        ("text/plain", "{not json".into(), 400, Some("")),
        (
            "text/plain",
            json!({"site": "ide"}).to_string(),
            400,
            Some(""),
        ),
        (
            "text/plain",
            with_event(json!({"id": event_id, "seq": 9, "t": 1, "type": "teleport"})),
            400,
            Some("events[3]"),
        ),
        (
            "application/x-www-form-urlencoded",
            good.to_string(),
            415,
            None,
        ),
        (
            "text/plain",
            format!("{}{}", good, " ".repeat(70 * 1024)),
            413,
            None,
        ),
        (
            "text/plain",
            with_event(
                json!({"id": event_id, "seq": 9, "t": 1, "type": "feature", "name": "Bad Name"}),
            ),
            422,
            Some("events[3].name"),
        ),
        (
            "text/plain",
            with_event(json!({"id": "xyz", "seq": 9, "t": 1, "type": "start"})),
            422,
            Some("events[3].id"),
        ),
        (
            "text/plain",
            with_event(
                json!({"id": event_id, "seq": 9, "t": 1, "type": "feature", "name": "f", "data": {"x": "y".repeat(3000)}}),
            ),
            422,
            Some("events[3].data"),
        ),
        (
            "text/plain",
            with_event(
                json!({"id": event_id, "seq": 9, "t": 1, "type": "heartbeat", "visible_ms": 90000, "active_ms": 0}),
            ),
            422,
            Some("events[3].visible_ms"),
        ),
        (
            "text/plain",
            with_event(json!({"id": event_id, "seq": 9, "t": 99999, "type": "start"})),
            422,
            Some("events[3].t"),
        ),
        (
            "text/plain",
            with_event(
                json!({"id": event_id, "seq": 9, "t": 1, "type": "program_run", "program_lines": -1,
            "execution_time_ms": 1, "lines_executed": 1, "success": true}),
            ),
            400,
            Some("events[3]"),
        ),
    ];
    for (content_type, body, status, field) in cases {
        let (got, answer) = send(&app, content_type, body, &[]).await;
        assert_eq!(got, status, "{content_type}: {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "a JSON error: {answer}"
        );
        if let Some(field) = field {
            assert!(
                answer["field"].as_str().unwrap().starts_with(field),
                "field {field}: {answer}"
            );
        }
    }
    let (status, answer) = send(
        &app,
        "text/plain",
        good.to_string(),
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (403, Some("origin not allowed"))
    );
    for signal in [("sec-gpc", "1"), ("dnt", "1")] {
        let (status, answer) = send(&app, "text/plain", good.to_string(), &[signal]).await;
        assert_eq!(status, 202, "{answer}");
    }
    let (status, _) = send(
        &app,
        "text/plain",
        good.to_string(),
        &[(
            "user-agent",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
        )],
    )
    .await;
    assert_eq!(status, 202, "crawlers are dropped");
    nothing_written(&app).await;

    let (status, answer) = send(
        &app,
        "text/plain",
        good.to_string(),
        &[("origin", "https://ide.example")],
    )
    .await;
    assert_eq!(
        (status, answer),
        (200, json!({"stored": 3})),
        "the same batch from an allowed origin is stored"
    );
    assert_eq!(app.db.count("program_executions").await, 1);
    app.shutdown().await;
}

both_stores!(cors_answers_allowed_origins_only);
async fn cors_answers_allowed_origins_only(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        c.allowed_origins = vec!["https://ide.example".into()]
    })
    .await;
    for (origin, allowed) in [
        ("https://ide.example", true),
        ("https://evil.example", false),
    ] {
        let response = app
            .http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/v1/events", app.address),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        let allow = response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(allow, allowed.then(|| origin.to_string()), "{origin}");
    }
    app.shutdown().await;
}

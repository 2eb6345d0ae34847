//! The stats API: figures equal to the rollup's, a token on every route, 422 on bad ranges.

use serde_json::Value;

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::{at, seed_two_days, TOKEN};

both_stores!(the_stats_api_serves_the_rolled_up_figures);
async fn the_stats_api_serves_the_rolled_up_figures(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed_two_days(&app).await;
    app.clock.set(at(28, 12, 0));
    app.jobs.run_once().await.unwrap();

    let daily = app.stats("daily?from=2026-11-26&to=2026-11-28").await;
    let days = daily["days"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    assert_eq!(days[0]["sessions"], 0, "a day without sessions is zeros");
    assert_eq!(days[1]["date"], "2026-11-27");
    assert_eq!(
        (
            days[1]["sessions"].as_u64(),
            days[1]["unique_visitors"].as_u64()
        ),
        (Some(3), Some(2))
    );
    assert_eq!(days[1]["avg_active_seconds"], 333);
    assert_eq!(days[1]["success_rate"], 0.75);
    assert_eq!(daily["totals"]["sessions"], 4);
    assert_eq!(
        daily["rolled_up_at"], "2026-11-28T12:00:00Z",
        "the test clock's rollup"
    );
    assert_eq!(daily["summaries_as_of"], "2026-11-28T12:00:00Z");
    assert_eq!(
        daily["totals"]["avg_duration_seconds"], 705,
        "(3*900 + 120) / 4"
    );
    let default_range = app.stats("daily").await;
    assert_eq!(
        (
            default_range["from"].as_str(),
            default_range["days"].as_array().unwrap().len()
        ),
        (Some("2026-10-30"), 30)
    );

    let features = app.stats("features?from=2026-11-27&to=2026-11-28").await;
    assert_eq!(features["features"][0]["name"], "debugger");
    assert_eq!(features["features"][0]["uses"], 2);

    let programs = app.stats("programs?from=2026-11-27&to=2026-11-27").await;
    assert_eq!(
        (programs["runs"].as_u64(), programs["failed"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(programs["success_rate"], 0.75);
    assert_eq!(programs["lines_executed"], 1160);
    assert_eq!(programs["execution_ms"]["max"], 12);

    let clients = app.stats("clients?from=2026-11-27&to=2026-11-28").await;
    assert_eq!(clients["browsers"][0]["name"], "Firefox");
    assert_eq!(
        (
            clients["browsers"][0]["sessions"].as_u64(),
            clients["browsers"][0]["share"].as_f64()
        ),
        (Some(4), Some(1.0))
    );
    assert_eq!(clients["devices"][0]["name"], "desktop");

    let sessions = app.stats("sessions?limit=2").await;
    let sessions = sessions["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(
        sessions[0]["started"], "2026-11-28T09:00:00Z",
        "newest first"
    );
    assert_eq!(sessions[1]["duration_seconds"], 1800);
    assert_eq!(sessions[1]["programs_run"], 1);
    assert_eq!(sessions[1]["ended"], true);
    assert!(sessions[0].get("visitor_hash").is_none() && sessions[0].get("session_id").is_none());
}

const ROUTES: [&str; 5] = ["daily", "sessions", "features", "programs", "clients"];

both_stores!(every_stats_route_needs_the_right_token);
async fn every_stats_route_needs_the_right_token(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    for route in ROUTES {
        let url = format!("{}/api/v1/stats/{route}", app.address);
        let cases = [
            (None, 401),
            (Some("Bearer wrong-token-0123456789".to_string()), 401),
            (Some(format!("Bearer {TOKEN}x")), 401),
            (Some(format!("Basic {TOKEN}")), 401),
            (Some(format!("Bearer {TOKEN}")), 200),
        ];
        for (header, status) in cases {
            let mut request = app.http.get(&url);
            if let Some(value) = &header {
                request = request.header("authorization", value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), status, "{route} with {header:?}");
            if status == 401 {
                assert!(response.headers().contains_key("www-authenticate"));
                let body: Value = response.json().await.unwrap();
                assert!(body["error"].is_string(), "{body}");
            } else {
                assert_eq!(response.headers()["cache-control"], "no-store");
            }
        }
    }
}

both_stores!(without_a_configured_token_the_stats_api_is_closed);
async fn without_a_configured_token_the_stats_api_is_closed(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    for route in ROUTES {
        let response = app
            .http
            .get(format!("{}/api/v1/stats/{route}", app.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503, "{route}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("USAGE_ADMIN_TOKEN"),
            "{body}"
        );
    }
}

both_stores!(bad_ranges_are_422_naming_the_field);
async fn bad_ranges_are_422_naming_the_field(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    for (query, field) in [
        ("daily?from=2026-02-30", "from"),
        ("daily?from=28.11.2026", "from"),
        ("features?to=tomorrow", "to"),
        ("programs?from=2026-11-28&to=2026-11-01", "to"),
        ("clients?from=2025-01-01&to=2026-01-02", "to"),
        ("sessions?limit=0", "limit"),
        ("sessions?limit=many", "limit"),
    ] {
        let response = app
            .http
            .get(format!("{}/api/v1/stats/{query}", app.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["field"], field, "{query}: {body}");
    }
}

both_stores!(serve_refreshes_by_itself_and_logs_neither_address_nor_token);
/// `serve` refreshes the summaries by itself every `summary_refresh_secs` (the full rollup here
/// waits an hour), and neither the client's address nor the admin token reaches the log (traced
/// at the most verbose level).
async fn serve_refreshes_by_itself_and_logs_neither_address_nor_token(kind: StoreKind) {
    const CLIENT_IP: &str = "203.0.113.77";
    let db = crate::helpers::TestDb::create(kind).await;
    let url = db.url();
    let app = crate::helpers::BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", &url),
        ("USAGE_TRUSTED_PROXIES", "127.0.0.1"),
        ("USAGE_ADMIN_TOKEN", TOKEN),
        ("USAGE_ROLLUP_INTERVAL_SECS", "3600"),
        ("USAGE_SUMMARY_REFRESH_SECS", "1"),
    ]);
    let http = reqwest::Client::new();
    let mut script = crate::helpers::SessionScript::new();
    let events = vec![script.start(0.0), script.run(1.0, 25, None)];
    let response = http
        .post(format!("{}/api/v1/events", app.address))
        .header("content-type", "text/plain")
        .header("user-agent", crate::helpers::server::FIREFOX)
        .header("x-forwarded-for", CLIENT_IP)
        .body(script.batch(2.0, events).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The refresh is periodic: poll until today's row shows the session (or give up).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let today = loop {
        let daily: Value = http
            .get(format!("{}/api/v1/stats/daily", app.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let today = daily["days"].as_array().unwrap().last().unwrap().clone();
        if today["sessions"] == 1 {
            assert!(daily["summaries_as_of"].is_string(), "{daily}");
            break today;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no refresh within 30 s: {daily}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(
        (
            today["programs_run"].as_u64(),
            today["lines_executed"].as_u64()
        ),
        (Some(1), Some(25))
    );
    let (status, log) = app.stop();
    assert!(status.success(), "{log}");
    assert!(
        !log.contains(CLIENT_IP),
        "the address is in the log:\n{log}"
    );
    assert!(!log.contains(TOKEN), "the token is in the log:\n{log}");
}

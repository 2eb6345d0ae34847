//! `/api/v1/stats/errors`: failed runs grouped by message with line numbers ignored, with runs,
//! sessions affected, an example and the last time seen; per site and bounded.

use serde_json::Value;

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};
use crate::reports::{at, TOKEN};

/// One session on `site`, all in one batch at `hour` on the 27th: (t, error or None) runs.
async fn session(app: &TestApp, site: &str, hour: u32, runs: &[(f64, Option<&str>)]) {
    let mut script = SessionScript::new();
    script.site = site.into();
    let mut events = vec![script.start(0.0)];
    for &(t, error) in runs {
        events.push(script.run(t, 5, error));
    }
    app.clock.set(at(27, hour, 0));
    app.store(&script.batch(30.0, events)).await;
}

both_stores!(errors_group_across_lines_and_count_sessions_once);
async fn errors_group_across_lines_and_count_sessions_once(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    let syntax = |line| format!("?SYNTAX ERROR IN {line}");
    let (s120, s30) = (syntax(120), syntax(30));
    session(
        &app,
        "ide",
        10,
        &[(10.0, Some(&s120)), (20.0, Some(&s30)), (25.0, None)],
    )
    .await;
    session(
        &app,
        "ide",
        11,
        &[(10.0, Some(&s30)), (20.0, Some("?OUT OF DATA IN 50"))],
    )
    .await;
    session(&app, "docs", 12, &[(10.0, Some("?OUT OF DATA IN 70"))]).await;
    app.clock.set(at(28, 12, 0));
    app.refresh_summaries().await;

    let all = app.stats("errors?from=2026-11-27&to=2026-11-28").await;
    assert_eq!(all["failed_runs"], 5, "the successful run is not an error");
    let groups = all["errors"].as_array().unwrap();
    let summary: Vec<(&str, u64, u64)> = groups
        .iter()
        .map(|g| {
            (
                g["error"].as_str().unwrap(),
                g["runs"].as_u64().unwrap(),
                g["sessions"].as_u64().unwrap(),
            )
        })
        .collect();
    // Syntax: lines 120 and 30 of the first session, line 30 of the second: 3 runs, 2 sessions.
    assert_eq!(
        summary,
        vec![("?SYNTAX ERROR IN #", 3, 2), ("?OUT OF DATA IN #", 2, 2)]
    );
    assert!(groups[0]["example"]
        .as_str()
        .unwrap()
        .starts_with("?SYNTAX ERROR IN "));
    assert_eq!(
        groups[1]["example"], "?OUT OF DATA IN 70",
        "the latest message"
    );
    let last = |g: &Value| g["last_seen"].as_str().unwrap().to_string();
    assert!(last(&groups[1]) > last(&groups[0]), "{all}");

    let docs = app
        .stats("errors?from=2026-11-27&to=2026-11-28&site=docs")
        .await;
    assert_eq!(docs["failed_runs"], 1);
    assert_eq!(docs["errors"][0]["runs"], 1);
    let top = app
        .stats("errors?from=2026-11-27&to=2026-11-28&limit=1")
        .await;
    assert_eq!(
        top["errors"].as_array().unwrap().len(),
        1,
        "bounded by limit"
    );
    let none = app.stats("errors?from=2026-11-28&to=2026-11-28").await;
    assert_eq!(
        (
            none["failed_runs"].as_u64(),
            none["errors"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
    let refused = app
        .http
        .get(format!("{}/api/v1/stats/errors?limit=0", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
}

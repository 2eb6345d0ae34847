//! `?format=csv` on the stats routes: the same figures as the JSON, as a download.

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};
use crate::reports::{at, seed_two_days};

both_stores!(every_route_answers_csv_with_the_json_figures);
async fn every_route_answers_csv_with_the_json_figures(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed_two_days(&app).await;
    app.clock.set(at(28, 12, 0));
    app.refresh_summaries().await;
    let response = app
        .stats_get("daily?from=2026-11-27&to=2026-11-28&format=csv")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"usage-daily-2026-11-27-2026-11-28.csv\""
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = response.text().await.unwrap();
    assert_eq!(
        text,
        "avg_active_seconds,avg_duration_seconds,date,feature_uses,filtered.automation,filtered.crawler,lines_executed,program_errors,programs_run,sessions,success_rate,unique_visitors\r\n\
         333,900,2026-11-27,3,0,0,1160,1,4,3,0.75,2\r\n\
         60,120,2026-11-28,0,0,0,0,0,0,1,,1\r\n"
    );
    let features = app
        .stats_get("features?from=2026-11-27&to=2026-11-28&format=csv")
        .await;
    assert_eq!(
        features.text().await.unwrap(),
        "name,sessions,uses\r\ndebugger,2,2\r\nshare,1,1\r\n"
    );
    for route in [
        "sessions", "programs", "clients", "live", "errors", "journey", "funnel",
    ] {
        let response = app.stats_get(&format!("{route}?format=csv")).await;
        assert_eq!(response.status(), 200, "{route}");
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            disposition.contains(&format!("usage-{route}")),
            "{disposition}"
        );
        assert!(response.text().await.unwrap().ends_with("\r\n"), "{route}");
    }
    assert_eq!(app.stats_get("daily?format=xml").await.status(), 422);
    let refused = app
        .http
        .get(format!("{}/api/v1/stats/daily?format=csv", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "the token first, CSV or not");
}

both_stores!(csv_cells_are_quoted_and_formulas_defused);
/// Error messages are text any client sends: commas, quotes, line breaks and formulas reach the
/// CSV quoted (RFC 4180) and defused (a leading `'`), while the JSON keeps them as they are.
async fn csv_cells_are_quoted_and_formulas_defused(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    let comma = "?SYNTAX, ERROR \"x\" IN 10";
    let formula = "=HYPERLINK(\"http://a\", \"b\")\r\nIN 20";
    let mut script = SessionScript::new();
    let events = vec![
        script.start(0.0),
        script.run(5.0, 5, Some(comma)),
        script.run(10.0, 5, Some(comma)),
        script.run(15.0, 5, Some(formula)),
    ];
    app.clock.set(at(27, 10, 0));
    app.store(&script.batch(30.0, events)).await;
    app.clock.set(at(28, 12, 0));
    app.refresh_summaries().await;

    let json = app.stats("errors?from=2026-11-27&to=2026-11-28").await;
    assert_eq!(json["errors"][1]["example"], formula, "the JSON as sent");
    let response = app
        .stats_get("errors?from=2026-11-27&to=2026-11-28&format=csv")
        .await;
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"usage-errors-2026-11-27-2026-11-28.csv\""
    );
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "error,example,last_seen,runs,sessions", "{text}");
    assert!(
        lines[1].starts_with(
            "\"?SYNTAX, ERROR \"\"x\"\" IN #\",\"?SYNTAX, ERROR \"\"x\"\" IN 10\",2026-11-27T"
        ),
        "{text}"
    );
    assert!(lines[1].ends_with(",2,1"), "{text}");
    assert!(
        lines[2].starts_with("\"'=HYPERLINK(\"\"http://a\"\", \"\"b\"\") IN #\",\"'=HYPERLINK(\"\"http://a\"\", \"\"b\"\")"),
        "{text}"
    );
    // The example's own CRLF stays inside its quoted cell: the row goes on after it.
    assert!(
        lines[3].starts_with("IN 20\",2026-11-27T") && lines[3].ends_with(",1,1"),
        "{text}"
    );
    assert_eq!((lines.len(), lines[4]), (5, ""), "{text}");

    // A feature's data is its own table, whatever the feature is called (`daily` too).
    let share = app
        .stats_get("features/daily?from=2026-11-27&to=2026-11-28&format=csv")
        .await;
    assert_eq!(
        share.headers()["content-disposition"],
        "attachment; filename=\"usage-daily-2026-11-27-2026-11-28.csv\""
    );
    assert_eq!(
        share.text().await.unwrap(),
        "events,key,value\r\n",
        "no data: the header alone"
    );
}

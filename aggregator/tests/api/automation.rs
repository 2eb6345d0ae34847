//! Automated traffic (issue 25, item 5): a batch whose page reported browser automation
//! (`"automation": ["webdriver"]`) is answered 202 and nothing of its session is stored; the
//! session is counted once, on its first batch, per day and site as `automation`, and the daily
//! answer says so. A crawler's session is counted the same way. `filter_automation = false`
//! stores such a session; a page whose tag allows automation sends no signal and is stored.

use chrono::Duration;
use serde_json::{json, Value};

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};
use crate::reports::at;

const GOOGLEBOT: &str = "Googlebot/2.1 (+http://www.google.com/bot.html)";

/// A session's two batches, as `visit` sends them: the start, then a run, a heartbeat and the
/// end. `signals` go in both, as the client sends them with every batch.
fn session(signals: &[&str]) -> (SessionScript, Value, Value) {
    let mut script = SessionScript::new();
    let start = vec![script.start(0.0)];
    let rest = vec![
        script.run(10.0, 5, None),
        script.heartbeat(60.0, 60.0, 0.0),
        script.end(60.0),
    ];
    let (mut first, mut second) = (script.batch(0.0, start), script.batch(60.0, rest));
    if !signals.is_empty() {
        first["automation"] = json!(signals);
        second["automation"] = json!(signals);
    }
    (script, first, second)
}

/// Posts both batches, the server clock moving with them; returns the two answers' bodies.
/// `agent` replaces the Firefox User-Agent the helper sends.
async fn send(app: &TestApp, first: &Value, second: &Value, agent: Option<&str>) -> [Value; 2] {
    let mut answers = Vec::new();
    for (batch, at) in [(first, 0), (second, 60)] {
        app.clock.set(at_day(28) + Duration::seconds(at));
        let response = match agent {
            None => app.post(batch).await,
            Some(agent) => app
                .http
                .post(format!("{}/api/v1/events", app.address))
                .header("content-type", "text/plain")
                .header("user-agent", agent)
                .body(batch.to_string())
                .send()
                .await
                .unwrap(),
        };
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert!(status == 200 || status == 202, "{status} {body}");
        answers.push(body);
    }
    [answers.remove(0), answers.remove(0)]
}

fn at_day(day: u32) -> chrono::DateTime<chrono::Utc> {
    at(day, 9, 0)
}

async fn stored(app: &TestApp, script: &SessionScript) -> u64 {
    let sessions = format!("ide_sessions WHERE session_id = '{}'", script.id);
    app.db.count(&sessions).await
}

both_stores!(an_automated_session_is_filtered_counted_once_and_shown);
async fn an_automated_session_is_filtered_counted_once_and_shown(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    let (robot, first, second) = session(&["webdriver", "headless"]);
    let answers = send(&app, &first, &second, None).await;
    assert_eq!(
        answers,
        [
            json!({"dropped": "automation"}),
            json!({"dropped": "automation"})
        ]
    );
    assert_eq!(stored(&app, &robot).await, 0, "nothing of it stored");
    assert_eq!(app.db.count("program_executions").await, 0);

    // A person's session beside it, on the same day: stored, and not counted as filtered.
    let (person, first, second) = session(&[]);
    assert_eq!(
        send(&app, &first, &second, None).await[0],
        json!({"stored": 1})
    );
    assert_eq!(stored(&app, &person).await, 1);

    // A crawler that ran the script: counted as `crawler`, stored nowhere.
    let (crawler, first, second) = session(&[]);
    let answers = send(&app, &first, &second, Some(GOOGLEBOT)).await;
    assert_eq!(answers[1], json!({"dropped": "crawler"}));
    assert_eq!(stored(&app, &crawler).await, 0);

    // Per day and site, each session once (on its first batch).
    let rows = app
        .db
        .rows("SELECT site_id, reason, sessions FROM daily_site_filtered ORDER BY reason")
        .await;
    let rows: Vec<(String, String, u64)> = rows.into_iter().map(mysql_async::from_row).collect();
    assert_eq!(
        rows,
        [
            ("ide".into(), "automation".into(), 1),
            ("ide".into(), "crawler".into(), 1)
        ]
    );
    app.db
        .execute("UPDATE daily_site_filtered SET sessions = 3 WHERE reason = 'automation'")
        .await;
    app.refresh_summaries().await;
    let daily = app.stats("daily?from=2026-11-28&to=2026-11-28").await;
    assert_eq!(daily["filtered"], json!({"automation": 3, "crawler": 1}));
    assert_eq!(daily["totals"]["sessions"], 1, "only the person's session");
    let other_site = app
        .stats("daily?from=2026-11-28&to=2026-11-28&site=docs")
        .await;
    assert_eq!(
        other_site["filtered"],
        json!({"automation": 0, "crawler": 0})
    );
    let day_before = app.stats("daily?from=2026-11-27&to=2026-11-27").await;
    assert_eq!(
        day_before["filtered"],
        json!({"automation": 0, "crawler": 0})
    );
    // Each day carries its own counts, in the JSON and as the CSV's `filtered.*` columns.
    let two_days = app.stats("daily?from=2026-11-27&to=2026-11-28").await;
    assert_eq!(
        two_days["days"][0]["filtered"],
        json!({"automation": 0, "crawler": 0})
    );
    assert_eq!(
        two_days["days"][1]["filtered"],
        json!({"automation": 3, "crawler": 1})
    );
    let csv = app.stats_csv("daily?from=2026-11-27&to=2026-11-28").await;
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        (rows[0][4], rows[0][5], rows[1][4], rows[2][4], rows[2][5]),
        ("filtered.automation", "filtered.crawler", "0", "3", "1"),
        "{csv}"
    );
}

both_stores!(with_the_filter_off_or_the_tag_allowing_automation_the_session_is_stored);
async fn with_the_filter_off_or_the_tag_allowing_automation_the_session_is_stored(kind: StoreKind) {
    let app = TestApp::reporting_with(kind, |c| c.filter_automation = false).await;
    let (robot, first, second) = session(&["webdriver"]);
    let answers = send(&app, &first, &second, None).await;
    assert_eq!(answers, [json!({"stored": 1}), json!({"stored": 3})]);
    assert_eq!(stored(&app, &robot).await, 1);
    assert_eq!(app.db.count("daily_site_filtered").await, 0);
    app.refresh_summaries().await;
    let daily = app.stats("daily?from=2026-11-28&to=2026-11-28").await;
    assert_eq!(daily["filtered"], json!({"automation": 0, "crawler": 0}));
    assert_eq!(daily["totals"]["sessions"], 1);

    // Filter on (the default): a page whose tag allows automation sends no signal, and a
    // server's batch for a session is never automation, signals or not.
    let app = TestApp::reporting(kind).await;
    let (allowed, first, second) = session(&[]);
    assert_eq!(
        send(&app, &first, &second, None).await[1],
        json!({"stored": 3})
    );
    assert_eq!(stored(&app, &allowed).await, 1);
    let mut script = SessionScript::new();
    let run = vec![script.run(5.0, 7, None)];
    let mut server = script.batch(5.0, run);
    server["source"] = json!("server");
    server["automation"] = json!(["webdriver"]);
    app.store(&server).await;
    assert_eq!(app.db.count("program_executions").await, 2);
    assert_eq!(app.db.count("daily_site_filtered").await, 0);
}
